using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Streams NDJSON events through a rule set: each line is decoded once and evaluated by every rule.
/// Lines that cannot be evaluated are counted in <see cref="Summary"/> with their reason.
/// </summary>
public sealed class ScanEngine
{
    /// <summary>The default limit on one line, in bytes.</summary>
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    private readonly RuleSet _rules;
    private readonly IAlertSink _sink;
    private readonly EventDecoder _decoder;
    private readonly EventRecord _record;
    private readonly int _maxLineBytes;
    private readonly RuleDispatch _dispatch;

    public ScanEngine(RuleSet rules, IAlertSink sink, int maxLineBytes = DefaultMaxLineBytes)
    {
        _rules = rules;
        _sink = sink;
        _maxLineBytes = maxLineBytes;
        _decoder = new EventDecoder(rules.Schema);
        _record = new EventRecord(rules.Schema);
        _dispatch = new RuleDispatch(rules);
    }

    public ScanSummary Summary { get; } = new();

    /// <summary>
    /// Reads every line of <paramref name="input"/>; <paramref name="sourceName"/> names it in alerts and messages.
    /// Stops between two lines when <paramref name="cancellation"/> is cancelled, so no event is half evaluated.
    /// </summary>
    public void Scan(Stream input, string sourceName, CancellationToken cancellation = default)
    {
        var lines = new LineReader(input, _maxLineBytes);
        _record.Source = sourceName;
        Summary.FilesRead++;
        while (!cancellation.IsCancellationRequested && lines.TryReadLine(out var line, out bool tooLong))
        {
            if (tooLong)
            {
                Summary.CountRejected(sourceName, lines.LineNumber, "line too long", $"the line is longer than {_maxLineBytes} bytes");
                continue;
            }

            _record.LineNumber = lines.LineNumber;
            string? error = _decoder.Decode(line, _record);
            if (error is not null)
            {
                int colon = error.IndexOf(':');
                string reason = colon < 0 ? error : error[..colon];
                Summary.CountRejected(sourceName, lines.LineNumber, reason, error);
                continue;
            }

            if (!HasTimestamp(out string? timestampProblem))
            {
                Summary.CountRejected(sourceName, lines.LineNumber, timestampProblem!, timestampProblem!);
                continue;
            }

            Summary.CountEvaluated();

            // NOTE: the rules' head and tail pipes are not applied here, so every match raises an alert.
            _dispatch.Evaluate(_record, _sink);
        }
    }

    /// <summary>Ends the scan: rules report the matches they held back until no later event could change them.</summary>
    public void Finish()
    {
        var rules = _rules.Rules;
        for (int i = 0; i < rules.Count; i++)
        {
            rules[i].Flush(_sink);
        }
    }

    /// <summary>An event needs a valid time in <c>@timestamp</c> or in a rule's timestamp override field.</summary>
    private bool HasTimestamp(out string? problem)
    {
        problem = null;
        foreach (int slot in _rules.Schema.TimestampSlots)
        {
            if (_record.TryGetTimestamp(slot, out _))
            {
                return true;
            }
        }

        int timestampSlot = _rules.Schema.TimestampSlots[0];
        problem = _record.HasValue(timestampSlot) ? "invalid @timestamp" : "missing @timestamp";
        return false;
    }
}
