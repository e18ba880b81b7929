using System.Buffers;
using System.Text;

namespace Compiled.Runtime.Matching;

/// <summary>
/// The order of Elasticsearch's <c>version</c> field type. Each version is encoded into bytes whose unsigned
/// lexicographic order is the version order, the way Elasticsearch stores the field:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A version is a main part of dot-separated numbers without leading zeros (<c>1.11.3</c>), an optional
/// pre-release part after the first <c>-</c> (<c>-alpha.2</c>) and an optional build part after the first
/// <c>+</c>.</item>
/// <item>Numbers compare numerically: each run of digits is written as a marker byte, its length and its digits.</item>
/// <item>A version with a pre-release part sorts before the same version without one. Pre-release identifiers
/// compare one by one, numeric ones numerically and below alphanumeric ones, which compare as ASCII text.</item>
/// <item>The build part compares as ASCII text after everything else.</item>
/// <item>A value that is not a legal version, such as <c>bad</c>, keeps its UTF-8 bytes and sorts after every
/// legal version. The empty string sorts after the legal versions and before the other illegal ones.</item>
/// </list>
/// NOTE: Elasticsearch rejects a document whose version has a run of 128 or more digits; here such a value
/// sorts as an illegal version.
/// </remarks>
public static class VersionOrder
{
    private const byte NumberMarker = 0x01;
    private const byte PreReleaseMarker = 0x02;
    private const byte ReleaseMarker = 0x03;
    private const int MaxIdentifiers = 32;
    private const int MaxDigitRun = 127;
    private const int StackLimit = 256;

    /// <summary>Returns the encoded form of <paramref name="version"/>, for a literal that many values are compared with.</summary>
    public static byte[] Encode(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var buffer = new byte[MaxEncodedLength(version.Length)];
        int length = Encode(version, buffer);
        return buffer.AsSpan(0, length).ToArray();
    }

