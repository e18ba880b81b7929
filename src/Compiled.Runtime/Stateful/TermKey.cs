using System.Text;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Stateful;

/// <summary>
/// Builds the keys that group events by the values of a few fields (threshold buckets, new terms,
/// suppression groups) into a reused buffer, so looking up a key that is already stored allocates nothing.
/// A key writes each field as a marker and, for a value, its length in two characters and its text, so
/// no value can be mistaken for another and <see cref="Split"/> gives the values back.
/// </summary>
public sealed class TermKey
{
    private const char ValueMarker = 'v';
    private const char MissingMarker = 'n';
    private const char ArrayMarker = 'a';

    private readonly int[] _slots;
    private readonly int[] _cursor;
    private readonly int[] _counts;
    private char[] _buffer = new char[256];
    private int _length;

    public TermKey(int[] slots)
    {
        _slots = slots;
        _cursor = new int[slots.Length];
        _counts = new int[slots.Length];
    }

    public int FieldCount => _slots.Length;

    /// <summary>The key built last.</summary>
    public ReadOnlySpan<char> Current => _buffer.AsSpan(0, _length);

    /// <summary>
    /// Counts the combinations of one value per field in <paramref name="ev"/>: the product of the fields'
    /// value counts, 0 when a field has no value.
    /// </summary>
    public long CombinationCount(EventRecord ev)
    {
        long product = 1;
        for (int i = 0; i < _slots.Length; i++)
        {
            int count = 0;
            foreach (ref readonly var value in ev.Values(_slots[i]))
            {
                count++;
            }

            _counts[i] = count;
            product *= count;
            if (product == 0)
            {
                return 0;
            }
        }

        return product;
    }

    /// <summary>
    /// Builds the key of combination <paramref name="index"/> (from 0 to <see cref="CombinationCount"/> - 1)
    /// into <see cref="Current"/>; the last field varies fastest.
    /// </summary>
    public ReadOnlySpan<char> Combination(EventRecord ev, long index)
    {
        for (int i = _slots.Length - 1; i >= 0; i--)
        {
            _cursor[i] = (int)(index % _counts[i]);
            index /= _counts[i];
        }

        _length = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            int position = 0;
            foreach (ref readonly var value in ev.Values(_slots[i]))
            {
                if (position++ == _cursor[i])
                {
                    AppendValue(ev.Text(value));
                    break;
                }
            }
        }

        return Current;
    }

    /// <summary>
    /// Builds one key from every value of each field, in document order: a field with several values is one
    /// term, as alert suppression groups them. A field with no value is written as missing; returns false when
    /// any field is missing.
    /// </summary>
    public bool AllValues(EventRecord ev)
    {
        _length = 0;
        bool complete = true;
        for (int i = 0; i < _slots.Length; i++)
        {
            int count = 0;
            foreach (ref readonly var value in ev.Values(_slots[i]))
            {
                count++;
            }

            if (count == 0)
            {
                Append(MissingMarker);
                complete = false;
                continue;
            }

            Append(ArrayMarker);
            Append((char)(count & 0xFFFF));
            Append((char)(count >> 16));
            foreach (ref readonly var value in ev.Values(_slots[i]))
            {
                AppendValue(ev.Text(value));
            }
        }

        return complete;
    }

    /// <summary>Builds a key from the given values; null is a missing value.</summary>
    public static string FromValues(IReadOnlyList<string?> values)
    {
        var builder = new StringBuilder();
        foreach (var value in values)
        {
            if (value is null)
            {
                builder.Append(MissingMarker);
            }
            else
            {
                builder.Append(ValueMarker).Append((char)(value.Length & 0xFFFF)).Append((char)(value.Length >> 16)).Append(value);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Returns the values of each field of a key: null for a missing field, one value for a field of a
    /// combination key, every value for a field of an <see cref="AllValues"/> key.
    /// </summary>
    public static string[]?[] Split(string key, int fieldCount)
    {
        var fields = new string[]?[fieldCount];
        int position = 0;
        for (int i = 0; i < fieldCount && position < key.Length; i++)
        {
            char marker = key[position++];
            if (marker == MissingMarker)
            {
                continue;
            }

            int count = 1;
            if (marker == ArrayMarker)
            {
                count = key[position] | (key[position + 1] << 16);
                position += 2;
                position++; // each value of the array starts with its own marker
            }

            var values = new string[count];
            for (int v = 0; v < count; v++)
            {
                if (v > 0)
                {
                    position++;
                }

                int length = key[position] | (key[position + 1] << 16);
                position += 2;
                values[v] = key.Substring(position, length);
                position += length;
            }

            fields[i] = values;
        }

        return fields;
    }

    private void AppendValue(ReadOnlySpan<char> text)
    {
        Append(ValueMarker);
        Append((char)(text.Length & 0xFFFF));
        Append((char)(text.Length >> 16));
        Reserve(text.Length);
        text.CopyTo(_buffer.AsSpan(_length));
        _length += text.Length;
    }

    private void Append(char c)
    {
        Reserve(1);
        _buffer[_length++] = c;
    }

    private void Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }
    }
}
