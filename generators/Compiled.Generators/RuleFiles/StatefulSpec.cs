using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.RuleFiles;

/// <summary>
/// The schedule and type-specific settings of a rule that keeps state across events (threshold, new_terms,
/// threat_match) or suppresses alerts. Durations are in nanoseconds.
/// </summary>
internal sealed record StatefulSpec(
    long Interval,
    long Lookback,
    ThresholdSpec? Threshold,
    NewTermsSpec? NewTerms,
    ThreatMatchSpec? ThreatMatch,
    SuppressionSpec? Suppression);

/// <summary>The <c>[rule.threshold]</c> table: group-by fields, the count and an optional cardinality condition.</summary>
internal sealed record ThresholdSpec(EquatableArray<string> Fields, long Value, string? CardinalityField, long CardinalityValue);

/// <summary>The <c>[rule.new_terms]</c> table: one to three fields and the history window.</summary>
internal sealed record NewTermsSpec(EquatableArray<string> Fields, string HistoryWindowStart, long HistoryWindow);

/// <summary>
/// The indicator settings of a threat_match rule. <see cref="ThreatFilters"/> is the <c>threat_filters</c>
/// array as JSON text, or null when the rule has none.
/// </summary>
internal sealed record ThreatMatchSpec(
    EquatableArray<ThreatMappingSpec> Mappings,
    string IndicatorPath,
    string? ThreatQuery,
    string? ThreatLanguage,
    EquatableArray<string> ThreatIndex,
    string? ThreatFilters,
    EventFilter? IndicatorFilter = null);

/// <summary>One <c>[[rule.threat_mapping]]</c>: its entries must all match.</summary>
internal sealed record ThreatMappingSpec(EquatableArray<ThreatEntrySpec> Entries);

/// <summary>
/// One mapping entry: the event field <see cref="Field"/> equals the indicator field <see cref="Value"/>.
/// <see cref="Ip"/> is true when the event field has the <c>ip</c> type, so values compare as addresses.
/// </summary>
internal sealed record ThreatEntrySpec(string Field, string Value, bool Negate, bool Ip = false);

/// <summary>The <c>[rule.alert_suppression]</c> table.</summary>
internal sealed record SuppressionSpec(EquatableArray<string> GroupBy, long? Duration, bool DoNotSuppress);
