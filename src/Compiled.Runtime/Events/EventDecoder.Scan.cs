using System.Buffers.Text;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace Compiled.Runtime.Events;

/// <summary>
/// The checking decoder's fast path: a scanner that reads the event's bytes directly, checks them as
/// <see cref="Utf8JsonReader"/> would, and fills the record as the reader path does. It handles the events
/// that are valid and plain. At anything else (a syntax error, a duplicate key, a number out of range, an
/// escaped key, an escaped lone surrogate in a decoded string, nesting near <see cref="MaxDepth"/>) it stops,
/// and the reader path decodes the event again from the start, so that event gets the reader's verdict and
/// message, at the cost of both passes. The scanner must accept nothing that the reader rejects, and may give
/// up on what the reader accepts. Tests compare both paths over valid, malformed and randomly changed events.
/// </summary>
public sealed partial class EventDecoder
{
    /// <summary>The deepest object or array the scanner reads itself, some levels short of <see cref="MaxDepth"/>.</summary>
    private const int ScanMaxDepth = MaxDepth - 2;

    // Per node of the path tree, the number of the object that last had the node's key as a member, and the
    // number of the last object the scanner opened.
    private readonly int[] _keyOwners;
    private int _objectNumber;

    /// <summary>
    /// Decodes an event that passed the UTF-8 check with the scanner. Returns false when the scanner gave up,
    /// leaving the record and the key stack partly filled.
    /// </summary>
    private bool TryScan(ReadOnlySpan<byte> json, EventRecord record)
    {
        int position = SkipSpace(json, 0);
        if (position >= json.Length || json[position] != (byte)'{' ||
            !ScanObject(json, ref position, record, PathTrie.Root, 0, _schema.PatternsAtRoot, 1))
        {
            return false;
        }

        return SkipSpace(json, position) == json.Length;
    }

    /// <summary>Reads the object whose brace is at <paramref name="position"/> and moves past it. Mirrors <see cref="ReadObject"/>.</summary>
    private bool ScanObject(ReadOnlySpan<byte> json, ref int position, EventRecord record, int node, int pathLength, bool inPatternScope, int depth)
    {
        switch (Open(json, ref position, depth, (byte)'}'))
        {
            case < 0:
                return false;
            case 0:
                return true;
        }

        // Keys that lead to a schema node without a dot are checked for repeats by marking their node with this
        // object's number, and only the others go on the key stack. When the number wraps around, an old mark can
        // pass for a repeat, which costs a decode on the reader path and changes no verdict.
        int objectNumber = ++_objectNumber;
        var keys = _keys!;
        keys.BeginObject();
        while (true)
        {
            if (!ScanKey(json, ref position, out int keyStart, out int keyEnd))
            {
                return false;
            }

            var key = json[keyStart..keyEnd];
            int child = _trie.Child(node, key, out bool dotted);
            if (child >= 0 && !dotted)
            {
                if (_keyOwners[child] == objectNumber)
                {
                    return false;
                }

                _keyOwners[child] = objectNumber;
            }
            else if (!keys.Add(key, keyStart, json))
            {
                return false;
            }

            // The path's text serves only field patterns here, because messages come from the reader path.
            int length = _hasPatterns ? AppendKey(key, pathLength) : pathLength;
            var info = _trie[child];
            bool scope = IsInPatternScope(inPatternScope, child, info, key, length);
            if (!ScanValue(json, ref position, record, child, info, length, scope, depth))
            {
                return false;
            }

            switch (NextMember(json, ref position, (byte)'}'))
            {
                case < 0:
                    return false;
                case 0:
                    keys.EndObject();
                    return true;
            }
        }
    }

    /// <summary>
    /// Reads a key written without escape sequences and the colon after it, and leaves <paramref name="position"/>
    /// on the value. Returns false for an escaped key.
    /// </summary>
    private bool ScanKey(ReadOnlySpan<byte> json, ref int position, out int keyStart, out int keyEnd)
    {
        keyStart = position + 1;
        keyEnd = -1;
        if (position >= json.Length || json[position] != (byte)'"')
        {
            return false;
        }

        int stop = FindStringStop(json, keyStart);
        if (stop < 0 || json[stop] != (byte)'"')
        {
            return false;
        }

        keyEnd = stop;
        position = SkipSpace(json, keyEnd + 1);
        if (position >= json.Length || json[position] != (byte)':')
        {
            return false;
        }

        position = SkipSpace(json, position + 1);
        return true;
    }

