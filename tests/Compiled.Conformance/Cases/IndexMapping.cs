using System.Text.Json;
using System.Text.Json.Nodes;

namespace Compiled.Conformance.Cases;

/// <summary>
/// What an Elasticsearch index mapping (<c>data/NAME.mapping</c>) changes about the documents that the
/// JSON alone does not show: alias fields, <c>null_value</c> substitutes and the tiebreaker.
/// </summary>
public sealed class IndexMapping
{
    private IndexMapping(IReadOnlyList<(string Alias, string Path)> aliases, IReadOnlyList<(string Field, JsonNode Value)> nullValues)
    {
        Aliases = aliases;
        NullValues = nullValues;
        Tiebreaker = aliases.Where(alias => alias.Alias == "event.sequence").Select(alias => alias.Path).FirstOrDefault();
    }

    /// <summary>Alias fields and the fields they read, such as <c>event.category</c> for <c>event_type</c>.</summary>
    public IReadOnlyList<(string Alias, string Path)> Aliases { get; }

    /// <summary>Fields whose JSON null Elasticsearch indexes as a substitute value.</summary>
    public IReadOnlyList<(string Field, JsonNode Value)> NullValues { get; }

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
        if (root["properties"] is JsonObject properties)
        {
            Collect(properties, prefix: "", aliases, nullValues);
        }

        return new IndexMapping(aliases, nullValues);
    }

    /// <summary>Applies the mapping to one document: fills alias fields and substitutes null values.</summary>
    public void Apply(JsonObject document)
    {
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

    private static void Collect(JsonObject properties, string prefix, List<(string, string)> aliases, List<(string, JsonNode)> nullValues)
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
                Collect(children, fullName + ".", aliases, nullValues);
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
