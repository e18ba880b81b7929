using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Compiled.Benchmarks;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Tomlyn;
using Tomlyn.Model;

// Quick benchmark: one input, every measurement once after a warm-up pass, figures to standard output.
// Usage: dotnet run -c Release --project tests/Compiled.Benchmarks -- --quick [--size-mb N]
string projectDirectory = typeof(BenchmarkInput).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
    .Single(attribute => attribute.Key == "ProjectDirectory").Value!;
string repository = Path.GetFullPath(Path.Combine(projectDirectory, "..", ".."));
string shared = Path.GetFullPath(Path.Combine(repository, "..", "shared"));
int sizeMb = 100;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--size-mb" && i + 1 < args.Length)
    {
        sizeMb = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
}

// State memory: dotnet run -c Release --project tests/Compiled.Benchmarks -- --state-memory [--keys N] [--max-state-entries N]
if (args.Contains("--state-memory"))
{
    int keyIndex = Array.IndexOf(args, "--keys");
    int limitIndex = Array.IndexOf(args, "--max-state-entries");
    StateMemory.Run(
        repository,
        keyIndex >= 0 ? int.Parse(args[keyIndex + 1], CultureInfo.InvariantCulture) : 1_000_000,
        limitIndex >= 0 ? int.Parse(args[limitIndex + 1], CultureInfo.InvariantCulture) : null);
    return;
}

Console.WriteLine($"Compiled quick benchmark, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
var lines = BenchmarkInput.Build(Path.Combine(shared, "corpus-events"), sizeMb * 1_048_576L);
Console.WriteLine($"Input: {BenchmarkInput.Describe(lines)} (corpus events repeated with shifted @timestamp)");

var seedRules = RuleCompiler.CompileDirectory(Path.Combine(repository, "rules")).CreateRuleSet();
var corpusFiles = EqlRuleFiles(Path.Combine(shared, "corpus", "detection-rules"));
var compileWatch = Stopwatch.StartNew();
var allRules = Compile(corpusFiles);
Console.WriteLine($"Compiled {allRules.Rules.Count} corpus EQL rules at run time in {compileWatch.Elapsed.TotalSeconds:F1} s");
var hundredRules = Compile(corpusFiles.Take(100).ToList());

byte[] stream = lines.SelectMany(line => line.Append((byte)'\n')).ToArray();
var results = new List<Result>
{
    Measure("Utf8JsonReader, every token (baseline)", lines.Count, stream.Length, () => ReadAllTokens(lines)),
    Measure($"decode into {allRules.Schema.Fields.Count} field slots", lines.Count, stream.Length, () => DecodeOnly(lines, allRules.Schema)),
    Measure("host, seed rule alone", lines.Count, stream.Length, () => Scan(seedRules, stream)),
    Measure($"host, {hundredRules.Rules.Count} corpus rules", lines.Count, stream.Length, () => Scan(hundredRules, stream)),
    Measure($"host, all {allRules.Rules.Count} corpus EQL rules", lines.Count, stream.Length, () => Scan(allRules, stream)),
};

double baseline = results[0].MegabytesPerSecond;
Console.WriteLine();
Console.WriteLine($"{"measurement",-42} {"MiB/s",8} {"events/s",12} {"vs baseline",11} {"bytes/event",12} {"alerts",8}");
foreach (var result in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{result.Name,-42} {result.MegabytesPerSecond,8:F1} {result.EventsPerSecond,12:N0} {result.MegabytesPerSecond / baseline,10:P0} {result.BytesPerEvent,12:F2} {result.Alerts,8}"));
}

static Result Measure(string name, int events, long bytes, Func<long> run)
{
    run();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var watch = Stopwatch.StartNew();
    long alerts = run();
    watch.Stop();
    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    double seconds = watch.Elapsed.TotalSeconds;
    return new Result(name, bytes / 1_048_576.0 / seconds, events / seconds, (double)allocated / events, alerts);
}

static long ReadAllTokens(List<byte[]> lines)
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

    return 0;
}

static long DecodeOnly(List<byte[]> lines, FieldSchema schema)
{
    var decoder = new EventDecoder(schema);
    var record = new EventRecord(schema);
    foreach (var line in lines)
    {
        decoder.Decode(line, record);
    }

    return 0;
}

static long Scan(RuleSet rules, byte[] stream)
{
    var writer = new AlertWriter(Stream.Null);
    var engine = new ScanEngine(rules, writer);
    engine.Scan(new MemoryStream(stream, writable: false), "benchmark");
    engine.Finish();
    return writer.TotalAlerts;
}

static RuleSet Compile(List<RuleFile> files)
{
    var compilation = RuleCompiler.Compile(files, skipInvalidRules: true);
    return compilation.CreateRuleSet();
}

static List<RuleFile> EqlRuleFiles(string folder)
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

internal sealed record Result(string Name, double MegabytesPerSecond, double EventsPerSecond, double BytesPerEvent, long Alerts);
