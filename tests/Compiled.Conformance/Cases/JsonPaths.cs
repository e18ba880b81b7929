using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Compiled.Conformance.Cases;

/// <summary>Finds a dotted field name in a JSON document, whether it is written nested, dotted or both.</summary>
public static class JsonPaths
{
    /// <summary>
    /// Finds the object and key that hold <paramref name="path"/>: <c>process.pid</c> is found as
    /// <c>{"process.pid": 1}</c> and as <c>{"process": {"pid": 1}}</c>.
    /// </summary>
    public static bool TryFind(JsonObject document, string path, [NotNullWhen(true)] out JsonObject? parent, [NotNullWhen(true)] out string? key)
    {
        if (document.ContainsKey(path))
        {
            parent = document;
            key = path;
            return true;
        }

        for (int dot = path.IndexOf('.'); dot > 0; dot = path.IndexOf('.', dot + 1))
        {
            if (document[path[..dot]] is JsonObject child && TryFind(child, path[(dot + 1)..], out parent, out key))
            {
                return true;
            }
        }

        parent = null;
        key = null;
        return false;
    }

    /// <summary>Returns the value at <paramref name="path"/>, or null when the field is missing or JSON null.</summary>
    public static JsonNode? Get(JsonObject document, string path) =>
        TryFind(document, path, out var parent, out var key) ? parent[key] : null;
}
