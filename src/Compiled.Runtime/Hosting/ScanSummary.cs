namespace Compiled.Runtime.Hosting;

/// <summary>
/// One rejected document: where it is and why it was rejected. <see cref="Element"/> is the zero-based
/// index in a JSON array or in a response's hits, or -1 when the document is a line of its own.
/// </summary>
public sealed record RejectedLine(string Source, long LineNumber, string Reason, string Detail, long Element = -1)
{
    /// <summary>The position as <c>file:line</c>, with <c>[element N]</c> after it for an element of an array or response.</summary>
    public string Location => Element >= 0 ? $"{Source}:{LineNumber}[element {Element}]" : $"{Source}:{LineNumber}";
}

/// <summary>
/// The counts of a scan. Every document read (an NDJSON line, an array element, a search hit, a bulk
/// source line) is evaluated or rejected, and every blank line is skipped:
/// <see cref="LinesRead"/> = <see cref="EventsEvaluated"/> + <see cref="LinesRejected"/> + <see cref="BlankLinesSkipped"/>.
/// </summary>
public sealed class ScanSummary
{
    /// <summary>How many rejected lines are kept with their location; the rest are only counted.</summary>
    public const int MaxExamples = 20;

    private readonly Dictionary<string, long> _rejectedByReason = new(StringComparer.Ordinal);
    private readonly List<RejectedLine> _examples = [];
    private readonly List<string> _inputErrors = [];

    /// <summary>Documents read (lines of NDJSON, elements of arrays, hits of responses and source lines of bulk bodies) and blank lines.</summary>
    public long LinesRead { get; private set; }

    public long EventsEvaluated { get; private set; }

    public long LinesRejected { get; private set; }

    /// <summary>Empty or whitespace-only lines of NDJSON and bulk bodies, which contain no document and are not rejected.</summary>
    public long BlankLinesSkipped { get; private set; }

    public long FilesRead { get; internal set; }

    /// <summary>
    /// Events older than an event already released for a rule's time order. Single-event rules evaluated them,
    /// but rules that keep state (<see cref="Rules.DetectionRule.KeepsState"/>) did not see them.
    /// </summary>
    public long EventsLate { get; internal set; }

    /// <summary>Events released before their lateness had passed because the reorder buffer was full.</summary>
    public long EarlyReleases { get; internal set; }

    /// <summary>The most events the reorder buffer held at once.</summary>
    public long PeakBufferedEvents { get; internal set; }

    /// <summary>The rejection that stopped a strict scan, or null.</summary>
    public RejectedLine? StoppedAt { get; internal set; }

    /// <summary>Inputs that could not be opened or read to the end, each as <c>name: message</c>.</summary>
    public IReadOnlyList<string> InputErrors => _inputErrors;

    /// <summary>Rejected lines per reason, such as "invalid JSON" or "missing @timestamp".</summary>
    public IReadOnlyDictionary<string, long> RejectedByReason => _rejectedByReason;

    /// <summary>The first <see cref="MaxExamples"/> rejected lines.</summary>
    public IReadOnlyList<RejectedLine> Examples => _examples;

    internal void CountEvaluated()
    {
        LinesRead++;
        EventsEvaluated++;
    }

    internal void CountBlank()
    {
        LinesRead++;
        BlankLinesSkipped++;
    }

    internal void CountRejected(string source, long lineNumber, string reason, string detail, long element = -1)
    {
        LinesRead++;
        AddRejected(source, lineNumber, reason, detail, element);
    }

    /// <summary>A document counted as evaluated turned out to be invalid when it was decoded in full.</summary>
    internal void Reclassify(string source, long lineNumber, string reason, string detail, long element)
    {
        EventsEvaluated--;
        AddRejected(source, lineNumber, reason, detail, element);
    }

    internal void AddInputError(string message) => _inputErrors.Add(message);

    private void AddRejected(string source, long lineNumber, string reason, string detail, long element)
    {
        LinesRejected++;
        _rejectedByReason[reason] = _rejectedByReason.GetValueOrDefault(reason) + 1;
        if (_examples.Count < MaxExamples)
        {
            _examples.Add(new RejectedLine(source, lineNumber, reason, detail, element));
        }
    }
}
