using System.Buffers;
using System.Text.Json;

namespace Compiled.Runtime.Alerts;

/// <summary>
/// Builds the source fields of a sequence alert: the fields that every event of the sequence has with the
/// same value, as Kibana builds its sequence alert from the fields its building-block alerts share.
/// Objects are intersected field by field, strings, numbers, booleans and nulls are kept when equal, and
/// arrays are never kept, because Kibana compares them by reference. An object left empty is dropped.
/// </summary>
internal static class SequenceFields
{
    /// <summary>Returns the shared fields as one JSON object; <c>{}</c> when the events share none.</summary>
    public static byte[] Intersect(ReadOnlySpan<CapturedEvent> events)
    {
        var documents = new JsonDocument[events.Length];
        try
        {
            var roots = new JsonElement[events.Length];
            for (int i = 0; i < events.Length; i++)
            {
                documents[i] = JsonDocument.Parse(events[i].Json);
                roots[i] = documents[i].RootElement;
            }

            var output = new ArrayBufferWriter<byte>(1024);
            using (var writer = new Utf8JsonWriter(output))
            {
                writer.WriteStartObject();
                WriteShared(writer, roots);
                writer.WriteEndObject();
            }

            return output.WrittenSpan.ToArray();
        }
        finally
        {
            foreach (var document in documents)
            {
                document?.Dispose();
            }
        }
    }

    /// <summary>Writes the properties every object in <paramref name="objects"/> shares; returns how many it wrote.</summary>
    private static int WriteShared(Utf8JsonWriter writer, JsonElement[] objects)
    {
        int written = 0;
        var values = new JsonElement[objects.Length];
        foreach (var property in LastValues(objects[0]))
        {
            values[0] = property.Value;
            bool everywhere = true;
            for (int i = 1; i < objects.Length && everywhere; i++)
            {
                everywhere = TryGetLast(objects[i], property.Name, out values[i]);
            }

            if (!everywhere)
            {
                continue;
            }

            if (AllObjects(values))
            {
                // Write the nested object only when something in it is shared; the writer cannot take back a property.
                var nested = new ArrayBufferWriter<byte>(256);
                int count;
                using (var nestedWriter = new Utf8JsonWriter(nested))
                {
                    nestedWriter.WriteStartObject();
                    count = WriteShared(nestedWriter, values);
                    nestedWriter.WriteEndObject();
                }

                if (count > 0)
                {
                    writer.WritePropertyName(property.Name);
                    writer.WriteRawValue(nested.WrittenSpan, skipInputValidation: true);
                    written++;
                }
            }
            else if (AllEqualScalars(values))
            {
                writer.WritePropertyName(property.Name);
                values[0].WriteTo(writer);
                written++;
            }
        }

        return written;
    }

    /// <summary>
    /// Returns the object's properties in order, with the last value of a key written twice. The scan host
    /// rejects events with a duplicate key before this, as Elasticsearch does.
    /// </summary>
    private static IEnumerable<JsonProperty> LastValues(JsonElement element)
    {
        var last = new Dictionary<string, JsonProperty>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var property in element.EnumerateObject())
        {
            if (!last.ContainsKey(property.Name))
            {
                order.Add(property.Name);
            }

            last[property.Name] = property;
        }

        foreach (var name in order)
        {
            yield return last[name];
        }
    }

    private static bool TryGetLast(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        bool found = false;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals(name))
            {
                value = property.Value;
                found = true;
            }
        }

        return found;
    }

    private static bool AllObjects(JsonElement[] values)
    {
        foreach (var value in values)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
        }

        return true;
    }

    private static bool AllEqualScalars(JsonElement[] values)
    {
        var first = values[0];
        if (first.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            return false;
        }

        for (int i = 1; i < values.Length; i++)
        {
            var other = values[i];
            bool equal = (first.ValueKind, other.ValueKind) switch
            {
                (JsonValueKind.String, JsonValueKind.String) => first.ValueEquals(other.GetString()),
                (JsonValueKind.Number, JsonValueKind.Number) => first.GetDouble() == other.GetDouble(),
                _ => first.ValueKind == other.ValueKind && first.ValueKind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null,
            };
            if (!equal)
            {
                return false;
            }
        }

        return true;
    }
}
