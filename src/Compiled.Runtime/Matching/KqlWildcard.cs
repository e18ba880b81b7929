using System.Buffers;

namespace Compiled.Runtime.Matching;

/// <summary>
/// A pattern in Elasticsearch's wildcard syntax: <c>*</c> matches any run of characters, <c>?</c> one
/// character, and <c>\</c> makes the next character literal. The whole value must match. Matching takes at
/// most O(value × pattern) steps, so no pattern can cause catastrophic backtracking.
/// </summary>
public sealed class KqlWildcard
{
    private const byte Literal = 0;
    private const byte AnyOne = 1;
    private const byte AnyRun = 2;

    private readonly char[] _chars;
    private readonly byte[] _kinds;
    private readonly bool _ignoreCase;

    public KqlWildcard(string pattern, bool ignoreCase)
    {
        Pattern = pattern;
        _ignoreCase = ignoreCase;

        // Lowercasing changes no '*', '?' or backslash, so the lowered pattern parses the same.
        string source = ignoreCase ? pattern.ToLowerInvariant() : pattern;
        var chars = new List<char>(source.Length);
        var kinds = new List<byte>(source.Length);
        for (int i = 0; i < source.Length; i++)
        {
            char c = source[i];
            if (c == '\\' && i + 1 < source.Length)
            {
                chars.Add(source[++i]);
                kinds.Add(Literal);
            }
            else if (c is '*' or '?')
            {
                chars.Add(c);
                kinds.Add(c == '*' ? AnyRun : AnyOne);
            }
            else
            {
                chars.Add(c);
                kinds.Add(Literal);
            }
        }

        _chars = [.. chars];
        _kinds = [.. kinds];
    }

    /// <summary>The pattern as written, in wildcard syntax.</summary>
    public string Pattern { get; }

    public bool IsMatch(ReadOnlySpan<char> value)
    {
        if (!_ignoreCase)
        {
            return Matches(value);
        }

        // Lowercased per code point, as the pattern is and as Lucene's lowercase normalizer does, so a letter
        // above U+FFFF folds too. Simple case mapping keeps the length.
        char[]? rented = null;
        Span<char> folded = value.Length <= StackLimit ? stackalloc char[value.Length] : (rented = ArrayPool<char>.Shared.Rent(value.Length)).AsSpan(0, value.Length);
        value.ToLowerInvariant(folded);
        bool matches = Matches(folded);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return matches;
    }

    /// <summary>The longest value that <see cref="IsMatch"/> lowercases on the stack.</summary>
    private const int StackLimit = 256;

    private bool Matches(ReadOnlySpan<char> value)
    {
        int v = 0, p = 0;
        int starPattern = -1, starValue = 0;
        while (v < value.Length)
        {
            if (p < _kinds.Length && _kinds[p] == AnyRun)
            {
                starPattern = p++;
                starValue = v;
            }
            else if (p < _kinds.Length && (_kinds[p] == AnyOne || _chars[p] == value[v]))
            {
                p++;
                v++;
            }
            else if (starPattern >= 0)
            {
                // Let the last star absorb one more character and retry the rest of the pattern.
                p = starPattern + 1;
                v = ++starValue;
            }
            else
            {
                return false;
            }
        }

        while (p < _kinds.Length && _kinds[p] == AnyRun)
        {
            p++;
        }

        return p == _kinds.Length;
    }

}
