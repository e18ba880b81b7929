using System.Collections.Frozen;

namespace Compiled.Runtime.Matching;

/// <summary>
/// A set of strings looked up by span without allocating, for long <c>in</c> lists and the exact
/// patterns of long <c>:</c> lists. Case-insensitive sets compare with ordinal case folding.
/// </summary>
public sealed class StringSet
{
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringSet(bool ignoreCase, params string[] values)
    {
        var set = values.ToFrozenSet(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        _lookup = set.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = set.Count;
    }

    public int Count { get; }

    public bool Contains(ReadOnlySpan<char> value) => _lookup.Contains(value);
}
