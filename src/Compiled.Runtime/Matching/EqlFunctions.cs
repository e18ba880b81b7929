using System.Globalization;

namespace Compiled.Runtime.Matching;

/// <summary>
/// The functions of Elasticsearch EQL. Each returns null when a required argument is null or of the wrong
/// type. The <c>ignoreCase</c> parameters implement the <c>~</c> forms, such as <c>startsWith~</c>.
/// </summary>
public static class EqlFunctions
{
    /// <summary>
    /// <c>between(source, left, right, greedy)</c>: the text after the first <c>left</c> up to the next
    /// <c>right</c>, or up to the last <c>right</c> when greedy. Not found gives "". An empty source, left or
    /// right returns the source unchanged, as Elasticsearch's implementation does.
    /// </summary>
    public static EqlValue Between(EqlValue source, EqlValue left, EqlValue right, EqlValue greedy, bool ignoreCase)
    {
        if (source.Type != EqlType.String || left.Type != EqlType.String || right.Type != EqlType.String)
        {
            return EqlValue.Null;
        }

        bool isGreedy = greedy.Type == EqlType.Boolean && greedy.Integer != 0;
        var text = source.Text;
        if (text.IsEmpty || left.Text.IsEmpty || right.Text.IsEmpty)
        {
            return source;
        }

        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        int leftIndex = text.IndexOf(left.Text, comparison);
        if (leftIndex < 0)
        {
            return EqlValue.FromString(default);
        }

        int start = leftIndex + left.Text.Length;
        int end = isGreedy ? text.LastIndexOf(right.Text, comparison) : IndexFrom(text, right.Text, start, comparison);

        // NOTE: Elasticsearch's result is undefined when the last 'right' starts before the end of 'left'; this gives "".
        if (end < start)
        {
            return EqlValue.FromString(default);
        }

        return EqlValue.FromString(text[start..end]);
    }

    /// <summary><c>cidrMatch(ip, blocks...)</c> on a computed value: a value that is not an address is null, as a malformed <c>ip</c> field is.</summary>
    public static EqlValue CidrMatch(EqlValue address, CidrSet blocks)
    {
        if (address.Type != EqlType.String || !IPAddressBits.TryParse(address.Text, out var bits, out _))
        {
            return EqlValue.Null;
        }

        return EqlValue.FromBoolean(blocks.Contains(bits));
    }

    /// <summary><c>concat(value)</c>: the string form of one value.</summary>
    public static EqlValue Concat(Scratch scratch, EqlValue value) =>
        value.IsNull ? EqlValue.Null : EqlValue.FromString(value.ToText(scratch));

    /// <summary>
    /// <c>concat(a, b)</c>; longer argument lists are emitted as a chain of these. A result longer than
    /// <see cref="Scratch.MaxStringLength"/> characters is null.
    /// </summary>
    public static EqlValue Concat(Scratch scratch, EqlValue left, EqlValue right)
    {
        if (left.IsNull || right.IsNull)
        {
            return EqlValue.Null;
        }

        var first = left.ToText(scratch);
        var second = right.ToText(scratch);
        if ((long)first.Length + second.Length > Scratch.MaxStringLength)
        {
            return EqlValue.Null;
        }

        var target = scratch.Reserve(first.Length + second.Length);
        first.CopyTo(target);
        second.CopyTo(target[first.Length..]);
        return EqlValue.FromString(scratch.Commit(first.Length + second.Length));
    }

    /// <summary><c>endsWith(source, suffix)</c>; <c>endsWith("", "")</c> is true.</summary>
    public static EqlValue EndsWith(EqlValue source, EqlValue suffix, bool ignoreCase) =>
        source.Type != EqlType.String || suffix.Type != EqlType.String
            ? EqlValue.Null
            : EqlValue.FromBoolean(source.Text.EndsWith(suffix.Text, Comparison(ignoreCase)));

    /// <summary><c>startsWith(source, prefix)</c>; any string starts with "".</summary>
    public static EqlValue StartsWith(EqlValue source, EqlValue prefix, bool ignoreCase) =>
        source.Type != EqlType.String || prefix.Type != EqlType.String
            ? EqlValue.Null
            : EqlValue.FromBoolean(source.Text.StartsWith(prefix.Text, Comparison(ignoreCase)));

    /// <summary><c>stringContains(source, part)</c>: false when either string is empty, as Elasticsearch defines it.</summary>
    public static EqlValue StringContains(EqlValue source, EqlValue part, bool ignoreCase)
    {
        if (source.Type != EqlType.String || part.Type != EqlType.String)
        {
            return EqlValue.Null;
        }

        if (source.Text.IsEmpty || part.Text.IsEmpty)
        {
            return EqlValue.False;
        }

        return EqlValue.FromBoolean(source.Text.IndexOf(part.Text, Comparison(ignoreCase)) >= 0);
    }

