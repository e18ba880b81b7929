using System.Reflection;
using System.Text.Json;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Benchmarks;

/// <summary>The rule sets and the measured loops that the quick and the detailed benchmark share.</summary>
internal static class Workload
{
    public static string Repository { get; } = Path.GetFullPath(Path.Combine(
        typeof(Workload).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == "ProjectDirectory").Value!,
        "..",
        ".."));

    /// <summary>The shared, read-only test material beside the repository.</summary>
    public static string Shared { get; } = Path.GetFullPath(Path.Combine(Repository, "..", "shared"));

    public static string CorpusEvents { get; } = Path.Combine(Shared, "corpus-events");

    private static readonly Lazy<RuleCompilation> LazySeedRules = new(() => RuleCompiler.CompileDirectory(Path.Combine(Repository, "rules")));
    private static readonly Lazy<List<RuleFile>> LazyCorpusFiles = new(() => EqlRuleFiles(Path.Combine(Shared, "corpus", "detection-rules")));
    private static readonly Lazy<RuleCompilation> LazyAllRules = new(() => RuleCompiler.Compile(CorpusFiles, skipInvalidRules: true));
    private static readonly Lazy<RuleCompilation> LazyHundredRules = new(() => RuleCompiler.Compile(CorpusFiles.Take(100).ToList(), skipInvalidRules: true));

    public static List<RuleFile> CorpusFiles => LazyCorpusFiles.Value;

    // Each rule set is a fresh instance of the compiled rules, with empty sequence state.
    public static RuleSet SeedRules => LazySeedRules.Value.CreateRuleSet();

    /// <summary>Every EQL rule of the corpus that compiles. The first compilation takes most of a minute.</summary>
    public static RuleSet AllRules => LazyAllRules.Value.CreateRuleSet();

    public static RuleSet HundredRules => LazyHundredRules.Value.CreateRuleSet();

    /// <summary>The baseline: <see cref="Utf8JsonReader"/> visits every token of every line.</summary>
    public static long ReadAllTokens(List<byte[]> lines)
    {
        long tokens = 0;
        foreach (var line in lines)
        {
            var reader = new Utf8JsonReader(line);
            while (reader.Read())
            {
                tokens++;
            }
        }

        return tokens;
    }

    public static long DecodeOnly(List<byte[]> lines, FieldSchema schema)
    {
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);
        long decoded = 0;
        foreach (var line in lines)
        {
            if (decoder.Decode(line, record) is null)
            {
                decoded++;
            }
        }

        return decoded;
    }

    /// <summary>
    /// Prepares the full host (line reading, decoding, dispatch, rules and alerts written to <see cref="Stream.Null"/>)
    /// and returns the scan, which returns the alerts written. Building the engine, its dispatch indexes included,
    /// happens here, once per scan, so that the scan itself shows what each event costs.
    /// </summary>
    public static Func<long> PrepareScan(RuleSet rules, byte[] stream)
    {
        var writer = new AlertWriter(Stream.Null);
        var engine = new ScanEngine(rules, writer);
        return () =>
        {
            engine.Scan(new MemoryStream(stream, writable: false), "benchmark");
            engine.Finish();
            CheckEveryEventEvaluated(engine.Summary);
            return writer.TotalAlerts;
        };
    }

    /// <summary>
    /// Prepares the full host for a steady-state measurement: runs <paramref name="warmUp"/> through the engine,
    /// then returns a scan that reads the next of <paramref name="measured"/> on the same engine and rules at each
    /// call, and returns the alerts it wrote and the bytes that writing them allocated. Each input must follow the
    /// one before it in time, so that the engine's buffers, dispatch indexes and rule state are those of a running host.
    /// </summary>
    public static Func<PassResult> PrepareSteadyScan(RuleSet rules, byte[] warmUp, byte[][] measured, ScanOptions? options = null)
    {
        var writer = new AlertWriter(Stream.Null);
        var counting = new AllocationCountingSink(writer);
        var engine = new ScanEngine(rules, counting, options);
        engine.Scan(new MemoryStream(warmUp, writable: false), "warm-up");
        CheckEveryEventEvaluated(engine.Summary);
        int next = 0;
        return () =>
        {
            long alertsBefore = writer.TotalAlerts;
            long bytesBefore = counting.Bytes;
            engine.Scan(new MemoryStream(measured[next++], writable: false), "benchmark");
            CheckEveryEventEvaluated(engine.Summary);
            return new PassResult(writer.TotalAlerts - alertsBefore, counting.Bytes - bytesBefore);
        };
    }

    /// <summary>
    /// Throws when the host rejected an event or found one late. A late event skips every rule that keeps
    /// state, so a measurement with late events would time a host that left part of the work undone.
    /// </summary>
    private static void CheckEveryEventEvaluated(ScanSummary summary)
    {
        if (summary.EventsLate > 0 || summary.LinesRejected > 0)
        {
            throw new InvalidOperationException(
                $"The benchmark input is not a clean stream in time order: {summary.EventsLate} events were late and {summary.LinesRejected} rejected.");
        }
    }

    private static List<RuleFile> EqlRuleFiles(string folder)
    {
        var files = new List<RuleFile>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.toml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            if (TomlSerializer.Deserialize<TomlTable>(text) is { } root && root.TryGetValue("rule", out var rule) &&
                rule is TomlTable table && table.TryGetValue("type", out var type) && type is "eql")
            {
                files.Add(new RuleFile(path, text));
            }
        }

        return files;
    }
}

/// <summary>What one measured pass did: the alerts it wrote, and the bytes allocated inside the sink's calls.</summary>
internal readonly record struct PassResult(long Alerts, long AlertBytes);

/// <summary>
/// Passes every match on to another sink and counts the bytes allocated during those calls, on the thread that
/// makes them: the cost of writing alerts, which the benchmark reports apart from the cost of events.
/// </summary>
internal sealed class AllocationCountingSink(IAlertSink inner) : IAlertSink
{
    public long Bytes { get; private set; }

    public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        inner.OnEventMatch(rule, ev, timestamp);
        Bytes += GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        inner.OnSequenceMatch(rule, events);
        Bytes += GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public void OnSampleMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events, string joinKey)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        inner.OnSampleMatch(rule, events, joinKey);
        Bytes += GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public void OnStatefulMatch(DetectionRule rule, Compiled.Runtime.Stateful.StatefulAlert alert)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        inner.OnStatefulMatch(rule, alert);
        Bytes += GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
