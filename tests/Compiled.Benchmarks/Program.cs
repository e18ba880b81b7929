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
// --quick measures each case once over N MiB of events (default 100), after a warm-up over the N MiB before them.
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
// The warm-up input comes first in time and the measured input continues it, so a host measured on the
// second runs in steady state: its reorder buffer, dispatch indexes and rule state already exist.
int nextCopy = 0;
var warmUpLines = BenchmarkInput.Build(Workload.CorpusEvents, sizeMb * 1_048_576L, ref nextCopy);
var lines = BenchmarkInput.Build(Workload.CorpusEvents, sizeMb * 1_048_576L, ref nextCopy);
Console.WriteLine($"Input: {BenchmarkInput.Describe(lines)} measured, after {BenchmarkInput.Describe(warmUpLines)} of warm-up (corpus events repeated with shifted @timestamp and event.ingested)");

var compileWatch = Stopwatch.StartNew();
var allRules = Workload.AllRules;
Console.WriteLine($"Compiled {allRules.Rules.Count} corpus EQL rules at run time in {compileWatch.Elapsed.TotalSeconds:F1} s");
var hundredRules = Workload.HundredRules;

byte[] warmUp = warmUpLines.SelectMany(line => line.Append((byte)'\n')).ToArray();
byte[] stream = lines.SelectMany(line => line.Append((byte)'\n')).ToArray();
var results = new List<Result>
{
    Measure("Utf8JsonReader, every token (baseline)", lines.Count, stream.Length, () => { Workload.ReadAllTokens(warmUpLines); return () => { Workload.ReadAllTokens(lines); return 0; }; }),
    Measure($"decode into {allRules.Schema.Fields.Count} field slots", lines.Count, stream.Length, () => { Workload.DecodeOnly(warmUpLines, allRules.Schema); return () => { Workload.DecodeOnly(lines, allRules.Schema); return 0; }; }),
    Measure("host, seed rule alone", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.SeedRules, warmUp, stream)),
    Measure($"host, {hundredRules.Rules.Count} corpus rules", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.HundredRules, warmUp, stream)),
    Measure($"host, all {allRules.Rules.Count} corpus EQL rules", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.AllRules, warmUp, stream)),
};

double baseline = results[0].MegabytesPerSecond;
double seed = results[2].MegabytesPerSecond;
Console.WriteLine();
Console.WriteLine($"{"measurement",-42} {"MiB/s",8} {"events/s",12} {"vs baseline",11} {"vs seed",8} {"bytes/event",12} {"KiB/run",9} {"alerts",8}");
foreach (var result in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{result.Name,-42} {result.MegabytesPerSecond,8:F1} {result.EventsPerSecond,12:N0} {result.MegabytesPerSecond / baseline,10:P0} {result.MegabytesPerSecond / seed,8:P0} {result.BytesPerEvent,12:F2} {result.BytesPerEvent * result.Events / 1024,9:F1} {result.Alerts,8}"));
}

// prepare runs the warm-up and returns the measured run.
static Result Measure(string name, int events, long bytes, Func<Func<long>> prepare)
{
    var run = prepare();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var watch = Stopwatch.StartNew();
    long alerts = run();
    watch.Stop();
    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    double seconds = watch.Elapsed.TotalSeconds;
    return new Result(name, events, bytes / 1_048_576.0 / seconds, events / seconds, (double)allocated / events, alerts);
}

internal sealed record Result(string Name, int Events, double MegabytesPerSecond, double EventsPerSecond, double BytesPerEvent, long Alerts);
