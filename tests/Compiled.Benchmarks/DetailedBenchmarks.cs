using BenchmarkDotNet.Attributes;
using Compiled.Runtime.Rules;

namespace Compiled.Benchmarks;

/// <summary>
/// The quick benchmark's cases under BenchmarkDotNet with its memory diagnoser. Each operation is one
/// event: an invocation reads <see cref="Events"/> events, so the report gives time and bytes per event.
/// </summary>
[MemoryDiagnoser]
public class DetailedBenchmarks
{
    /// <summary>The number of events per invocation: real corpus events, repeated with shifted timestamps.</summary>
    public const int Events = 10_000;

    private List<byte[]> _lines = [];
    private byte[] _stream = [];
    private RuleSet _allRules = null!;
    private Func<long> _scan = () => 0;

    [GlobalSetup]
    public void Setup()
    {
        _lines = BenchmarkInput.Build(Workload.CorpusEvents, 24L * 1_048_576).Take(Events).ToList();
        if (_lines.Count != Events)
        {
            throw new InvalidOperationException($"The corpus gave {_lines.Count} events, fewer than {Events}.");
        }

        _stream = _lines.SelectMany(line => line.Append((byte)'\n')).ToArray();
        _allRules = Workload.AllRules;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Utf8JsonReader, every token")]
    public long Baseline() => Workload.ReadAllTokens(_lines);

    [Benchmark(OperationsPerInvoke = Events, Description = "decode, fields of all rules")]
    public long Decode() => Workload.DecodeOnly(_lines, _allRules.Schema);

    // Each scan gets fresh rules and a fresh engine, built before the iteration, so the figures show the events alone.
    [IterationSetup(Target = nameof(SeedRule))]
    public void PrepareSeedRule() => _scan = Workload.PrepareScan(Workload.SeedRules, _stream);

    [IterationSetup(Target = nameof(HundredRules))]
    public void PrepareHundredRules() => _scan = Workload.PrepareScan(Workload.HundredRules, _stream);

    [IterationSetup(Target = nameof(AllRules))]
    public void PrepareAllRules() => _scan = Workload.PrepareScan(Workload.AllRules, _stream);

    [Benchmark(OperationsPerInvoke = Events, Description = "host, seed rule alone")]
    public long SeedRule() => _scan();

    [Benchmark(OperationsPerInvoke = Events, Description = "host, 100 corpus rules")]
    public long HundredRules() => _scan();

    [Benchmark(OperationsPerInvoke = Events, Description = "host, all corpus EQL rules")]
    public long AllRules() => _scan();
}
