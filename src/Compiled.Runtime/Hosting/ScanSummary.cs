namespace Compiled.Runtime.Hosting;

/// <summary>One rejected input line: where it is and why it was rejected.</summary>
public sealed record RejectedLine(string Source, long LineNumber, string Reason, string Detail);

/// <summary>
/// The counts of a scan. Every line read is either evaluated or rejected:
/// <see cref="LinesRead"/> = <see cref="EventsEvaluated"/> + <see cref="LinesRejected"/>.
/// </summary>
public sealed class ScanSummary
{
    /// <summary>How many rejected lines are kept with their location; the rest are only counted.</summary>
    public const int MaxExamples = 20;

    private readonly Dictionary<string, long> _rejectedByReason = new(StringComparer.Ordinal);
    private readonly List<RejectedLine> _examples = [];

    public long LinesRead { get; private set; }

    public long EventsEvaluated { get; private set; }

    public long LinesRejected { get; private set; }

    public long FilesRead { get; internal set; }

    /// <summary>Rejected lines per reason, such as "invalid JSON" or "missing @timestamp".</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => _rejectedByReason;

    /// <summary>The first <see cref="MaxExamples"/> rejected lines.</summary>
    public IReadOnlyList<RejectedLine> Examples => _examples;

    internal void CountEvaluated()
    {
        LinesRead++;
        EventsEvaluated++;
    }

    internal void CountRejected(string source, long lineNumber, string reason, string detail)
    {
        LinesRead++;
        LinesRejected++;
        _rejectedByReason[reason] = _rejectedByReason.GetValueOrDefault(reason) + 1;
        if (_examples.Count < MaxExamples)
        {
            _examples.Add(new RejectedLine(source, lineNumber, reason, detail));
        }
    }
}
