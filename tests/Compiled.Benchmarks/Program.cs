using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Compiled.Benchmarks;
using Compiled.Runtime.Hosting;

// Usage:
//   dotnet run -c Release --project tests/Compiled.Benchmarks -- --quick [--size-mb N] [--one-process] [--default-tiering]
//   dotnet run -c Release --project tests/Compiled.Benchmarks -- --detailed
// --quick measures each case over N MiB of events (default 100), after a warm-up over the N MiB before them,
// each case in its own process unless --one-process is given. The host cases run three times, and the baseline
// and decode cases five times, reporting the median. The host decodes ahead on thread-pool threads, as a scan of
// files does; the last case runs all rules with that turned off.
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

// Each case runs in a process of its own, as a command-line scan would: what one case runs first, such
// as Roslyn compiling the corpus rules, then cannot change how the runtime optimizes the next one.
// --one-process runs them all in this process instead.
string[] caseNames = ["baseline", "decode", "seed", "hundred", "all", "all-one-thread"];
int caseArgument = Array.IndexOf(args, "--case");
string? onlyCase = caseArgument >= 0 && caseArgument + 1 < args.Length ? args[caseArgument + 1] : null;
if (onlyCase is null && !args.Contains("--one-process"))
{
    Console.WriteLine($"Compiled quick benchmark, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, one process per case");
    var childResults = new List<Result>();
    foreach (string caseName in caseNames)
    {
        childResults.Add(RunCaseProcess(caseName, sizeMb, args.Contains("--default-tiering")));
    }

    PrintTable(childResults);
    return;
}

if (onlyCase is null)
{
    Console.WriteLine($"Compiled quick benchmark, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, all cases in one process");
}

// The warm-up input comes first in time and the measured input continues it, so a host measured on the
// second runs in steady state: its reorder buffer, dispatch indexes and rule state already exist.
int nextCopy = 0;
var warmUpLines = BenchmarkInput.Build(Workload.CorpusEvents, sizeMb * 1_048_576L, ref nextCopy);
var lines = BenchmarkInput.Build(Workload.CorpusEvents, sizeMb * 1_048_576L, ref nextCopy);
Console.WriteLine($"Input: {BenchmarkInput.Describe(lines)} measured, after {BenchmarkInput.Describe(warmUpLines)} of warm-up (corpus events repeated with shifted @timestamp and event.ingested)");

byte[] warmUp = Join(warmUpLines);
byte[] stream = Join(lines);

// The measured passes of a case without state between passes, whose median is reported.
const int StatelessPasses = 5;

// A host case measures this many passes, each over an input of its own that continues the one before in time,
// and reports the median pass.
const int HostPasses = 3;
byte[][] HostInputs()
{
    var inputs = new byte[HostPasses][];
    inputs[0] = stream;
    for (int pass = 1; pass < HostPasses; pass++)
    {
        inputs[pass] = Join(BenchmarkInput.Build(Workload.CorpusEvents, sizeMb * 1_048_576L, ref nextCopy));
    }

    return inputs;
}

var results = new List<Result>();
foreach (string caseName in onlyCase is null ? caseNames : [onlyCase])
{
    results.Add(caseName switch
    {
        "baseline" => Measure("Utf8JsonReader, every token (baseline)", lines.Count, stream.Length, () => { Workload.ReadAllTokens(warmUpLines); return () => { Workload.ReadAllTokens(lines); return default; }; }, StatelessPasses),
        "decode" => MeasureDecode(CompiledAllRules().Schema),
        "seed" => Measure("host, seed rule alone", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.SeedRules, warmUp, HostInputs()), HostPasses, PairedBaseline),
        "hundred" => Measure($"host, {Workload.HundredRules.Rules.Count} corpus rules", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.HundredRules, warmUp, HostInputs()), HostPasses, PairedBaseline),
        "all" => Measure($"host, all {CompiledAllRules().Rules.Count} corpus EQL rules", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.AllRules, warmUp, HostInputs()), HostPasses, PairedBaseline),
        "all-one-thread" => Measure($"host, all {CompiledAllRules().Rules.Count} rules, one thread", lines.Count, stream.Length, () => Workload.PrepareSteadyScan(Workload.AllRules, warmUp, HostInputs(), new ScanOptions { DecodeAhead = false }), HostPasses, PairedBaseline),
        _ => throw new ArgumentException($"Unknown case '{caseName}'. Use one of: {string.Join(", ", caseNames)}."),
    });
}

