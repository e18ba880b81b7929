using System.Text;
using System.Text.Json;

namespace Compiled.Runtime.Events;

/// <summary>
/// Decodes one JSON object into an <see cref="EventRecord"/> in a single pass with <see cref="Utf8JsonReader"/>.
/// Nested objects and dotted keys reach the same field (<c>{"process":{"name":"x"}}</c> and
/// <c>{"process.name":"x"}</c> both fill <c>process.name</c>); array elements become separate values;
/// objects inside arrays contribute their fields, as Elasticsearch flattens them; subtrees that hold no
/// schema field are skipped unread.
/// </summary>
public sealed class EventDecoder
{
    /// <summary>The maximum nesting depth of an event, as Elasticsearch's default for documents.</summary>
    public const int MaxDepth = 64;

    private readonly FieldSchema _schema;
    private char[] _path = new char[256];

    public EventDecoder(FieldSchema schema) => _schema = schema;

    /// <summary>
    /// Decodes <paramref name="json"/> into <paramref name="record"/>. Returns null on success, or the reason
    /// the line is rejected.
    /// </summary>
    public string? Decode(ReadOnlyMemory<byte> json, EventRecord record)
    {
        record.Clear();
        record.Json = json;
        var span = json.Span;
        if (span.Trim(" \t\r"u8).IsEmpty)
        {
            return "empty line";
        }

        // The reader checks UTF-8 only in the values it decodes, and most values are skipped unread.
        if (!System.Text.Unicode.Utf8.IsValid(span))
        {
            return "invalid UTF-8";
        }

        try
        {
            var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = MaxDepth });
            reader.Read();

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return "the line is not a JSON object";
            }

            ReadObject(ref reader, record, 0);

            // Utf8JsonReader rejects a second top-level value, which reports text after the object.
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException error)
        {
            return "invalid JSON: " + error.Message;
        }
        catch (InvalidOperationException error)
        {
            // CopyString throws this for an escaped lone surrogate such as "\udc00", which has no UTF-16 form.
            return "invalid JSON: " + error.Message;
        }
    }

    private void ReadObject(ref Utf8JsonReader reader, EventRecord record, int pathLength)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int length = AppendName(ref reader, pathLength);
            reader.Read();
            var node = _schema.PathLookup.TryGetValue(_path.AsSpan(0, length), out var found) ? found : new PathNode(-1, false);
            ReadValue(ref reader, record, node, length);
        }
    }

    private void ReadValue(ref Utf8JsonReader reader, EventRecord record, PathNode node, int pathLength)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                if (node.HasChildren)
                {
                    ReadObject(ref reader, record, pathLength);
                }
                else
                {
                    reader.Skip();
                }

                break;
            case JsonTokenType.StartArray:
                if (node.Slot < 0 && !node.HasChildren)
                {
                    reader.Skip();
                    break;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadValue(ref reader, record, node, pathLength);
                }

                break;
            case JsonTokenType.String:
                if (node.Slot >= 0)
                {
                    int maxLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                    var target = record.ReserveChars(maxLength);
                    int written = reader.CopyString(target);
                    record.Add(node.Slot, FieldValueKind.String, written, 0, 0);
                }

                break;
            case JsonTokenType.Number:
                if (node.Slot >= 0)
                {
                    AddNumber(ref reader, record, node.Slot);
                }

                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                if (node.Slot >= 0)
                {
                    bool value = reader.TokenType == JsonTokenType.True;
                    var target = record.ReserveChars(5);
                    int written = value ? Write(target, "true") : Write(target, "false");
                    record.Add(node.Slot, FieldValueKind.Boolean, written, value ? 1 : 0, value ? 1 : 0);
                }

                break;
            default:
                // JSON null: Elasticsearch indexes nothing for it, so the field stays missing.
                break;
        }
    }

    private static void AddNumber(ref Utf8JsonReader reader, EventRecord record, int slot)
    {
        var raw = reader.ValueSpan;
        var target = record.ReserveChars(raw.Length);
        int written = Encoding.ASCII.GetChars(raw, target);
        if (reader.TryGetInt64(out long integer))
        {
            record.Add(slot, FieldValueKind.Integer, written, integer, integer);
        }
        else
        {
            // A number beyond the range of a double, such as 1e999, rejects the line.
            if (!reader.TryGetDouble(out double number) || !double.IsFinite(number))
            {
                throw new JsonException($"the number {Encoding.ASCII.GetString(raw)} is out of range");
            }

            record.Add(slot, FieldValueKind.Float, written, (long)number, number);
        }
    }

    private static int Write(Span<char> target, string text)
    {
        text.AsSpan().CopyTo(target);
        return text.Length;
    }

    /// <summary>Appends the current property name to the path buffer and returns the new path length.</summary>
    private int AppendName(ref Utf8JsonReader reader, int pathLength)
    {
        int maxLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        int needed = pathLength + 1 + maxLength;
        if (needed > _path.Length)
        {
            Array.Resize(ref _path, Math.Max(needed, _path.Length * 2));
        }

        int start = pathLength;
        if (pathLength > 0)
        {
            _path[pathLength] = '.';
            start++;
        }

        int written = reader.CopyString(_path.AsSpan(start));
        return start + written;
    }
}
