using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Compiled.Conformance.Cases;

/// <summary>
/// What an Elasticsearch index mapping (<c>data/NAME.mapping</c>) changes about the documents that the
/// JSON alone does not show: alias fields, <c>null_value</c> substitutes, dates in custom formats, field
/// types and the tiebreaker.
/// </summary>
public sealed class IndexMapping
{
    /// <summary>The mapped types that a rule's <c>[[rule.required_fields]]</c> gives a meaning to.</summary>
    private static readonly HashSet<string> RuleFieldTypes = new(StringComparer.Ordinal) { "version", "date", "date_nanos" };

    private IndexMapping(
        IReadOnlyList<(string Alias, string Path)> aliases,
        IReadOnlyList<(string Field, JsonNode Value)> nullValues,
        IReadOnlyDictionary<string, string> types,
        IReadOnlyList<(string Field, string Format)> dateFormats)
    {
        Aliases = aliases;
        NullValues = nullValues;
        Types = types;
        DateFormats = dateFormats;
        Tiebreaker = aliases.Where(alias => alias.Alias == "event.sequence").Select(alias => alias.Path).FirstOrDefault();
    }

    /// <summary>Alias fields and the fields they read, such as <c>event.category</c> for <c>event_type</c>.</summary>
    public IReadOnlyList<(string Alias, string Path)> Aliases { get; }

    /// <summary>Fields whose JSON null Elasticsearch indexes as a substitute value.</summary>
    public IReadOnlyList<(string Field, JsonNode Value)> NullValues { get; }

    /// <summary>The type of each mapped field other than aliases and objects, such as <c>version</c> or <c>date</c>.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>Date fields with a custom <c>format</c>, such as <c>dd-MM-yyyy</c>.</summary>
    public IReadOnlyList<(string Field, string Format)> DateFormats { get; }

    /// <summary>
    /// The fields of the named data sets whose type a rule can declare (<c>version</c>, <c>date</c>,
    /// <c>date_nanos</c>), sorted by name. A field typed differently in two data sets is left out.
    /// </summary>
    public static IReadOnlyList<(string Name, string Type)> TypedFields(string suiteFolder, IEnumerable<string> dataSets)
    {
        var types = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (string name in dataSets)
        {
            foreach (var (field, type) in Read(Path.Combine(suiteFolder, "data", name + ".mapping")).Types)
            {
                types[field] = types.TryGetValue(field, out var seen) && seen != type ? null : type;
            }
        }

        return types.Where(pair => pair.Value is not null && RuleFieldTypes.Contains(pair.Value))
            .Select(pair => (pair.Key, pair.Value!)).ToList();
    }

    /// <summary>
    /// The field the suite sorts ties by and identifies events with: the target of the <c>event.sequence</c>
    /// alias, or null when the mapping has none.
    /// </summary>
    public string? Tiebreaker { get; }

    /// <summary>Reads a mapping file, which may start with <c>#</c> comment lines.</summary>
    public static IndexMapping Read(string path)
    {
        var json = string.Join('\n', File.ReadLines(path).Where(line => !line.TrimStart().StartsWith('#')));
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true })?.AsObject()
            ?? throw new InvalidDataException($"The mapping {path} is not a JSON object.");
        var aliases = new List<(string, string)>();
        var nullValues = new List<(string, JsonNode)>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var dateFormats = new List<(string, string)>();
        if (root["properties"] is JsonObject properties)
        {
            Collect(properties, prefix: "", aliases, nullValues, types, dateFormats);
        }

        return new IndexMapping(aliases, nullValues, types, dateFormats);
    }

    /// <summary>
    /// Applies the mapping to one document: fills alias fields, substitutes null values, and rewrites dates in
    /// a custom format as ISO 8601. Elasticsearch parses such a date with the mapping's format when it indexes
    /// the document, and compares and joins the instant, which a rule reading the raw text could not know.
    /// </summary>
    public void Apply(JsonObject document)
    {
        foreach (var (field, format) in DateFormats)
        {
            if (JsonPaths.TryFind(document, field, out var parent, out var key) && parent[key] is JsonValue value &&
                value.GetValueKind() == JsonValueKind.String)
            {
                parent[key] = ParseCustomDate(value.GetValue<string>(), format).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            }
        }

        foreach (var (alias, path) in Aliases)
        {
            if (JsonPaths.Get(document, path) is { } value && !JsonPaths.TryFind(document, alias, out _, out _))
            {
                // A dotted key reaches the same field as a nested object, in Elasticsearch and in the runtime's decoder.
                document[alias] = value.DeepClone();
            }
        }

        foreach (var (field, substitute) in NullValues)
        {
            if (!JsonPaths.TryFind(document, field, out var parent, out var key))
            {
                continue;
            }

            if (parent[key] is null)
            {
                parent[key] = substitute.DeepClone();
            }
            else if (parent[key] is JsonArray array)
            {
                for (int i = 0; i < array.Count; i++)
                {
                    array[i] ??= substitute.DeepClone();
                }
            }
        }
    }

    /// <summary>
    /// Parses a date written in a Java date pattern such as <c>dd-MM-yyyy</c>, as UTC. Patterns of the letters
    /// y, M, d, H, m, s and S read the same in .NET; named formats such as <c>epoch_millis</c> are not handled.
    /// </summary>
    private static DateTime ParseCustomDate(string text, string format)
    {
        foreach (string pattern in format.Split("||"))
        {
            if (DateTime.TryParseExact(text, pattern.Replace('S', 'f'), CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
            {
                return time;
            }
        }

        throw new InvalidDataException($"The date '{text}' does not match the mapping's format '{format}'.");
    }

    private static void Collect(
        JsonObject properties,
        string prefix,
        List<(string, string)> aliases,
        List<(string, JsonNode)> nullValues,
        Dictionary<string, string> types,
        List<(string, string)> dateFormats)
    {
        foreach (var (name, definition) in properties)
        {
            if (definition is not JsonObject field)
            {
                continue;
            }

            string fullName = prefix + name;
            if (field["properties"] is JsonObject children)
            {
                Collect(children, fullName + ".", aliases, nullValues, types, dateFormats);
            }

            if ((string?)field["type"] is { } type && type != "alias")
            {
                types[fullName] = type;
            }

            if ((string?)field["type"] is "date" or "date_nanos" && (string?)field["format"] is { } format)
            {
                dateFormats.Add((fullName, format));
            }

            if ((string?)field["type"] == "alias" && (string?)field["path"] is { } target)
            {
                aliases.Add((fullName, target));
            }

            if (field["null_value"] is { } substitute)
            {
                nullValues.Add((fullName, substitute.DeepClone()));
            }
        }
    }
}
