using System.Globalization;
using System.Text.Json;

namespace Compiled.Runtime.Rules;

/// <summary>
/// Reads the metadata of a generated rule class. The generator writes a rule's metadata as one JSON
/// string rather than as C# expressions, because the C# compiler and its analyzers bind a string
/// constant far faster than hundreds of nested <c>new</c> expressions, and a build with the whole
/// Elastic rule set compiles about 1,900 of them.
/// </summary>
/// <remarks>
/// The JSON object uses the rule file's key names: <c>rule_id</c>, <c>name</c>, <c>severity</c>,
/// <c>risk_score</c>, <c>threat</c> and so on. Besides those, <c>rule_guid</c> is the rule_id as a
/// UUID and <c>source_file</c> is the rule file's name. <c>severity</c> and <c>maturity</c> hold the
/// names of <see cref="Severity"/> and <see cref="Maturity"/> members, and dates are <c>yyyy-MM-dd</c>.
/// </remarks>
public static class RuleDescriptorJson
{
    /// <summary>Reads <paramref name="json"/> into a descriptor.</summary>
    /// <exception cref="FormatException">The text is not the JSON a generator writes, and names the key at fault.</exception>
    public static RuleDescriptor Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new RuleDescriptor
        {
            RuleId = Guid.Parse(RuleJson.RequiredString(root, "rule_guid")),
            RuleIdText = RuleJson.RequiredString(root, "rule_id"),
            Name = RuleJson.RequiredString(root, "name"),
            Description = RuleJson.RequiredString(root, "description"),
            Severity = RuleJson.EnumValue<Severity>(root, "severity"),
            RiskScore = RuleJson.RequiredInt(root, "risk_score"),
            Type = RuleJson.RequiredString(root, "type"),
            Language = RuleJson.RequiredString(root, "language"),
            Query = RuleJson.RequiredString(root, "query"),
            SourceFile = RuleJson.RequiredString(root, "source_file"),
            Tags = RuleJson.Strings(root, "tags"),
            Index = RuleJson.Strings(root, "index"),
            From = RuleJson.RequiredString(root, "from"),
            Interval = RuleJson.RequiredString(root, "interval"),
            MaxSignals = RuleJson.RequiredInt(root, "max_signals"),
            Version = RuleJson.RequiredInt(root, "version"),
            TimestampOverride = RuleJson.OptionalString(root, "timestamp_override"),
            TimestampOverrideFallbackDisabled = RuleJson.OptionalBoolean(root, "timestamp_override_fallback_disabled"),
            BuildingBlockType = RuleJson.OptionalString(root, "building_block_type"),
            References = RuleJson.Strings(root, "references"),
            FalsePositives = RuleJson.Strings(root, "false_positives"),
            Author = RuleJson.Strings(root, "author"),
            License = RuleJson.OptionalString(root, "license"),
            Maturity = RuleJson.EnumValue<Maturity>(root, "maturity"),
            CreationDate = RuleJson.Date(root, "creation_date"),
            UpdatedDate = RuleJson.Date(root, "updated_date"),
            Threat = Threat(root),
        };
    }

    private static IReadOnlyList<ThreatMapping> Threat(JsonElement root)
    {
        if (!root.TryGetProperty("threat", out var threat))
        {
            return [];
        }

        var mappings = new ThreatMapping[threat.GetArrayLength()];
        int i = 0;
        foreach (var mapping in threat.EnumerateArray())
        {
            var techniques = new List<MitreTechnique>();
            if (mapping.TryGetProperty("technique", out var techniqueArray))
            {
                foreach (var technique in techniqueArray.EnumerateArray())
                {
                    var subtechniques = new List<MitreEntry>();
                    if (technique.TryGetProperty("subtechnique", out var subtechniqueArray))
                    {
                        foreach (var subtechnique in subtechniqueArray.EnumerateArray())
                        {
                            subtechniques.Add(Entry(subtechnique));
                        }
                    }

                    var entry = Entry(technique);
                    techniques.Add(new MitreTechnique(entry.Id, entry.Name, entry.Reference, subtechniques.ToArray()));
                }
            }

            var tactic = mapping.TryGetProperty("tactic", out var tacticElement) ? Entry(tacticElement) : null;
            mappings[i++] = new ThreatMapping(RuleJson.RequiredString(mapping, "framework"), tactic, techniques.ToArray());
        }

        return mappings;
    }

    private static MitreEntry Entry(JsonElement element) =>
        new(RuleJson.RequiredString(element, "id"), RuleJson.RequiredString(element, "name"), RuleJson.RequiredString(element, "reference"));
}
