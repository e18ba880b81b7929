using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Compiled.Runtime.Events;

/// <summary>
/// Decodes one JSON object into an <see cref="EventRecord"/> in a single pass with <see cref="Utf8JsonReader"/>.
/// Nested objects and dotted keys reach the same field (<c>{"process":{"name":"x"}}</c> and
/// <c>{"process.name":"x"}</c> both fill <c>process.name</c>); array elements become separate values;
/// objects inside arrays contribute their fields, as Elasticsearch flattens them. Subtrees that contain no
/// schema field are not decoded, but they are still checked: an event is rejected, as Elasticsearch
/// rejects the document, when any object in it has the same key twice or when any number overflows the
/// type that dynamic mapping gives it (<c>long</c> for an integer, <c>float</c> for a number with a
/// fraction or an exponent). Below the anchor of a field pattern (the path before its first <c>*</c>),
/// every value whose path matches the pattern also fills the pattern's slot.
/// </summary>
public sealed partial class EventDecoder
{
    /// <summary>The maximum nesting depth of an event, as Elasticsearch's default for documents.</summary>
    public const int MaxDepth = 64;

    private static readonly SearchValues<byte> StringEnds = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> ScalarEnds = SearchValues.Create(",}] \t\r\n"u8);

    private readonly FieldSchema _schema;
    private readonly PathTrie _trie;
    private readonly OpenObjectKeys? _keys;
    private readonly int[] _targets;
    private readonly bool _hasPatterns;

    // The path of the value being read as UTF-8, each key after a dot: ".process.name" for process.name. Its text
    // is written out as characters to _path only for field patterns and messages.
    private byte[] _pathBytes = new byte[256];
    private char[] _path = new char[256];
    private byte[] _unescapedKey = new byte[64];

    /// <summary>The longest string that <see cref="CopyString"/> widens itself.</summary>
    private const int ShortStringLength = 32;

    public EventDecoder(FieldSchema schema)
        : this(schema, checkWholeEvent: true)
    {
    }

    /// <summary>
    /// Creates a decoder. With <paramref name="checkWholeEvent"/> false, the decoder is for a host that has
    /// already decoded the same bytes with a checking decoder: it takes them as valid JSON, checks only the
    /// values it decodes, and passes over the top-level members that hold no schema field by matching
    /// brackets, without reading their tokens.
    /// </summary>
    public EventDecoder(FieldSchema schema, bool checkWholeEvent)
    {
        _schema = schema;
        _trie = schema.Trie;
        _targets = new int[1 + schema.Patterns.Count];
        _hasPatterns = schema.Patterns.Count > 0;
        _keys = checkWholeEvent ? new OpenObjectKeys(MaxDepth) : null;
        _keyOwners = checkWholeEvent ? new int[_trie.NodeCount] : [];
    }

    /// <summary>
    /// True to decode every event with the reader path alone, without the scanner, as a reference for tests.
    /// </summary>
    internal bool ReaderOnly { get; init; }

    /// <summary>The number of events the checking decoder has read with the reader path, because the scanner gave up or was off.</summary>
    internal long ReaderDecodes { get; private set; }

