using System.Text;
using System.Text.Json;

namespace Compiled.Runtime.Events;

/// <summary>
/// Decodes one JSON object into an <see cref="EventRecord"/> in a single pass with <see cref="Utf8JsonReader"/>.
/// Nested objects and dotted keys reach the same field (<c>{"process":{"name":"x"}}</c> and
/// <c>{"process.name":"x"}</c> both fill <c>process.name</c>); array elements become separate values;
/// objects inside arrays contribute their fields, as Elasticsearch flattens them; subtrees that hold no
/// schema field are skipped unread. Below the anchor of a field pattern (the path before its first
/// <c>*</c>), every value whose path matches the pattern also fills the pattern's slot.
/// </summary>
public sealed class EventDecoder
{
    /// <summary>The maximum nesting depth of an event, as Elasticsearch's default for documents.</summary>
    public const int MaxDepth = 64;

    private readonly FieldSchema _schema;
    private readonly int[] _targets;
    private char[] _path = new char[256];

    public EventDecoder(FieldSchema schema)
    {
        _schema = schema;
        schema.Freeze();
        _targets = new int[1 + schema.Patterns.Count];
    }

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

            ReadObject(ref reader, record, 0, _schema.PatternsAtRoot);

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

    /// <summary>Reads the members of an object. Below a field pattern's anchor (<paramref name="inPatternScope"/>), unknown keys are read too.</summary>
    private void ReadObject(ref Utf8JsonReader reader, EventRecord record, int pathLength, bool inPatternScope)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int length = AppendName(ref reader, pathLength);
            reader.Read();
            var path = _path.AsSpan(0, length);
            bool known = _schema.PathLookup.TryGetValue(path, out var node);
            if (!known)
            {
                node = new PathNode(-1, false, false, -1);
            }

            // Only a key with a dot of its own, such as "b.c" inside "a", can jump past a pattern's anchor.
            int keyStart = pathLength == 0 ? 0 : pathLength + 1;
            bool scope = inPatternScope || node.StartsPatternScope ||
                (!known && _schema.Patterns.Count > 0 && path[keyStart..].Contains('.') && _schema.IsInPatternScope(path));
            ReadValue(ref reader, record, node, length, scope);
        }
    }

    private void ReadValue(ref Utf8JsonReader reader, EventRecord record, PathNode node, int pathLength, bool inPatternScope)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                // NOTE: a dotted key that passes a nested path, such as {"user.first":"a"} for user:{ first:a },
                // starts no element, so nested queries miss its value. Elasticsearch expands the dots into an object.
                if (node.NestedScope >= 0)
                {
                    int parent = record.StartElement(node.NestedScope);
                    ReadObject(ref reader, record, pathLength, inPatternScope);
                    record.EndElement(parent);
                }
                else if (node.HasChildren || (inPatternScope && _schema.PatternMayMatchBelow(_path.AsSpan(0, pathLength))))
                {
                    ReadObject(ref reader, record, pathLength, inPatternScope);
                }
                else
                {
                    reader.Skip();
                }

                break;
            case JsonTokenType.StartArray:
                if (node.Slot < 0 && !node.HasChildren && !inPatternScope)
                {
                    reader.Skip();
                    break;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadValue(ref reader, record, node, pathLength, inPatternScope);
                }

                break;
            case JsonTokenType.String:
                if (Targets(node, pathLength, inPatternScope) is int stringTargets and > 0)
                {
                    int maxLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                    var target = record.ReserveChars(maxLength);
                    int written = reader.CopyString(target);
                    int index = record.Add(_targets[0], FieldValueKind.String, written, 0, 0);
                    CopyToOtherTargets(record, index, stringTargets);
                }

                break;
            case JsonTokenType.Number:
                if (Targets(node, pathLength, inPatternScope) is int numberTargets and > 0)
                {
                    int index = AddNumber(ref reader, record, _targets[0]);
                    CopyToOtherTargets(record, index, numberTargets);
                }

                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                if (Targets(node, pathLength, inPatternScope) is int booleanTargets and > 0)
                {
                    bool value = reader.TokenType == JsonTokenType.True;
                    var target = record.ReserveChars(5);
                    int written = value ? Write(target, "true") : Write(target, "false");
                    int index = record.Add(_targets[0], FieldValueKind.Boolean, written, value ? 1 : 0, value ? 1 : 0);
                    CopyToOtherTargets(record, index, booleanTargets);
                }

                break;
            default:
                // JSON null: Elasticsearch indexes nothing for it, so the field stays missing.
                break;
        }
    }

    /// <summary>
    /// Fills <see cref="_targets"/> with the slots a value at the current path goes to: the field's slot,
    /// then the slot of each field pattern that matches the path. Returns how many there are.
    /// </summary>
    private int Targets(PathNode node, int pathLength, bool inPatternScope)
    {
        int count = 0;
        if (node.Slot >= 0)
        {
            _targets[count++] = node.Slot;
        }

        if (inPatternScope)
        {
            var path = _path.AsSpan(0, pathLength);
            var patterns = _schema.Patterns;
            for (int i = 0; i < patterns.Count; i++)
            {
                if (patterns[i].IsMatch(path))
                {
                    _targets[count++] = _schema.Fields.Count + i;
                }
            }
        }

        return count;
    }

    private void CopyToOtherTargets(EventRecord record, int index, int count)
    {
        for (int i = 1; i < count; i++)
        {
            record.AddCopy(_targets[i], index);
        }
    }

    private static int AddNumber(ref Utf8JsonReader reader, EventRecord record, int slot)
    {
        var raw = reader.ValueSpan;
        var target = record.ReserveChars(raw.Length);
        int written = Encoding.ASCII.GetChars(raw, target);
        if (reader.TryGetInt64(out long integer))
        {
            return record.Add(slot, FieldValueKind.Integer, written, integer, integer);
        }
        else
        {
            // A number beyond the range of a double, such as 1e999, rejects the line.
            if (!reader.TryGetDouble(out double number) || !double.IsFinite(number))
            {
                throw new JsonException($"the number {Encoding.ASCII.GetString(raw)} is out of range");
            }

            return record.Add(slot, FieldValueKind.Float, written, (long)number, number);
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
