using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Compiled.Benchmarks;

// Usage:
//   dotnet run -c Release --project tests/Compiled.Benchmarks -- --quick [--size-mb N]
//   dotnet run -c Release --project tests/Compiled.Benchmarks -- --detailed
// --quick measures each case once after a warm-up pass over one input of N MiB (default 100).
// --detailed runs the same cases under BenchmarkDotNet with the memory diagnoser, in process, over 10,000 events.
if (args.Contains("--detailed"))
{
    // The corpus rules compile once, before BenchmarkDotNet starts, so its in-process time limit covers only the runs.
    Console.WriteLine($"Compiled {Workload.AllRules.Rules.Count} corpus EQL rules; starting BenchmarkDotNet.");
    var toolchain = new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true);
    var job = Job.Default.WithToolchain(toolchain).WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1);
    var config = DefaultConfig.Instance.AddJob(job)
        .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
    BenchmarkRunner.Run<DetailedBenchmarks>(config);
    return;
}

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
        Workload.Repository,
        keyIndex >= 0 ? int.Parse(args[keyIndex + 1], CultureInfo.InvariantCulture) : 1_000_000,
        limitIndex >= 0 ? int.Parse(args[limitIndex + 1], CultureInfo.InvariantCulture) : null);
    return;
}

Console.WriteLine($"Compiled quick benchmark, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
var lines = BenchmarkInput.Build(Workload.CorpusEvents, sizeMb * 1_048_576L);
Console.WriteLine($"Input: {BenchmarkInput.Describe(lines)} (corpus events repeated with shifted @timestamp)");

var compileWatch = Stopwatch.StartNew();
var allRules = Workload.AllRules;
Console.WriteLine($"Compiled {allRules.Rules.Count} corpus EQL rules at run time in {compileWatch.Elapsed.TotalSeconds:F1} s");
var hundredRules = Workload.HundredRules;

byte[] stream = lines.SelectMany(line => line.Append((byte)'\n')).ToArray();
var results = new List<Result>
{
    Measure("Utf8JsonReader, every token (baseline)", lines.Count, stream.Length, () => () => { Workload.ReadAllTokens(lines); return 0; }),
    Measure($"decode into {allRules.Schema.Fields.Count} field slots", lines.Count, stream.Length, () => () => { Workload.DecodeOnly(lines, allRules.Schema); return 0; }),
    Measure("host, seed rule alone", lines.Count, stream.Length, () => Workload.PrepareScan(Workload.SeedRules, stream)),
    Measure($"host, {hundredRules.Rules.Count} corpus rules", lines.Count, stream.Length, () => Workload.PrepareScan(Workload.HundredRules, stream)),
    Measure($"host, all {allRules.Rules.Count} corpus EQL rules", lines.Count, stream.Length, () => Workload.PrepareScan(Workload.AllRules, stream)),
};

double baseline = results[0].MegabytesPerSecond;
double seed = results[2].MegabytesPerSecond;
Console.WriteLine();
Console.WriteLine($"{"measurement",-42} {"MiB/s",8} {"events/s",12} {"vs baseline",11} {"vs seed",8} {"bytes/event",12} {"alerts",8}");
foreach (var result in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{result.Name,-42} {result.MegabytesPerSecond,8:F1} {result.EventsPerSecond,12:N0} {result.MegabytesPerSecond / baseline,10:P0} {result.MegabytesPerSecond / seed,8:P0} {result.BytesPerEvent,12:F2} {result.Alerts,8}"));
}

// The warm-up and the measured pass each get a fresh engine, so no sequence state carries over between them.
static Result Measure(string name, int events, long bytes, Func<Func<long>> prepare)
{
    prepare()();
    var run = prepare();
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

internal sealed record Result(string Name, double MegabytesPerSecond, double EventsPerSecond, double BytesPerEvent, long Alerts);