// Reads the measured input with the baseline's token reader once and returns the seconds it took. A host case
// runs one such pass right before each of its own, so the paired ratio compares speeds measured at the same time.
double PairedBaseline()
{
    var watch = Stopwatch.StartNew();
    Workload.ReadAllTokens(lines);
    return watch.Elapsed.TotalSeconds;
}

Result MeasureDecode(Compiled.Runtime.Events.FieldSchema schema) =>
    Measure($"decode into {schema.Fields.Count} field slots", lines.Count, stream.Length, () => { Workload.DecodeOnly(warmUpLines, schema); return () => { Workload.DecodeOnly(lines, schema); return default; }; }, StatelessPasses);

if (onlyCase is null)
{
    PrintTable(results);
}
else
{
    Console.WriteLine(results[0].ToLine());
}

// Returns the corpus rules, printing the compile time when they compile in this call.
static Compiled.Runtime.Rules.RuleSet CompiledAllRules()
{
    var watch = Stopwatch.StartNew();
    var rules = Workload.AllRules;
    if (watch.Elapsed > TimeSpan.FromSeconds(1))
    {
        Console.WriteLine($"Compiled {rules.Rules.Count} corpus EQL rules at run time in {watch.Elapsed.TotalSeconds:F1} s");
    }

    return rules;
}

// Runs one case in a new process of this program and passes on what it prints besides its result.
static Result RunCaseProcess(string caseName, int sizeMb, bool defaultTiering)
{
    string host = Environment.ProcessPath!;
    var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };

    // Roslyn compiles the corpus rules in the process, and the runtime recompiles Roslyn's hot methods in the
    // background long after, so the measured pass would start before the process reaches steady state. With no
    // delay before the runtime counts calls, that work ends during the warm-up. --default-tiering keeps the delay.
    if (!defaultTiering)
    {
        start.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
    }
    if (Path.GetFileNameWithoutExtension(host) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Result).Assembly.Location);
    }

    foreach (string argument in new[] { "--quick", "--case", caseName, "--size-mb", sizeMb.ToString(CultureInfo.InvariantCulture) })
    {
        start.ArgumentList.Add(argument);
    }

    using var process = Process.Start(start)!;
    Result? result = null;
    while (process.StandardOutput.ReadLine() is { } line)
    {
        if (Result.TryParse(line, out var parsed))
        {
            result = parsed;
        }
        else if (caseName == "baseline" || !line.StartsWith("Input: ", StringComparison.Ordinal))
        {
            Console.WriteLine(line);
        }
    }

    process.WaitForExit();
    return process.ExitCode == 0 && result is not null
        ? result
        : throw new InvalidOperationException($"The '{caseName}' case failed with exit code {process.ExitCode}. Its output is above.");
}

static void PrintTable(List<Result> results)
{
    double baseline = results[0].MegabytesPerSecond;
    double seed = results[2].MegabytesPerSecond;
    Console.WriteLine();
    Console.WriteLine($"{"measurement",-42} {"MiB/s",8} {"events/s",12} {"vs baseline",11} {"paired",7} {"vs seed",8} {"bytes/event",12} {"w/o alerts",10} {"KiB/run",9} {"alerts",8} {"processors",10}");
    foreach (var result in results)
    {
        string paired = double.IsNaN(result.PairedRatio) ? "-" : result.PairedRatio.ToString("P0", CultureInfo.InvariantCulture);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.Name,-42} {result.MegabytesPerSecond,8:F1} {result.EventsPerSecond,12:N0} {result.MegabytesPerSecond / baseline,10:P0} {paired,7} {result.MegabytesPerSecond / seed,8:P0} {result.BytesPerEvent,12:F2} {result.BytesPerEventWithoutAlerts,10:F2} {result.BytesPerEvent * result.Events / 1024,9:F1} {result.Alerts,8} {result.Processors,10:F2}"));
    }

    Console.WriteLine();
    Console.WriteLine("paired: the median over a case's passes of its speed over that of a baseline pass run right before it in the same process.");
    Console.WriteLine("w/o alerts: bytes per event less those allocated inside the alert writer's calls.");
}