    /// <summary>Compares two versions: negative when <paramref name="left"/> sorts first, zero when they are equal.</summary>
    public static int Compare(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        byte[]? rented = null;
        int needed = MaxEncodedLength(right.Length);
        Span<byte> buffer = needed <= StackLimit * 3 ? stackalloc byte[StackLimit * 3] : (rented = ArrayPool<byte>.Shared.Rent(needed));
        try
        {
            int length = Encode(right, buffer);
            return Compare(left, buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Compares a version with one encoded by <see cref="Encode(string)"/>, without allocating.</summary>
    public static int Compare(ReadOnlySpan<char> value, ReadOnlySpan<byte> encoded)
    {
        byte[]? rented = null;
        int needed = MaxEncodedLength(value.Length);
        Span<byte> buffer = needed <= StackLimit * 3 ? stackalloc byte[StackLimit * 3] : (rented = ArrayPool<byte>.Shared.Rent(needed));
        try
        {
            int length = Encode(value, buffer);
            return buffer[..length].SequenceCompareTo(encoded);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The maximum number of bytes that a version of <paramref name="characters"/> UTF-16 units encodes to: three per character as
    /// UTF-8, or one per character plus two per run of digits and one marker.
    /// </summary>
    private static int MaxEncodedLength(int characters) => (characters * 3) + 2;

    private static int Encode(ReadOnlySpan<char> version, Span<byte> destination)
    {
        int plus = version.IndexOf('+');
        var build = plus > 0 ? version[plus..] : [];
        var rest = plus > 0 ? version[..plus] : version;
        int dash = rest.IndexOf('-');
        bool hasPreRelease = dash > 0;
        var preRelease = hasPreRelease ? rest[dash..] : [];
        var main = hasPreRelease ? rest[..dash] : rest;

        if (!IsLegal(main, hasPreRelease, preRelease, plus > 0, build))
        {
            if (version.IsEmpty)
            {
                destination[0] = ReleaseMarker;
                return 1;
            }

            return Encoding.UTF8.GetBytes(version, destination);
        }

        int length = AppendWithNumbers(main, destination, 0);
        if (hasPreRelease)
        {
            destination[length++] = PreReleaseMarker;
            destination[length++] = (byte)'-';
            var identifiers = preRelease[1..];
            bool first = true;
            while (true)
            {
                int dot = identifiers.IndexOf('.');
                var identifier = dot < 0 ? identifiers : identifiers[..dot];
                if (!first)
                {
                    destination[length++] = (byte)'.';
                }

                first = false;
                length = !IsDigits(identifier)
                    ? AppendAscii(identifier, destination, length)
                    : AppendWithNumbers(identifier, destination, length);
                if (dot < 0)
                {
                    break;
                }

                identifiers = identifiers[(dot + 1)..];
            }
        }
        else
        {
            destination[length++] = ReleaseMarker;
        }

        return AppendAscii(build, destination, length);
    }

    /// <summary>Writes ASCII text with each run of digits as a marker, the run's length with the high bit set, and the digits.</summary>
    private static int AppendWithNumbers(ReadOnlySpan<char> text, Span<byte> destination, int length)
    {
        int i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                destination[length++] = (byte)text[i++];
                continue;
            }

            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            destination[length++] = NumberMarker;
            destination[length++] = (byte)((i - start) | 0x80);
            for (int j = start; j < i; j++)
            {
                destination[length++] = (byte)text[j];
            }
        }

        return length;
    }

    private static int AppendAscii(ReadOnlySpan<char> text, Span<byte> destination, int length)
    {
        foreach (char c in text)
        {
            destination[length++] = (byte)c;
        }

        return length;
    }

    private static bool IsLegal(ReadOnlySpan<char> main, bool hasPreRelease, ReadOnlySpan<char> preRelease, bool hasBuild, ReadOnlySpan<char> build)
    {
        if (!IsLegalMain(main) || (hasPreRelease && !IsLegalPreRelease(preRelease)) || (hasBuild && !IsLegalBuild(build)))
        {
            return false;
        }

        return Identifiers(main) <= MaxIdentifiers && Identifiers(preRelease) <= MaxIdentifiers && Identifiers(build) <= MaxIdentifiers;
    }

    private static int Identifiers(ReadOnlySpan<char> part) => part.Count('.') + 1;

    /// <summary>Numbers without leading zeros, separated by single dots: <c>1</c>, <c>1.0</c>, <c>10.20.30.40</c>.</summary>
    private static bool IsLegalMain(ReadOnlySpan<char> main)
    {
        if (main.IsEmpty)
        {
            return false;
        }

        foreach (var range in main.Split('.'))
        {
            var number = main[range];
            if (number.IsEmpty || number.Length > MaxDigitRun || !IsDigits(number) || (number.Length > 1 && number[0] == '0'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <c>-</c> and dot-separated identifiers, each a number without leading zeros or a run of ASCII letters,
    /// digits and hyphens that contains a letter or hyphen.
    /// </summary>
    private static bool IsLegalPreRelease(ReadOnlySpan<char> preRelease)
    {
        var identifiers = preRelease[1..];
        if (identifiers.IsEmpty)
        {
            return false;
        }

        foreach (var range in identifiers.Split('.'))
        {
            var identifier = identifiers[range];
            if (identifier.IsEmpty || !IsIdentifierText(identifier))
            {
                return false;
            }

            bool numeric = IsDigits(identifier);
            if (numeric && ((identifier.Length > 1 && identifier[0] == '0') || identifier.Length > MaxDigitRun))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>+</c> and dot-separated, non-empty runs of ASCII letters, digits and hyphens.</summary>
    private static bool IsLegalBuild(ReadOnlySpan<char> build)
    {
        var identifiers = build[1..];
        if (identifiers.IsEmpty)
        {
            return false;
        }

        foreach (var range in identifiers.Split('.'))
        {
            if (identifiers[range].IsEmpty || !IsIdentifierText(identifiers[range]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Returns whether every character is an ASCII digit. MemoryExtensions.ContainsAnyExceptInRange allocated
    /// 96 bytes per call before the JIT optimized it, so this plain loop keeps the matching path allocation-free.
    /// </summary>
    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsIdentifierText(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}
