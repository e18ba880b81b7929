using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Tests.Support;

/// <summary>Records matches as the JSON of their events, for assertions.</summary>
public sealed class RecordingSink : IAlertSink
{
    public List<(string Rule, JsonElement Event)> Events { get; } = [];

    public List<(string Rule, JsonElement[] Events)> Sequences { get; } = [];

    public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) =>
        Events.Add((rule.Descriptor.Name, JsonDocument.Parse(ev.Json).RootElement.Clone()));

    public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
    {
        var parsed = new JsonElement[events.Length];
        for (int i = 0; i < events.Length; i++)
        {
            parsed[i] = JsonDocument.Parse(events[i].Json).RootElement.Clone();
        }

        Sequences.Add((rule.Descriptor.Name, parsed));
    }
}