    /// <summary>
    /// <c>indexOf(source, part, start)</c>: the first index at or after start, or null. A null or negative
    /// start counts as 0; a start beyond the end gives null; an empty part is found at start.
    /// </summary>
    public static EqlValue IndexOf(EqlValue source, EqlValue part, EqlValue start, bool ignoreCase)
    {
        if (source.Type != EqlType.String || part.Type != EqlType.String || !(start.IsNull || start.IsNumber))
        {
            return EqlValue.Null;
        }

        long from = start.IsNull ? 0 : Math.Max(0, start.Type == EqlType.Integer ? start.Integer : (long)start.Double);
        if (from > source.Text.Length)
        {
            return EqlValue.Null;
        }

        int index = IndexFrom(source.Text, part.Text, (int)from, Comparison(ignoreCase));
        return index < 0 ? EqlValue.Null : EqlValue.FromInteger(index);
    }

    /// <summary><c>length(source)</c>: the number of UTF-16 code units, as Java's String.length().</summary>
    public static EqlValue Length(EqlValue source) =>
        source.Type == EqlType.String ? EqlValue.FromInteger(source.Text.Length) : EqlValue.Null;

    /// <summary>
    /// <c>number(source, base)</c>: parses an integer or, in base 10, a decimal. Whitespace around the digits
    /// and a leading sign are allowed; "0x" selects base 16 when no base is given or the base is 16.
    /// Text that does not parse gives null.
    /// </summary>
    public static EqlValue Number(EqlValue source, EqlValue radix)
    {
        if (source.Type != EqlType.String || !(radix.IsNull || radix.Type == EqlType.Integer))
        {
            return EqlValue.Null;
        }

        var text = source.Text.Trim();
        bool negative = false;
        if (text.Length > 0 && (text[0] == '+' || text[0] == '-'))
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        int numberBase = radix.IsNull ? 10 : (int)radix.Integer;
        if (text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && (radix.IsNull || numberBase == 16))
        {
            numberBase = 16;
            text = text[2..];
        }

        if (text.IsEmpty || numberBase < 2 || numberBase > 36)
        {
            return EqlValue.Null;
        }

        if (numberBase == 10 && !IsDigits(text, 10))
        {
            return double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out double number)
                ? EqlValue.FromDouble(negative ? -number : number)
                : EqlValue.Null;
        }

        // Digits accumulate as a negative number, whose range reaches long.MinValue.
        long value = 0;
        foreach (char c in text)
        {
            int digit = DigitValue(c);
            if (digit < 0 || digit >= numberBase)
            {
                return EqlValue.Null;
            }

            if (value < (long.MinValue + digit) / numberBase)
            {
                // Beyond a long, base 10 falls back to a double, as Elasticsearch does.
                return numberBase == 10 && double.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out double large)
                    ? EqlValue.FromDouble(negative ? -large : large)
                    : EqlValue.Null;
            }

            value = value * numberBase - digit;
        }

        if (!negative && value == long.MinValue)
        {
            return EqlValue.FromDouble(-(double)long.MinValue);
        }

        return EqlValue.FromInteger(negative ? value : -value);
    }

    /// <summary><c>string(value)</c>: <c>42</c>, <c>42.5</c>, <c>true</c>, or the string itself.</summary>
    public static EqlValue String(Scratch scratch, EqlValue value) =>
        value.IsNull ? EqlValue.Null : EqlValue.FromString(value.ToText(scratch));

    /// <summary>
    /// <c>substring(source, start, end)</c> with Python slice semantics: negative positions count from the
    /// end, positions are clamped to the string, a null start is 0, and start at or after end gives "".
    /// </summary>
    public static EqlValue Substring(EqlValue source, EqlValue start, EqlValue end)
    {
        if (source.Type != EqlType.String || !(start.IsNull || start.IsNumber) || !(end.IsNull || end.IsNumber))
        {
            return EqlValue.Null;
        }

        int length = source.Text.Length;
        long from = start.IsNull ? 0 : Clamp(start.Type == EqlType.Integer ? start.Integer : (long)start.Double, length);
        long to = end.IsNull ? length : Clamp(end.Type == EqlType.Integer ? end.Integer : (long)end.Double, length);
        return from >= to ? EqlValue.FromString(default) : EqlValue.FromString(source.Text[(int)from..(int)to]);
    }

    private static long Clamp(long position, int length)
    {
        if (position < 0)
        {
            position += length;
        }

        return Math.Max(0, Math.Min(position, length));
    }

    private static int IndexFrom(ReadOnlySpan<char> text, ReadOnlySpan<char> part, int start, StringComparison comparison)
    {
        int index = text[start..].IndexOf(part, comparison);
        return index < 0 ? -1 : index + start;
    }

    private static StringComparison Comparison(bool ignoreCase) =>
        ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static bool IsDigits(ReadOnlySpan<char> text, int numberBase)
    {
        foreach (char c in text)
        {
            int digit = DigitValue(c);
            if (digit < 0 || digit >= numberBase)
            {
                return false;
            }
        }

        return true;
    }

    private static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };
}