    /// <summary>
    /// Moves past the opening bracket at <paramref name="position"/> and the white space after it. Returns -1 when the
    /// object or array is nested deeper than <see cref="ScanMaxDepth"/>, 0 when it is empty (after moving past
    /// <paramref name="close"/> too), and 1 when a member or an element follows.
    /// </summary>
    private static int Open(ReadOnlySpan<byte> json, ref int position, int depth, byte close)
    {
        if (depth > ScanMaxDepth)
        {
            return -1;
        }

        position = SkipSpace(json, position + 1);
        if (position < json.Length && json[position] == close)
        {
            position++;
            return 0;
        }

        return 1;
    }

    /// <summary>
    /// Moves past the white space, then the comma or the closing bracket after a member or an element.
    /// Returns 1 after a comma (and the white space after it), 0 after <paramref name="close"/>, and -1 for anything else.
    /// </summary>
    private static int NextMember(ReadOnlySpan<byte> json, ref int position, byte close)
    {
        position = SkipSpace(json, position);
        if (position >= json.Length)
        {
            return -1;
        }

        byte next = json[position++];
        if (next == (byte)',')
        {
            position = SkipSpace(json, position);
            return 1;
        }

        return next == close ? 0 : -1;
    }

    /// <summary>Reads the value at <paramref name="position"/> into the record and moves past it. Mirrors <see cref="ReadValue"/>.</summary>
    private bool ScanValue(ReadOnlySpan<byte> json, ref int position, EventRecord record, int node, PathNode info, int pathLength, bool inPatternScope, int depth)
    {
        if (position >= json.Length)
        {
            return false;
        }

        switch (json[position])
        {
            case (byte)'{':
                if (info.NestedScope >= 0)
                {
                    int parent = record.StartElement(info.NestedScope);
                    if (!ScanObject(json, ref position, record, node, pathLength, inPatternScope, depth + 1))
                    {
                        return false;
                    }

                    record.EndElement(parent);
                    return true;
                }

                if (info.HasChildren || (inPatternScope && _schema.PatternMayMatchBelow(PathText(pathLength))))
                {
                    return ScanObject(json, ref position, record, node, pathLength, inPatternScope, depth + 1);
                }

                return SkipObject(json, ref position, depth + 1);
            case (byte)'[':
                if (info.Slot < 0 && !info.HasChildren && !inPatternScope)
                {
                    return SkipArray(json, ref position, depth + 1);
                }

                return ScanArray(json, ref position, record, node, info, pathLength, inPatternScope, depth + 1);
            case (byte)'"':
                return ScanString(json, ref position, record, info, pathLength, inPatternScope);
            case (byte)'t':
                return ScanBoolean(json, ref position, record, info, pathLength, inPatternScope, true);
            case (byte)'f':
                return ScanBoolean(json, ref position, record, info, pathLength, inPatternScope, false);
            case (byte)'n':
                return ScanLiteral(json, ref position, "null"u8);
            default:
                return ScanNumber(json, ref position, record, info, pathLength, inPatternScope);
        }
    }

    private bool ScanArray(ReadOnlySpan<byte> json, ref int position, EventRecord record, int node, PathNode info, int pathLength, bool inPatternScope, int depth)
    {
        switch (Open(json, ref position, depth, (byte)']'))
        {
            case < 0:
                return false;
            case 0:
                return true;
        }

        while (true)
        {
            if (!ScanValue(json, ref position, record, node, info, pathLength, inPatternScope, depth))
            {
                return false;
            }

            switch (NextMember(json, ref position, (byte)']'))
            {
                case < 0:
                    return false;
                case 0:
                    return true;
            }
        }
    }

