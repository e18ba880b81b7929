using System.Diagnostics;
using System.Globalization;
using System.Text;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Benchmarks;

/// <summary>
/// Measures the managed memory a compiled sequence rule keeps for many distinct join keys: every event
/// starts a pending sequence under a new <c>process.entity_id</c> and none completes, all within maxspan.
/// </summary>
internal static class StateMemory
{
    public static void Run(string repository, int keys, int? maxStateEntries)
    {
        var compilation = RuleCompiler.CompileDirectory(Path.Combine(repository, "rules"));
        var rules = compilation.CreateRuleSet();
        var rule = rules.Rules.Single(candidate => candidate.Descriptor.Name == "macOS Installer Spawns Network Event");
        rule.MaxStateEntries = maxStateEntries ?? DetectionRule.DefaultMaxStateEntries;
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new NullSink();
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        byte[] sample = Line(start, 0);

        Console.WriteLine($"State memory, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"Rule: {rule.Descriptor.Name} (sequence by process.entity_id with maxspan=1m), MaxStateEntries {rule.MaxStateEntries:N0}");
        Console.WriteLine($"Events: {keys:N0}, one new join key each, {sample.Length} bytes per line, 50 µs apart so all stay within maxspan");

        long before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < keys; i++)
        {
            // The timestamps advance 50 µs per event, so one million events span 50 s, inside the 1 m maxspan.
            string? problem = decoder.Decode(Line(start.AddTicks(i * 500L), i), record);
            if (problem is not null)
            {
                throw new InvalidOperationException($"event {i} was rejected: {problem}");
            }

            rule.Evaluate(record, sink);
        }

        watch.Stop();
        long after = GC.GetTotalMemory(forceFullCollection: true);
        long kept = after - before;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"managed memory before: {before / 1_048_576.0:F1} MiB, after: {after / 1_048_576.0:F1} MiB, kept: {kept / 1_048_576.0:F1} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bytes per key: {(double)kept / Math.Min(keys, rule.MaxStateEntries):F0}, evictions: {rule.StateEvictions:N0}, alerts: {sink.Matches}, time: {watch.Elapsed.TotalSeconds:F1} s"));
        GC.KeepAlive(rule);
    }

    private static byte[] Line(DateTime timestamp, int key) => Encoding.UTF8.GetBytes(
        "{\"@timestamp\":\"" + timestamp.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture) +
        "\",\"event\":{\"category\":[\"process\"],\"type\":[\"start\"]},\"host\":{\"os\":{\"family\":\"macos\"}}," +
        "\"process\":{\"entity_id\":\"entity-" + key.ToString("D8", CultureInfo.InvariantCulture) +
        "\",\"parent\":{\"executable\":\"/usr/sbin/installer\"}}}");

    private sealed class NullSink : IAlertSink
    {
        public int Matches { get; private set; }

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) => Matches++;

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events) => Matches++;
    }
}
