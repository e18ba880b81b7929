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
            RuleId = Guid.Parse(RequiredString(root, "rule_guid")),
            RuleIdText = RequiredString(root, "rule_id"),
            Name = RequiredString(root, "name"),
            Description = RequiredString(root, "description"),
            Severity = EnumValue<Severity>(root, "severity"),
            RiskScore = RequiredInt(root, "risk_score"),
            Type = RequiredString(root, "type"),
            Language = RequiredString(root, "language"),
            Query = RequiredString(root, "query"),
            SourceFile = RequiredString(root, "source_file"),
            Tags = Strings(root, "tags"),
            Index = Strings(root, "index"),
            From = RequiredString(root, "from"),
            Interval = RequiredString(root, "interval"),
            MaxSignals = RequiredInt(root, "max_signals"),
            Version = RequiredInt(root, "version"),
            TimestampOverride = OptionalString(root, "timestamp_override"),
            TimestampOverrideFallbackDisabled = root.TryGetProperty("timestamp_override_fallback_disabled", out var disabled) && disabled.GetBoolean(),
            BuildingBlockType = OptionalString(root, "building_block_type"),
            References = Strings(root, "references"),
            FalsePositives = Strings(root, "false_positives"),
            Author = Strings(root, "author"),
            License = OptionalString(root, "license"),
            Maturity = EnumValue<Maturity>(root, "maturity"),
            CreationDate = Date(root, "creation_date"),
            UpdatedDate = Date(root, "updated_date"),
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
            mappings[i++] = new ThreatMapping(RequiredString(mapping, "framework"), tactic, techniques.ToArray());
        }

        return mappings;
    }

    private static MitreEntry Entry(JsonElement element) =>
        new(RequiredString(element, "id"), RequiredString(element, "name"), RequiredString(element, "reference"));

    private static string RequiredString(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Missing(key, "a string");

    private static string? OptionalString(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int RequiredInt(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : throw Missing(key, "a 32-bit integer");

    private static TEnum EnumValue<TEnum>(JsonElement element, string key)
        where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(RequiredString(element, key), ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw Missing(key, $"a {typeof(TEnum).Name} name");

    private static DateOnly? Date(JsonElement element, string key)
    {
        string? text = OptionalString(element, key);
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw Missing(key, "a yyyy-MM-dd date");
    }

    private static IReadOnlyList<string> Strings(JsonElement element, string key)
    {
        if (!element.TryGetProperty(key, out var array))
        {
            return [];
        }

        var values = new string[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            values[i++] = item.GetString() ?? throw Missing(key, "an array of strings");
        }

        return values;
    }

    private static FormatException Missing(string key, string expected) =>
        new($"Invalid rule metadata: '{key}' is missing or not {expected}. Build the rules with the Compiled.Generators version that matches Compiled.Runtime.");
}
