using System.Text.Json;
using Compiled.Runtime.Alerts;

namespace Compiled.Runtime.Stateful;

/// <summary>Writes the <c>kibana.alert.*</c> fields one kind of rule adds to its alerts.</summary>
public interface IAlertFields
{
    void Write(Utf8JsonWriter writer);
}

/// <summary>
/// An alert of a threshold, new_terms or threat_match rule, or a suppressed alert of any rule: the
/// document it is built on, its times and the extra fields the rule type adds.
/// </summary>
public sealed class StatefulAlert
{
    public StatefulAlert(CapturedEvent source, long timestamp, string? idKey)
    {
        Source = source;
        Timestamp = timestamp;
        IdKey = idKey;
    }

    /// <summary>
    /// The document the alert copies its fields from: the matching event, or for a threshold alert a
    /// document made of the group-by fields, as Kibana builds one.
    /// </summary>
    public CapturedEvent Source { get; }

    /// <summary>The alert time, in nanoseconds since the Unix epoch.</summary>
    public long Timestamp { get; }

    /// <summary>
    /// The id of the source document when <see cref="Source"/> is not that document as read (a threshold
    /// bucket, or an event with <c>threat.enrichments</c> added), or null to use the document's id. Together
    /// with the rule id, the <c>_index</c> of the source's hit and <see cref="IdDiscriminator"/> it makes the alert id.
    /// </summary>
    public string? IdKey { get; }

    /// <summary>Text that tells apart two alerts of one rule on one document, such as the new terms found.</summary>
    public string? IdDiscriminator { get; init; }

    /// <summary>The rule type's fields, such as <c>kibana.alert.threshold_result</c>.</summary>
    public IAlertFields? Fields { get; init; }

    /// <summary>The <c>kibana.alert.suppression.*</c> fields, set when alert suppression merged documents into this alert.</summary>
    public SuppressionFields? Suppression { get; set; }

    /// <summary>Writes the rule type's fields and the suppression fields.</summary>
    public void WriteFields(Utf8JsonWriter writer)
    {
        Fields?.Write(writer);
        Suppression?.Write(writer);
    }
}
