using System.Buffers;

namespace Compiled.Runtime.Matching;

/// <summary>
/// The patterns of one <c>:</c>, <c>like</c> or <c>like~</c> test, classified once when the rule class loads.
/// A pattern without wildcards is an equality, <c>abc*</c> a prefix, <c>*abc</c> a suffix, <c>*abc*</c> a
/// substring and <c>ab*yz</c> a prefix and a suffix. Only patterns with <c>?</c> or more stars use the general
/// <see cref="WildcardPattern"/>. More than <see cref="InlineLimit"/> equalities share one hashed set, and more
/// than that many substrings share one <see cref="SearchValues{T}"/> scan. Case-insensitive patterns compare
/// with <see cref="StringComparison.OrdinalIgnoreCase"/>. Matching allocates nothing.
/// </summary>
public sealed class LikePatterns
{
    /// <summary>The largest group of equalities or substrings that is checked one pattern at a time.</summary>
    public const int InlineLimit = 6;

    private readonly StringComparison _comparison;
    private readonly string[] _exact;
    private readonly StringSet? _exactSet;
    private readonly string[] _prefixes;
    private readonly string[] _suffixes;
    private readonly string[] _affixPrefixes;
    private readonly string[] _affixSuffixes;
    private readonly string[] _substrings;
    private readonly SearchValues<string>? _substringSet;
    private readonly WildcardPattern[] _general;

    public LikePatterns(bool ignoreCase, params string[] patterns)
    {
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var exact = new List<string>();
        var prefixes = new List<string>();
        var suffixes = new List<string>();
        var affixPrefixes = new List<string>();
        var affixSuffixes = new List<string>();
        var substrings = new List<string>();
        var general = new List<WildcardPattern>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            if (!seen.Add(pattern))
            {
                continue;
            }

            if (pattern.Contains('?'))
            {
                general.Add(new WildcardPattern(pattern, ignoreCase));
                continue;
            }

            var parts = pattern.Split('*');
            switch (parts.Length)
            {
                case 1:
                    exact.Add(pattern);
                    break;
                case 2 when parts[1].Length == 0:
                    prefixes.Add(parts[0]);
                    break;
                case 2 when parts[0].Length == 0:
                    suffixes.Add(parts[1]);
                    break;
                case 2:
                    affixPrefixes.Add(parts[0]);
                    affixSuffixes.Add(parts[1]);
                    break;
                case 3 when parts[0].Length == 0 && parts[2].Length == 0 && parts[1].Length > 0:
                    substrings.Add(parts[1]);
                    break;
                default:
                    // "*" alone, "**" and other runs of stars match every string; the general matcher handles them.
                    general.Add(new WildcardPattern(pattern, ignoreCase));
                    break;
            }
        }

        if (exact.Count > InlineLimit)
        {
            _exactSet = new StringSet(ignoreCase, exact.ToArray());
            _exact = [];
        }
        else
        {
            _exact = exact.ToArray();
        }

        if (substrings.Count > InlineLimit)
        {
            _substringSet = SearchValues.Create(substrings.ToArray(), _comparison);
            _substrings = [];
        }
        else
        {
            _substrings = substrings.ToArray();
        }

        _prefixes = prefixes.ToArray();
        _suffixes = suffixes.ToArray();
        _affixPrefixes = affixPrefixes.ToArray();
        _affixSuffixes = affixSuffixes.ToArray();
        _general = general.ToArray();
    }

    /// <summary>Tests whether the text matches any of the patterns.</summary>
    public bool IsMatch(ReadOnlySpan<char> text)
    {
        foreach (var value in _exact)
        {
            if (text.Equals(value, _comparison))
            {
                return true;
            }
        }

        if (_exactSet is not null && _exactSet.Contains(text))
        {
            return true;
        }

        foreach (var prefix in _prefixes)
        {
            if (text.StartsWith(prefix, _comparison))
            {
                return true;
            }
        }

        foreach (var suffix in _suffixes)
        {
            if (text.EndsWith(suffix, _comparison))
            {
                return true;
            }
        }

        for (int i = 0; i < _affixPrefixes.Length; i++)
        {
            string prefix = _affixPrefixes[i], suffix = _affixSuffixes[i];
            if (text.Length >= prefix.Length + suffix.Length && text.StartsWith(prefix, _comparison) && text.EndsWith(suffix, _comparison))
            {
                return true;
            }
        }

        foreach (var part in _substrings)
        {
            if (text.Contains(part, _comparison))
            {
                return true;
            }
        }

        return (_substringSet is not null && text.ContainsAny(_substringSet)) || IsGeneralMatch(text);
    }

    private bool IsGeneralMatch(ReadOnlySpan<char> text)
    {
        foreach (var pattern in _general)
        {
            if (pattern.IsMatch(text))
            {
                return true;
            }
        }

        return false;
    }
}
