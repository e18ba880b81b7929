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
        var chars = new List<char>(pattern.Length);
        var kinds = new List<byte>(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                chars.Add(Fold(pattern[++i]));
                kinds.Add(Literal);
            }
            else if (c is '*' or '?')
            {
                chars.Add(c);
                kinds.Add(c == '*' ? AnyRun : AnyOne);
            }
            else
            {
                chars.Add(Fold(c));
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
        int v = 0, p = 0;
        int starPattern = -1, starValue = 0;
        while (v < value.Length)
        {
            if (p < _kinds.Length && _kinds[p] == AnyRun)
            {
                starPattern = p++;
                starValue = v;
            }
            else if (p < _kinds.Length && (_kinds[p] == AnyOne || _chars[p] == Fold(value[v])))
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

    private char Fold(char c) => _ignoreCase ? char.ToLowerInvariant(c) : c;
}
