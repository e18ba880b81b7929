using System.Collections.Frozen;

namespace Compiled.Runtime.Matching;

/// <summary>
/// A set of strings looked up by span without allocating, for long <c>in</c> lists and the exact
/// patterns of long <c>:</c> lists. Case-insensitive sets compare with ordinal case folding.
/// </summary>
public sealed class StringSet
{
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _frozen;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _folded;
    private readonly bool _useFolded;

    public StringSet(bool ignoreCase, params string[] values)
    {
        // With case folding a FrozenSet hashes a slice of each string, which can split a surrogate pair, so
        // "x\U00010428" would miss "x\U00010400", which OrdinalIgnoreCase finds equal. A HashSet hashes whole strings.
        _useFolded = ignoreCase && values.Any(value => value.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'));
        if (_useFolded)
        {
            var set = new HashSet<string>(values, StringComparer.OrdinalIgnoreCase);
            _folded = set.GetAlternateLookup<ReadOnlySpan<char>>();
            Count = set.Count;
        }
        else
        {
            var set = values.ToFrozenSet(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
            _frozen = set.GetAlternateLookup<ReadOnlySpan<char>>();
            Count = set.Count;
        }
    }

    public int Count { get; }

    public bool Contains(ReadOnlySpan<char> value) => _useFolded ? _folded.Contains(value) : _frozen.Contains(value);
}
