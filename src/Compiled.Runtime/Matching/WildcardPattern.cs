namespace Compiled.Runtime.Matching;

/// <summary>
/// An anchored wildcard pattern for <c>:</c> and <c>like</c>: <c>*</c> matches any run of characters,
/// <c>?</c> exactly one code point, everything else itself. Matching takes at most O(value × pattern) steps, so no
/// pattern can cause catastrophic backtracking.
/// </summary>
public sealed class WildcardPattern
{
    private readonly string _pattern;
    private readonly bool _ignoreCase;

    public WildcardPattern(string pattern, bool ignoreCase)
    {
        _ignoreCase = ignoreCase;
        // Lowered one UTF-16 unit at a time, as Fold lowers the value, so a letter above U+FFFF folds on neither side.
        _pattern = ignoreCase ? string.Create(pattern.Length, pattern, static (target, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                target[i] = char.ToLowerInvariant(source[i]);
            }
        }) : pattern;
        Pattern = pattern;
    }

    /// <summary>The pattern as written in the rule.</summary>
    public string Pattern { get; }

    public bool IsMatch(ReadOnlySpan<char> value)
    {
        var pattern = _pattern.AsSpan();
        int v = 0, p = 0;
        int starPattern = -1, starValue = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starPattern = p++;
                starValue = v;
            }
            else if (p < pattern.Length && pattern[p] == '?')
            {
                // One '?' matches one code point, so both halves of a surrogate pair.
                p++;
                v += char.IsHighSurrogate(value[v]) && v + 1 < value.Length && char.IsLowSurrogate(value[v + 1]) ? 2 : 1;
            }
            else if (p < pattern.Length && pattern[p] == Fold(value[v]))
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

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private char Fold(char c) => _ignoreCase ? char.ToLowerInvariant(c) : c;
}