    private bool ScanString(ReadOnlySpan<byte> json, ref int position, EventRecord record, PathNode info, int pathLength, bool inPatternScope)
    {
        int end = StringTokenEnd(json, position + 1, out bool escaped);
        if (end < 0)
        {
            return false;
        }

        if (Targets(info, pathLength, inPatternScope) is int targets and > 0)
        {
            var text = json[(position + 1)..end];
            var target = record.ReserveChars(text.Length);
            int written;
            if (!escaped)
            {
                written = WidenPlain(text, target);
            }
            else if (!TryUnescape(json[position..(end + 1)], target, out written))
            {
                return false;
            }

            int index = record.Add(_targets[0], FieldValueKind.String, written, 0, 0);
            CopyToOtherTargets(record, index, targets);
        }

        position = end + 1;
        return true;
    }

    private bool ScanBoolean(ReadOnlySpan<byte> json, ref int position, EventRecord record, PathNode info, int pathLength, bool inPatternScope, bool value)
    {
        if (!ScanLiteral(json, ref position, value ? "true"u8 : "false"u8))
        {
            return false;
        }

        if (Targets(info, pathLength, inPatternScope) is int targets and > 0)
        {
            AddBoolean(record, value, targets);
        }

        return true;
    }

    private static bool ScanLiteral(ReadOnlySpan<byte> json, ref int position, ReadOnlySpan<byte> literal)
    {
        if (!json[position..].StartsWith(literal))
        {
            return false;
        }

        position += literal.Length;
        return true;
    }

    private bool ScanNumber(ReadOnlySpan<byte> json, ref int position, EventRecord record, PathNode info, int pathLength, bool inPatternScope)
    {
        int end = NumberEnd(json, position);
        if (end < 0)
        {
            return false;
        }

        var raw = json[position..end];
        if (Targets(info, pathLength, inPatternScope) is int targets and > 0)
        {
            int index = AddNumber(raw, record, _targets[0]);
            CopyToOtherTargets(record, index, targets);
        }

        position = end;
        return true;
    }

    /// <summary>Checks the object at <paramref name="position"/> without decoding it, as <see cref="Skip"/> does, and moves past it.</summary>
    private bool SkipObject(ReadOnlySpan<byte> json, ref int position, int depth)
    {
        switch (Open(json, ref position, depth, (byte)'}'))
        {
            case < 0:
                return false;
            case 0:
                return true;
        }

        var keys = _keys!;
        keys.BeginObject();
        while (true)
        {
            if (!ScanKey(json, ref position, out int keyStart, out int keyEnd) || !keys.Add(json[keyStart..keyEnd], keyStart, json) ||
                !SkipValue(json, ref position, depth))
            {
                return false;
            }

            switch (NextMember(json, ref position, (byte)'}'))
            {
                case < 0:
                    return false;
                case 0:
                    keys.EndObject();
                    return true;
            }
        }
    }

    private bool SkipArray(ReadOnlySpan<byte> json, ref int position, int depth)
    {
        switch (Open(json, ref position, depth, (byte)']'))
        {
            case < 0:
                return false;
            case 0:
                return true;
        }

        while (true)
        {
            if (!SkipValue(json, ref position, depth))
            {
                return false;
            }

            switch (NextMember(json, ref position, (byte)']'))
            {
                case < 0:
                    return false;
                case 0:
                    return true;
            }
        }
    }

