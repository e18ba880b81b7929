using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Alerts;

/// <summary>What <see cref="AlertWriter"/> wrote, and dropped, for one rule.</summary>
public sealed class RuleAlertCounts
{
    internal RuleAlertCounts(RuleDescriptor rule) => Window = new MaxSignalsWindow(rule);

    /// <summary>Alert documents written, building-block alerts included.</summary>
    public long Alerts { get; internal set; }

    /// <summary>Alerts written with <c>kibana.alert.building_block_type</c>: the events of a sequence, or any alert of a building-block rule.</summary>
    public long BuildingBlockAlerts { get; internal set; }

    /// <summary>Alerts, or whole sequences, not written because the rule had reached max_signals in that interval.</summary>
    public long MaxSignalsDropped { get; internal set; }

    internal MaxSignalsWindow Window { get; }
}
