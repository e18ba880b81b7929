namespace Compiled.Runtime.Matching;

/// <summary>
/// Parses IPv4 and IPv6 text into 128 bits without allocating. IPv4 addresses become IPv4-mapped IPv6
/// addresses (<c>::ffff:a.b.c.d</c>), as Elasticsearch's <c>ip</c> type stores them, so one comparison covers both.
/// </summary>
public static class IPAddressBits
{
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    public static bool TryParse(ReadOnlySpan<char> text, out UInt128 address, out bool isIPv4)
    {
        isIPv4 = false;
        if (text.IndexOf(':') < 0)
        {
            isIPv4 = true;
            if (TryParseIPv4(text, out uint v4))
            {
                address = MappedPrefix | v4;
                return true;
            }

            address = default;
            return false;
        }

        return TryParseIPv6(text, out address);
    }

    private static bool TryParseIPv4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        int parts = 0;
        while (true)
        {
            int dot = text.IndexOf('.');
            var part = dot < 0 ? text : text[..dot];
            if (part.Length == 0 || part.Length > 3)
            {
                return false;
            }

            int value = 0;
            foreach (char c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                value = value * 10 + (c - '0');
            }

            if (value > 255)
            {
                return false;
            }

            address = (address << 8) | (uint)value;
            parts++;
            if (dot < 0)
            {
                return parts == 4;
            }

            if (parts == 4)
            {
                return false;
            }

            text = text[(dot + 1)..];
        }
    }

    private static bool TryParseIPv6(ReadOnlySpan<char> text, out UInt128 address)
    {
        address = default;
        int percent = text.IndexOf('%');
        if (percent >= 0)
        {
            // A zone index such as fe80::1%en0 names an interface, not part of the address.
            text = text[..percent];
        }

        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int gap = -1;
        int position = 0;
        if (text.StartsWith("::"))
        {
            gap = 0;
            position = 2;
            if (text.Length == 2)
            {
                address = 0;
                return true;
            }
        }

        while (position < text.Length)
        {
            int end = position;
            while (end < text.Length && text[end] != ':')
            {
                end++;
            }

            var part = text[position..end];
            if (part.IndexOf('.') >= 0)
            {
                // An embedded IPv4 address fills the last two groups.
                if (end != text.Length || count > 6 || !TryParseIPv4(part, out uint v4))
                {
                    return false;
                }

                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                position = end;
                break;
            }

            if (part.Length == 0 || part.Length > 4 || count == 8)
            {
                return false;
            }

            ushort value = 0;
            foreach (char c in part)
            {
                int digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiHexDigitLower(c) ? c - 'a' + 10 : char.IsAsciiHexDigitUpper(c) ? c - 'A' + 10 : -1;
                if (digit < 0)
                {
                    return false;
                }

                value = (ushort)((value << 4) | digit);
            }

            groups[count++] = value;
            position = end;
            if (position < text.Length)
            {
                position++;
                if (position < text.Length && text[position] == ':')
                {
                    if (gap >= 0)
                    {
                        return false;
                    }

                    gap = count;
                    position++;
                }
                else if (position == text.Length)
                {
                    return false;
                }
            }
        }

        if (gap < 0 && count != 8 || gap >= 0 && count > 7)
        {
            return false;
        }

        UInt128 result = 0;
        int missing = 8 - count;
        for (int i = 0, source = 0; i < 8; i++)
        {
            ushort group;
            if (gap >= 0 && i >= gap && i < gap + missing)
            {
                group = 0;
            }
            else
            {
                group = groups[source++];
            }

            result = (result << 16) | group;
        }

        address = result;
        return true;
    }
}