    private bool SkipValue(ReadOnlySpan<byte> json, ref int position, int depth)
    {
        if (position >= json.Length)
        {
            return false;
        }

        switch (json[position])
        {
            case (byte)'{':
                return SkipObject(json, ref position, depth + 1);
            case (byte)'[':
                return SkipArray(json, ref position, depth + 1);
            case (byte)'"':
                int end = StringTokenEnd(json, position + 1, out _);
                position = end + 1;
                return end >= 0;
            case (byte)'t':
                return ScanLiteral(json, ref position, "true"u8);
            case (byte)'f':
                return ScanLiteral(json, ref position, "false"u8);
            case (byte)'n':
                return ScanLiteral(json, ref position, "null"u8);
            default:
                int numberEnd = NumberEnd(json, position);
                if (numberEnd < 0)
                {
                    return false;
                }

                position = numberEnd;
                return true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipSpace(ReadOnlySpan<byte> json, int position)
    {
        // Events are mostly written without white space between tokens.
        if (position < json.Length && json[position] > (byte)' ')
        {
            return position;
        }

        while (position < json.Length && json[position] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            position++;
        }

        return position;
    }

    /// <summary>
    /// Returns the position of the first quote, backslash or control character at or after <paramref name="position"/>,
    /// or -1 when there is none. Sixteen bytes are compared at a time: over the corpus events this was faster than
    /// <c>IndexOfAny</c>, whose set-up costs more than most strings in events take to compare.
    /// </summary>
    private static int FindStringStop(ReadOnlySpan<byte> json, int position)
    {
        ref byte first = ref MemoryMarshal.GetReference(json);
        if (Vector128.IsHardwareAccelerated)
        {
            while (position <= json.Length - Vector128<byte>.Count)
            {
                uint stops = StopMask(Vector128.LoadUnsafe(ref first, (nuint)position));
                if (stops != 0)
                {
                    return position + BitOperations.TrailingZeroCount(stops);
                }

                position += Vector128<byte>.Count;
            }
        }

        for (; position < json.Length; position++)
        {
            byte value = json[position];
            if (value is (byte)'"' or (byte)'\\' or < (byte)' ')
            {
                return position;
            }
        }

        return -1;
    }

    /// <summary>Returns a mask with a bit set for each quote, backslash or control character of <paramref name="bytes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint StopMask(Vector128<byte> bytes) =>
        (Vector128.Equals(bytes, Vector128.Create((byte)'"')) | Vector128.Equals(bytes, Vector128.Create((byte)'\\')) |
         Vector128.LessThan(bytes, Vector128.Create((byte)' '))).ExtractMostSignificantBits();

    /// <summary>
    /// Returns the position of the quote that closes the string whose text starts at <paramref name="position"/>,
    /// or -1 when the string has a control character or a malformed escape sequence, or does not end. Escape
    /// sequences are passed over inside each 16-byte chunk, so a path full of backslashes is not searched again
    /// after each one.
    /// </summary>
    private static int StringTokenEnd(ReadOnlySpan<byte> json, int position, out bool escaped)
    {
        escaped = false;
        ref byte first = ref MemoryMarshal.GetReference(json);
        if (Vector128.IsHardwareAccelerated)
        {
            while (position <= json.Length - Vector128<byte>.Count)
            {
                uint stops = StopMask(Vector128.LoadUnsafe(ref first, (nuint)position));
                int advance = Vector128<byte>.Count;
                while (stops != 0)
                {
                    int found = position + BitOperations.TrailingZeroCount(stops);
                    if (json[found] != (byte)'\\')
                    {
                        return json[found] == (byte)'"' ? found : -1;
                    }

                    escaped = true;
                    int next = EscapeEnd(json, found);
                    if (next < 0)
                    {
                        return -1;
                    }

                    // The escape's own characters can be stops, such as the quote of \", so the bits up to its end are cleared.
                    int passed = next - position;
                    if (passed >= Vector128<byte>.Count)
                    {
                        advance = passed;
                        break;
                    }

                    stops &= ~0u << passed;
                }

                position += advance;
            }
        }

        while (position < json.Length)
        {
            byte value = json[position];
            if (value == (byte)'"')
            {
                return position;
            }

            if (value == (byte)'\\')
            {
                escaped = true;
                position = EscapeEnd(json, position);
                if (position < 0)
                {
                    return -1;
                }
            }
            else if (value < (byte)' ')
            {
                return -1;
            }
            else
            {
                position++;
            }
        }

        return -1;
    }

    /// <summary>Returns the position just after the escape sequence whose backslash is at <paramref name="position"/>, or -1 when it is malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EscapeEnd(ReadOnlySpan<byte> json, int position)
    {
        if (position + 1 >= json.Length)
        {
            return -1;
        }

        switch (json[position + 1])
        {
            case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                return position + 2;
            case (byte)'u':
                bool valid = position + 6 <= json.Length && IsHex(json[position + 2]) && IsHex(json[position + 3]) &&
                    IsHex(json[position + 4]) && IsHex(json[position + 5]);
                return valid ? position + 6 : -1;
            default:
                return -1;
        }
    }

    private static bool IsHex(byte value) => char.IsAsciiHexDigit((char)value);

    /// <summary>
    /// Returns the position just after the number that starts at <paramref name="position"/>, or -1 when the
    /// bytes there are not a JSON number (an optional minus, an integer part without leading zeros, an optional
    /// fraction and an optional exponent, each with at least one digit) or when the number does not fit the type
    /// that dynamic mapping gives it, as <see cref="CheckNumber"/> decides.
    /// </summary>
    private static int NumberEnd(ReadOnlySpan<byte> json, int position)
    {
        int start = position;
        if (position < json.Length && json[position] == (byte)'-')
        {
            position++;
        }

        if (position >= json.Length)
        {
            return -1;
        }

        if (json[position] == (byte)'0')
        {
            position++;
        }
        else if (!char.IsAsciiDigit((char)json[position]))
        {
            return -1;
        }
        else
        {
            position = Digits(json, position);
        }

        bool integer = true;
        if (position < json.Length && json[position] == (byte)'.')
        {
            integer = false;
            int fraction = position + 1;
            position = Digits(json, fraction);
            if (position == fraction)
            {
                return -1;
            }
        }

        bool exponent = false;
        if (position < json.Length && (json[position] | 0x20) == (byte)'e')
        {
            integer = false;
            exponent = true;
            position++;
            if (position < json.Length && json[position] is (byte)'+' or (byte)'-')
            {
                position++;
            }

            int digits = position;
            position = Digits(json, digits);
            if (position == digits)
            {
                return -1;
            }
        }

        // A number of at most 18 characters without an exponent fits both types, as CheckNumber explains.
        if (position - start <= 18 && !exponent)
        {
            return position;
        }

        var raw = json[start..position];
        bool fits = integer ? TryParseInteger(raw, out _) : TryParseFloat(raw, out double number) && float.IsFinite((float)number);
        return fits ? position : -1;
    }

    private static int Digits(ReadOnlySpan<byte> json, int position)
    {
        while (position < json.Length && char.IsAsciiDigit((char)json[position]))
        {
            position++;
        }

        return position;
    }

    /// <summary>
    /// Adds a number that <see cref="NumberEnd"/> accepted to <paramref name="slot"/> and returns the value's index,
    /// with the kind and values that <see cref="AddNumber(ref Utf8JsonReader, EventRecord, int, int)"/> gives it.
    /// </summary>
    private static int AddNumber(ReadOnlySpan<byte> raw, EventRecord record, int slot)
    {
        var target = record.ReserveChars(raw.Length);
        int written = Encoding.ASCII.GetChars(raw, target);
        if (TryParseInteger(raw, out long integer))
        {
            return record.Add(slot, FieldValueKind.Integer, written, integer, integer);
        }

        TryParseFloat(raw, out double number);
        return record.Add(slot, FieldValueKind.Float, written, (long)number, number);
    }

    // Utf8JsonReader's TryGetInt64 and TryGetDouble (Utf8JsonReader.TryGet.cs in System.Text.Json) parse the whole
    // token with Utf8Parser, and so do these. The tests compare both over random numbers of every form.
    private static bool TryParseInteger(ReadOnlySpan<byte> raw, out long value) =>
        Utf8Parser.TryParse(raw, out value, out int consumed) && consumed == raw.Length;

    private static bool TryParseFloat(ReadOnlySpan<byte> raw, out double value) =>
        Utf8Parser.TryParse(raw, out value, out int consumed) && consumed == raw.Length;

    /// <summary>Widens a string written without escape sequences, whose bytes are valid UTF-8, into <paramref name="target"/>.</summary>
    private static int WidenPlain(ReadOnlySpan<byte> text, Span<char> target) =>
        TryWidenShortAscii(text, target) ? text.Length : Encoding.UTF8.GetChars(text, target);

    /// <summary>
    /// Unescapes a string token, quotes included, into <paramref name="target"/> with a reader over the token
    /// alone. Returns false for an escaped lone surrogate, which the reader path rejects with its message.
    /// </summary>
    private static bool TryUnescape(ReadOnlySpan<byte> token, Span<char> target, out int written)
    {
        var reader = new Utf8JsonReader(token);
        reader.Read();
        try
        {
            written = reader.CopyString(target);
            return true;
        }
        catch (InvalidOperationException)
        {
            written = 0;
            return false;
        }
    }
}
