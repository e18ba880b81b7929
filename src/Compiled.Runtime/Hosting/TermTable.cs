using System.Numerics;
using System.Runtime.InteropServices;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// A read-only hash table from dispatch values to the rules that use them, looked up by a span of the
/// event's text. A lookup compares text only after a slot's stored hash equals the text's, and calls no
/// comparer through an interface, unlike a dictionary's alternate lookup.
/// </summary>
/// <remarks>
/// With <c>ignoreCase</c> the keys match as <see cref="StringComparison.OrdinalIgnoreCase"/> does, so the
/// hash must be equal for any two texts that comparison finds equal; see <see cref="Fold"/>.
/// </remarks>
internal sealed class TermTable
{
    // Odd multipliers from the golden ratio, which spread consecutive codes over the high bits.
    private const uint Multiplier = 0x9E3779B1;
    private const ulong Mixer = 0x9E3779B97F4A7C15;

    // A text longer than twice this hashes its first and last Window characters only.
    private const int Window = 24;

    private readonly int[] _entries;
    private readonly uint[] _hashes;
    private readonly string[] _keys;
    private readonly int[][] _rules;
    private readonly int _shift;
    private readonly bool _ignoreCase;

    public TermTable(IReadOnlyDictionary<string, int[]> rules, bool ignoreCase)
    {
        _ignoreCase = ignoreCase;
        _keys = [.. rules.Keys];
        _rules = new int[_keys.Length][];
        int size = 4;
        while (size < _keys.Length * 2)
        {
            size *= 2;
        }

        _shift = 32 - BitOperations.Log2((uint)size);
        _entries = new int[size];
        _hashes = new uint[size];
        for (int key = 0; key < _keys.Length; key++)
        {
            _rules[key] = rules[_keys[key]];
            uint hash = Hash(_keys[key]);
            int slot = (int)(hash >> _shift);
            while (_entries[slot] != 0)
            {
                slot = (slot + 1) & (size - 1);
            }

            _entries[slot] = key + 1;
            _hashes[slot] = hash;
        }
    }

    /// <summary>Returns the rules of the key equal to <paramref name="text"/>, or null when there is none.</summary>
    public int[]? Find(ReadOnlySpan<char> text)
    {
        uint hash = Hash(text);
        int mask = _entries.Length - 1;
        for (int slot = (int)(hash >> _shift); ; slot = (slot + 1) & mask)
        {
            int entry = _entries[slot];
            if (entry == 0)
            {
                return null;
            }

            if (_hashes[slot] == hash && (_ignoreCase ? text.Equals(_keys[entry - 1], StringComparison.OrdinalIgnoreCase) : text.SequenceEqual(_keys[entry - 1])))
            {
                return _rules[entry - 1];
            }
        }
    }

    private uint Hash(ReadOnlySpan<char> text)
    {
        ulong hash = (ulong)text.Length * Multiplier;
        if (text.Length > 2 * Window)
        {
            hash = Mix(hash, text[..Window]);
            hash = Mix(hash, text[^Window..]);
        }
        else
        {
            hash = Mix(hash, text);
        }

        return (uint)(hash >> 32) ^ (uint)hash;
    }

    /// <summary>Mixes the characters of <paramref name="text"/> into <paramref name="hash"/>, four at a time.</summary>
    private ulong Mix(ulong hash, ReadOnlySpan<char> text)
    {
        var units = MemoryMarshal.Cast<char, ulong>(text);
        foreach (ulong four in units)
        {
            hash = Step(hash, _ignoreCase ? FoldFour(four) : four);
        }

        for (int i = units.Length * 4; i < text.Length; i++)
        {
            hash = Step(hash, _ignoreCase ? Fold(text[i]) : text[i]);
        }

        return hash;
    }

    private static ulong Step(ulong hash, ulong value) => BitOperations.RotateLeft((hash ^ value) * Mixer, 29);

    /// <summary>Folds four UTF-16 units as <see cref="Fold"/> does each.</summary>
    private static ulong FoldFour(ulong four)
    {
        if ((four & 0xFF80_FF80_FF80_FF80) == 0)
        {
            return four | 0x0020_0020_0020_0020;
        }

        ulong folded = 0;
        for (int shift = 0; shift < 64; shift += 16)
        {
            folded |= (ulong)Fold((char)(four >> shift)) << shift;
        }

        return folded;
    }

    /// <summary>
    /// One code per class of characters that <see cref="StringComparison.OrdinalIgnoreCase"/> may find equal:
    /// an ASCII character with bit 5 set, which joins the two cases of a letter, and one code for every
    /// UTF-16 unit outside ASCII, either half of a surrogate pair included, as that comparison never finds
    /// such a character equal to an ASCII one.
    /// </summary>
    private static uint Fold(char c) => c < 128 ? c | 0x20u : 0x80u;
}