    /// <summary>
    /// Decodes <paramref name="json"/> into <paramref name="record"/>. Returns null on success, or the reason
    /// the line is rejected.
    /// </summary>
    public string? Decode(ReadOnlyMemory<byte> json, EventRecord record)
    {
        record.Clear();
        record.Json = json;
        var span = json.Span;
        if (_keys is null)
        {
            return DecodeChecked(span, record);
        }

        if (span.Trim(" \t\r"u8).IsEmpty)
        {
            return "empty line";
        }

        // The reader checks UTF-8 only in the values it decodes, and most values are never decoded.
        if (!System.Text.Unicode.Utf8.IsValid(span))
        {
            return "invalid UTF-8";
        }

        _keys.Clear();
        if (!ReaderOnly && TryScan(span, record))
        {
            return null;
        }

        // The scanner gave up: the reader decodes the event again from the start and gives the verdict.
        ReaderDecodes++;
        record.Clear();
        record.Json = json;
        _keys.Clear();
        try
        {
            var reader = new Utf8JsonReader(span, new JsonReaderOptions { MaxDepth = MaxDepth });
            reader.Read();

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return "the line is not a JSON object";
            }

            ReadObject(ref reader, record, PathTrie.Root, 0, _schema.PatternsAtRoot, span);

            // Utf8JsonReader rejects a second top-level value, which reports text after the object.
            while (reader.Read())
            {
            }

            return null;
        }
        catch (RejectedEventException error)
        {
            return error.Message;
        }
        catch (JsonException error)
        {
            return InvalidJson(error);
        }
        catch (InvalidOperationException error)
        {
            // CopyString throws this for an escaped lone surrogate such as "\udc00", which has no UTF-16 form.
            // NOTE: only decoded strings reach CopyString, so such an escape rejects the event in a field that a rule
            // reads and passes in any other field. What Elasticsearch does with the document was not checked.
            return "invalid JSON: " + error.Message;
        }
    }

    /// <summary>Reads the members of an object. Below a field pattern's anchor (<paramref name="inPatternScope"/>), unknown keys are read too.</summary>
    private void ReadObject(ref Utf8JsonReader reader, EventRecord record, int node, int pathLength, bool inPatternScope, ReadOnlySpan<byte> json)
    {
        _keys?.BeginObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            AddKey(ref reader, json);
            var key = KeyBytes(ref reader);
            int length = AppendKey(key, pathLength);
            int child = _trie.Child(node, key);
            var info = _trie[child];
            bool scope = IsInPatternScope(inPatternScope, child, info, key, length);
            reader.Read();
            ReadValue(ref reader, record, child, info, length, scope, json);
        }

        _keys?.EndObject();
    }

    /// <summary>
    /// Returns whether the value of <paramref name="key"/>, at the path just appended, is below a field pattern's
    /// anchor: its parent is, or its node starts one, or the key has a dot of its own, such as "b.c" inside "a",
    /// and jumps past an anchor to an unknown path below it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsInPatternScope(bool parentInScope, int node, PathNode info, ReadOnlySpan<byte> key, int pathLength) =>
        parentInScope || info.StartsPatternScope ||
        (node == PathTrie.Unknown && _hasPatterns && key.Contains((byte)'.') && _schema.IsInPatternScope(PathText(pathLength)));

    /// <summary>
    /// Decodes an event that a checking decoder has accepted. Each top-level member whose path leads to no
    /// schema field is passed over by matching brackets, and the others are read with a reader of their own.
    /// </summary>
    private string? DecodeChecked(ReadOnlySpan<byte> json, EventRecord record)
    {
        try
        {
            // An accepted event starts with its brace, after white space only.
            int position = json.IndexOf((byte)'{') + 1;
            while (true)
            {
                position = SkipWhiteSpace(json, position);
                byte next = json[position];
                if (next == (byte)'}')
                {
                    return null;
                }

                if (next == (byte)',')
                {
                    position++;
                    continue;
                }

                int nameEnd = StringEnd(json, position + 1, out bool escaped);
                int valueStart = SkipWhiteSpace(json, SkipWhiteSpace(json, nameEnd + 1) + 1);
                var key = escaped ? UnescapeKey(json[position..(nameEnd + 1)]) : json[(position + 1)..nameEnd];
                int length = AppendKey(key, 0);
                int node = _trie.Child(PathTrie.Root, key);
                var info = _trie[node];
                bool scope = IsInPatternScope(_schema.PatternsAtRoot, node, info, key, length);
                if (info.Slot >= 0 || info.HasChildren || info.NestedScope >= 0 || scope)
                {
                    // The reader sees the value as a whole document and stops at its end, before the comma
                    // or brace after it, which only a further Read would reject.
                    var rest = json[valueStart..];
                    var reader = new Utf8JsonReader(rest, new JsonReaderOptions { MaxDepth = MaxDepth });
                    reader.Read();
                    ReadValue(ref reader, record, node, info, length, scope, rest);
                    position = valueStart + (int)reader.BytesConsumed;
                }
                else
                {
                    position = ValueEnd(json, valueStart);
                }
            }
        }
        catch (Exception error) when (error is InvalidOperationException or JsonException or IndexOutOfRangeException)
        {
            // CopyString throws InvalidOperationException for an escaped lone surrogate such as "\udc00", which
            // has no UTF-16 form. The others come only from bytes that a checking decoder did not accept.
            return error is JsonException invalid ? InvalidJson(invalid) : "invalid JSON: " + error.Message;
        }
    }

    /// <summary>
    /// Returns the reader's message with its position as an offset in the line. The reader counts lines from the
    /// start of the JSON it read, so its line number would contradict the input's line printed beside the message.
    /// </summary>
    internal static string InvalidJson(JsonException error)
    {
        string message = error.Message;
        int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position < 0)
        {
            return "invalid JSON: " + message;
        }

        string where = error.LineNumber is > 0 ? $"line {error.LineNumber + 1} of the event, offset {error.BytePositionInLine} in that line" : $"offset {error.BytePositionInLine} in the line";
        return $"invalid JSON: {message[..position]} (at {where})";
    }

    /// <summary>Returns the unescaped UTF-8 bytes of a key given as its JSON string token, quotes included.</summary>
    private ReadOnlySpan<byte> UnescapeKey(ReadOnlySpan<byte> token)
    {
        var reader = new Utf8JsonReader(token);
        reader.Read();
        int length = Unescape(ref reader);
        return _unescapedKey.AsSpan(0, length);
    }

    private static int SkipWhiteSpace(ReadOnlySpan<byte> json, int position)
    {
        while (json[position] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            position++;
        }

        return position;
    }

    /// <summary>Returns the position of the quote that closes the string whose text starts at <paramref name="position"/>.</summary>
    private static int StringEnd(ReadOnlySpan<byte> json, int position, out bool escaped)
    {
        escaped = false;
        while (true)
        {
            position = Find(json, position, StringEnds);
            if (json[position] == (byte)'"')
            {
                return position;
            }

            // Skips the backslash and the character after it. The rest of a \u escape contains no quote or backslash.
            escaped = true;
            position += 2;
        }
    }

    private static int Find(ReadOnlySpan<byte> json, int position, SearchValues<byte> values)
    {
        int found = json[position..].IndexOfAny(values);
        return found >= 0 ? position + found : throw new JsonException("the event ends inside a value");
    }

    /// <summary>Returns the position just after the valid JSON value that starts at <paramref name="position"/>.</summary>
    private static int ValueEnd(ReadOnlySpan<byte> json, int position)
    {
        byte first = json[position];
        if (first == (byte)'"')
        {
            return StringEnd(json, position + 1, out _) + 1;
        }

        if (first is not ((byte)'{' or (byte)'['))
        {
            int end = json[position..].IndexOfAny(ScalarEnds);
            return end < 0 ? json.Length : position + end;
        }

        // Quotes and brackets are a few bytes apart in an event, and over the corpus events a byte loop
        // was faster here than a vector search for the next one.
        int depth = 0;
        while (true)
        {
            byte next = json[position++];
            if (next == (byte)'"')
            {
                position = StringEnd(json, position, out _) + 1;
            }
            else if (next is (byte)'{' or (byte)'[')
            {
                depth++;
            }
            else if (next is (byte)'}' or (byte)']')
            {
                depth--;
                if (depth == 0)
                {
                    return position;
                }
            }
        }
    }

    private void ReadValue(ref Utf8JsonReader reader, EventRecord record, int node, PathNode info, int pathLength, bool inPatternScope, ReadOnlySpan<byte> json)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                // NOTE: a dotted key that passes a nested path, such as {"user.first":"a"} for user:{ first:a },
                // starts no element, so nested queries miss its value. Elasticsearch expands the dots into an object.
                if (info.NestedScope >= 0)
                {
                    int parent = record.StartElement(info.NestedScope);
                    ReadObject(ref reader, record, node, pathLength, inPatternScope, json);
                    record.EndElement(parent);
                }
                else if (info.HasChildren || (inPatternScope && _schema.PatternMayMatchBelow(PathText(pathLength))))
                {
                    ReadObject(ref reader, record, node, pathLength, inPatternScope, json);
                }
                else
                {
                    Skip(ref reader, json);
                }

                break;
            case JsonTokenType.StartArray:
                if (info.Slot < 0 && !info.HasChildren && !inPatternScope)
                {
                    Skip(ref reader, json);
                    break;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    ReadValue(ref reader, record, node, info, pathLength, inPatternScope, json);
                }

                break;
            case JsonTokenType.String:
                if (Targets(info, pathLength, inPatternScope) is int stringTargets and > 0)
                {
                    int maxLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                    var target = record.ReserveChars(maxLength);
                    int written = CopyString(ref reader, target);
                    int index = record.Add(_targets[0], FieldValueKind.String, written, 0, 0);
                    CopyToOtherTargets(record, index, stringTargets);
                }

                break;
            case JsonTokenType.Number:
                if (Targets(info, pathLength, inPatternScope) is int numberTargets and > 0)
                {
                    int index = AddNumber(ref reader, record, _targets[0], pathLength);
                    CopyToOtherTargets(record, index, numberTargets);
                }
                else if (_keys is not null)
                {
                    CheckNumber(ref reader, json);
                }

                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                if (Targets(info, pathLength, inPatternScope) is int booleanTargets and > 0)
                {
                    AddBoolean(record, reader.TokenType == JsonTokenType.True, booleanTargets);
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
            var path = PathText(pathLength);
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

    /// <summary>Adds a boolean to the <paramref name="count"/> slots in <see cref="_targets"/>, with the text "true" or "false".</summary>
    private void AddBoolean(EventRecord record, bool value, int count)
    {
        var target = record.ReserveChars(5);
        int written = value ? Write(target, "true") : Write(target, "false");
        int index = record.Add(_targets[0], FieldValueKind.Boolean, written, value ? 1 : 0, value ? 1 : 0);
        CopyToOtherTargets(record, index, count);
    }

    private void CopyToOtherTargets(EventRecord record, int index, int count)
    {
        for (int i = 1; i < count; i++)
        {
            record.AddCopy(_targets[i], index);
        }
    }

    /// <summary>
    /// Moves past the object or array that <paramref name="reader"/> is on without decoding it. Unless the
    /// decoder skips unread, it still checks every key and number inside.
    /// </summary>
    private void Skip(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (_keys is null)
        {
            reader.Skip();
            return;
        }

        int depth = reader.CurrentDepth;
        while (true)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    _keys.BeginObject();
                    break;
                case JsonTokenType.EndObject:
                    _keys.EndObject();
                    break;
                case JsonTokenType.PropertyName:
                    AddKey(ref reader, json);
                    break;
                case JsonTokenType.Number:
                    CheckNumber(ref reader, json);
                    break;
            }

            // The closing token of the skipped value has the depth of its opening token.
            if ((reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray) && reader.CurrentDepth == depth)
            {
                return;
            }

            if (!reader.Read())
            {
                return;
            }
        }
    }

    private void AddKey(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (_keys is not null && !_keys.Add(ref reader, json))
        {
            throw new RejectedEventException($"duplicate key: {_keys.DescribePath(json)} occurs twice in one object");
        }
    }

    /// <summary>
    /// Adds the number at the current path to <paramref name="slot"/> and returns the value's index. Rejects the
    /// event when the number is out of range.
    /// </summary>
    private int AddNumber(ref Utf8JsonReader reader, EventRecord record, int slot, int pathLength)
    {
        var raw = reader.ValueSpan;
        var target = record.ReserveChars(raw.Length);
        int written = Encoding.ASCII.GetChars(raw, target);
        if (reader.TryGetInt64(out long integer))
        {
            return record.Add(slot, FieldValueKind.Integer, written, integer, integer);
        }

        if (IsInteger(raw))
        {
            throw OutOfRange(OpenObjectKeys.Quote(PathText(pathLength).ToString()), raw, "long");
        }

        if (reader.TryGetDouble(out double number) && float.IsFinite((float)number))
        {
            // The value keeps double precision, although Elasticsearch would index it as a float.
            return record.Add(slot, FieldValueKind.Float, written, (long)number, number);
        }

        throw OutOfRange(OpenObjectKeys.Quote(PathText(pathLength).ToString()), raw, "float");
    }

    /// <summary>
    /// Rejects the event when the number does not fit the type that Elasticsearch's dynamic mapping gives
    /// it: <c>long</c> for an integer, <c>float</c> for a number with a fraction or an exponent.
    /// NOTE: each value is judged alone. Elasticsearch maps an array by its first value and an existing
    /// mapping (<c>double</c>, <c>keyword</c>) may accept more, so some events differ from an index.
    /// </summary>
    private void CheckNumber(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var raw = reader.ValueSpan;

        // A number of at most 18 characters without an exponent fits both types. As an integer it is below
        // 10^18, under the long maximum of about 9.2e18, and as a decimal it is below 10^17.
        if (raw.Length <= 18 && raw.IndexOfAny((byte)'e', (byte)'E') < 0)
        {
            return;
        }

        if (IsInteger(raw))
        {
            if (!reader.TryGetInt64(out _))
            {
                throw OutOfRange(_keys!.DescribePath(json), raw, "long");
            }
        }
        else if (!reader.TryGetDouble(out double number) || !float.IsFinite((float)number))
        {
            throw OutOfRange(_keys!.DescribePath(json), raw, "float");
        }
    }

    /// <summary>Returns true for a JSON number without a fraction or an exponent, which Elasticsearch maps as <c>long</c>.</summary>
    private static bool IsInteger(ReadOnlySpan<byte> raw) => raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;

    private static RejectedEventException OutOfRange(string field, ReadOnlySpan<byte> raw, string type)
    {
        const int MaxShownDigits = 100;
        string value = raw.Length > MaxShownDigits
            ? Encoding.ASCII.GetString(raw[..MaxShownDigits]) + $"... ({raw.Length} characters)"
            : Encoding.ASCII.GetString(raw);
        return new RejectedEventException($"number out of range: {field} is {value}, beyond the range of a {type}");
    }

    private static int Write(Span<char> target, string text)
    {
        text.AsSpan().CopyTo(target);
        return text.Length;
    }

    /// <summary>Returns the unescaped UTF-8 bytes of the current property name, valid until the next call.</summary>
    private ReadOnlySpan<byte> KeyBytes(ref Utf8JsonReader reader)
    {
        // The decoder reads from one contiguous span, so a name is always a ValueSpan.
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        // Unescape can replace the buffer, so the span is taken after it returns.
        int length = Unescape(ref reader);
        return _unescapedKey.AsSpan(0, length);
    }

    /// <summary>Writes the unescaped UTF-8 bytes of the current string token to <see cref="_unescapedKey"/> and returns their length.</summary>
    private int Unescape(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > _unescapedKey.Length)
        {
            _unescapedKey = new byte[Math.Max(reader.ValueSpan.Length, _unescapedKey.Length * 2)];
        }

        return reader.CopyString(_unescapedKey);
    }

    /// <summary>Appends a dot and <paramref name="key"/> to the path, whose first <paramref name="pathLength"/> bytes stay, and returns the new length.</summary>
    private int AppendKey(ReadOnlySpan<byte> key, int pathLength)
    {
        int length = pathLength + 1 + key.Length;
        if (length > _pathBytes.Length)
        {
            Array.Resize(ref _pathBytes, Math.Max(length, _pathBytes.Length * 2));
        }

        _pathBytes[pathLength] = (byte)'.';
        key.CopyTo(_pathBytes.AsSpan(pathLength + 1));
        return length;
    }

    /// <summary>Returns the dotted path of the first <paramref name="pathLength"/> bytes of the path as text, such as "process.name".</summary>
    private ReadOnlySpan<char> PathText(int pathLength)
    {
        if (pathLength <= 1)
        {
            return ReadOnlySpan<char>.Empty;
        }

        var bytes = _pathBytes.AsSpan(1, pathLength - 1);
        if (bytes.Length > _path.Length)
        {
            _path = new char[Math.Max(bytes.Length, _path.Length * 2)];
        }

        // The path is valid UTF-8: the event passed the check, and unescaped keys are written as UTF-8.
        int written = Encoding.UTF8.GetChars(bytes, _path);
        return _path.AsSpan(0, written);
    }

    /// <summary>
    /// Copies the current string token into <paramref name="target"/> as <see cref="Utf8JsonReader.CopyString(Span{char})"/>
    /// does. An unescaped ASCII string, as most keys and values of events are, is widened byte by byte, which costs
    /// less than the general transcoder for short strings. Anything else goes through the reader.
    /// </summary>
    private static int CopyString(ref Utf8JsonReader reader, Span<char> target)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && TryWidenShortAscii(reader.ValueSpan, target))
        {
            return reader.ValueSpan.Length;
        }

        return reader.CopyString(target);
    }

    /// <summary>
    /// Widens <paramref name="source"/> into <paramref name="target"/> byte by byte when it is ASCII of at most
    /// <see cref="ShortStringLength"/> bytes and fits. Returns false, with <paramref name="target"/> partly written, otherwise.
    /// </summary>
    private static bool TryWidenShortAscii(ReadOnlySpan<byte> source, Span<char> target)
    {
        if (source.Length > ShortStringLength || source.Length > target.Length)
        {
            return false;
        }

        for (int i = 0; i < source.Length; i++)
        {
            byte value = source[i];
            if (value >= 0x80)
            {
                return false;
            }

            target[i] = (char)value;
        }

        return true;
    }

    /// <summary>A reason to reject the event, thrown from deep in the decoder and returned by <see cref="Decode"/>.</summary>
    private sealed class RejectedEventException(string message) : Exception(message);
}