// prepare runs the warm-up and returns the measured run, which is called once per pass, and the median pass is
// reported: one pass of the baseline takes about a tenth of a second, and single passes of one build varied by
// more than 20 % from run to run. A case without state between passes measures the same input each time. A host
// case keeps the state of the events before it, so each of its passes reads an input that continues the last one.
static Result Measure(string name, int events, long bytes, Func<Func<PassResult>> prepare, int passes = 1, Func<double>? pairedBaseline = null)
{
    var run = prepare();
    if (pairedBaseline is not null)
    {
        // One pass before measuring, so that the paired passes run the token reader's optimized code.
        pairedBaseline();
    }

    WaitForJitIdle();
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var seconds = new double[passes];
    var ratios = new double[passes];
    var alerts = new long[passes];
    var processorTime = TimeSpan.Zero;
    long allocated = 0;
    long alertBytes = 0;
    for (int pass = 0; pass < passes; pass++)
    {
        double baselineSeconds = pairedBaseline?.Invoke() ?? double.NaN;
        var processorTimeBefore = Process.GetCurrentProcess().TotalProcessorTime;
        // The host decodes on thread-pool threads too, so the allocations of every thread count.
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var result = run();
        watch.Stop();
        allocated += GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        alerts[pass] = result.Alerts;
        alertBytes += result.AlertBytes;
        processorTime += Process.GetCurrentProcess().TotalProcessorTime - processorTimeBefore;
        seconds[pass] = watch.Elapsed.TotalSeconds;
        ratios[pass] = baselineSeconds / seconds[pass];
    }

    double allocatedPerPass = (double)allocated / passes;

    // Processor time of the whole process over the passes' elapsed time: how many processors the case kept busy.
    double processors = processorTime.TotalSeconds / seconds.Sum();
    Array.Sort(ratios);
    double pairedRatio = ratios[passes / 2];
    Array.Sort(seconds, alerts);
    double median = seconds[passes / 2];
    double withoutAlerts = (allocated - alertBytes) / (double)passes / events;
    return new Result(name, events, bytes / 1_048_576.0 / median, events / median, allocatedPerPass / events, withoutAlerts, alerts[passes / 2], processors, pairedRatio);
}

static byte[] Join(List<byte[]> lines)
{
    var joined = new byte[lines.Sum(line => line.Length + 1)];
    int position = 0;
    foreach (var line in lines)
    {
        line.CopyTo(joined, position);
        position += line.Length;
        joined[position++] = (byte)'\n';
    }

    return joined;
}

// The runtime recompiles hot methods on a background thread, which on 2 cores competes with the measured pass.
// Waits until it has compiled no method for half a second, or for at most 20 s.
static void WaitForJitIdle()
{
    long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
    for (int wait = 0; wait < 40; wait++)
    {
        Thread.Sleep(500);
        long now = System.Runtime.JitInfo.GetCompiledMethodCount();
        if (now == compiled)
        {
            return;
        }

        compiled = now;
    }
}

internal sealed record Result(string Name, int Events, double MegabytesPerSecond, double EventsPerSecond, double BytesPerEvent, double BytesPerEventWithoutAlerts, long Alerts, double Processors, double PairedRatio)
{
    private const string Prefix = "RESULT\t";

    /// <summary>Returns the result as the one line a case process prints for its parent.</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix}{Name}\t{Events}\t{MegabytesPerSecond:R}\t{EventsPerSecond:R}\t{BytesPerEvent:R}\t{BytesPerEventWithoutAlerts:R}\t{Alerts}\t{Processors:R}\t{PairedRatio:R}");

    public static bool TryParse(string line, out Result result)
    {
        result = null!;
        var parts = line.Split('\t');
        if (!line.StartsWith(Prefix, StringComparison.Ordinal) || parts.Length != 10)
        {
            return false;
        }

        var culture = CultureInfo.InvariantCulture;
        result = new Result(parts[1], int.Parse(parts[2], culture), double.Parse(parts[3], culture), double.Parse(parts[4], culture), double.Parse(parts[5], culture), double.Parse(parts[6], culture), long.Parse(parts[7], culture), double.Parse(parts[8], culture), double.Parse(parts[9], culture));
        return true;
    }
}
