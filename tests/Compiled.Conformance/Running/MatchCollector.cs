using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Conformance.Running;

/// <summary>
/// Collects each rule's results in the order the runtime reports them: an event match is a result of one
/// event id, a sequence match a result of its events' ids in stage order.
/// </summary>
public sealed class MatchCollector(IReadOnlyList<string> idsByLine) : IAlertSink
{
    private readonly Dictionary<Guid, List<IReadOnlyList<string>>> _results = [];
    private readonly Dictionary<Guid, List<(string Key, IReadOnlyList<string> Ids)>> _samples = [];

    /// <summary>
    /// Returns a rule's results. Samples come sorted by join key, as Elasticsearch returns them, not in the
    /// order the stream completed them.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> ResultsOf(Guid ruleId)
    {
        if (_samples.TryGetValue(ruleId, out var samples))
        {
            return samples.OrderBy(sample => sample.Key, StringComparer.Ordinal).Select(sample => sample.Ids).ToList();
        }

        return _results.TryGetValue(ruleId, out var results) ? results : [];
    }

    public void OnSampleMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events, string joinKey)
    {
        var ids = new string[events.Length];
        for (int i = 0; i < events.Length; i++)
        {
            ids[i] = IdOf(events[i].LineNumber);
        }

        if (!_samples.TryGetValue(rule.Descriptor.RuleId, out var samples))
        {
            _samples[rule.Descriptor.RuleId] = samples = [];
        }

        samples.Add((joinKey, ids));
    }

    public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) =>
        Add(rule, [IdOf(ev.LineNumber)]);

    /// <summary>Records a sequence's ids in stage order, with -1 in each missing-event stage's slot, as the suite writes them.</summary>
    public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
    {
        var ids = new List<string>();
        int next = 0;
        var missing = rule.MissingStages;
        int stages = missing.Count == 0 ? events.Length : missing.Count;
        for (int stage = 0; stage < stages; stage++)
        {
            ids.Add(missing.Count > 0 && missing[stage] ? "-1" : IdOf(events[next++].LineNumber));
        }

        Add(rule, ids);
    }

    private void Add(DetectionRule rule, IReadOnlyList<string> result)
    {
        if (!_results.TryGetValue(rule.Descriptor.RuleId, out var results))
        {
            _results[rule.Descriptor.RuleId] = results = [];
        }

        results.Add(result);
    }

    /// <summary>Maps a 1-based NDJSON line number to the id of the event on that line.</summary>
    private string IdOf(long lineNumber) => idsByLine[checked((int)lineNumber - 1)];
}
