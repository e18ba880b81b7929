using Compiled.Runtime.Events;

namespace Compiled.Runtime.Sequences;

/// <summary>
/// Builds the join keys of one event for a sequence or sample stage, without allocating. A field with
/// several values gives one key per value, and several such fields give every combination.
/// </summary>
internal sealed class JoinKeyBuilder
{
    // Strings, not collection expressions: without optimization the runtime allocates for a span built from [c].
    private const string Separator = "\u0000";
    // A missing value, then the separator.
    private const string MissingEntry = "\u0001\u0000";

    private char[] _key = new char[256];

    /// <summary>
    /// Points each key field at its first value. Returns false when a required key field is missing,
    /// which keeps the event out of the stage.
    /// </summary>
    public static bool Start(EventRecord ev, JoinKeys keys, Span<int> cursor)
    {
        for (int i = 0; i < cursor.Length; i++)
        {
            cursor[i] = ev.FirstIndex(keys.Slots[i]);
            if (cursor[i] < 0 && !keys.Optional[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Moves to the next combination of key values; returns false after the last one, or once
    /// <paramref name="produced"/> reaches <see cref="Matching.Eql.MaxCombinations"/>.
    /// </summary>
    public static bool Next(EventRecord ev, JoinKeys keys, Span<int> cursor, ref int produced)
    {
        if (++produced >= Matching.Eql.MaxCombinations)
        {
            return false;
        }

        for (int i = cursor.Length - 1; i >= 0; i--)
        {
            if (cursor[i] < 0)
            {
                continue;
            }

            int next = ev.ValueAt(cursor[i]).Next;
            if (next >= 0)
            {
                cursor[i] = next;
                return true;
            }

            cursor[i] = ev.FirstIndex(keys.Slots[i]);
        }

        return false;
    }

    /// <summary>
    /// Returns the key for the current combination, valid until the next call. Missing values sort first,
    /// and keys compare as tuples under ordinal order, because the separator is the lowest character.
    /// </summary>
    public ReadOnlySpan<char> Build(EventRecord ev, JoinKeys keys, ReadOnlySpan<int> cursor)
    {
        int length = 0;
        for (int i = 0; i < cursor.Length; i++)
        {
            if (cursor[i] < 0)
            {
                Append(ref length, MissingEntry);
                continue;
            }

            if (!keys.Dates[i] || !TryAppendDate(ref length, ev, ev.ValueAt(cursor[i])))
            {
                AppendValue(ref length, ev, ev.ValueAt(cursor[i]));
            }

            Append(ref length, Separator);
        }

        return _key.AsSpan(0, length);
    }

    /// <summary>
    /// Appends a value in the form Elasticsearch compares join keys in: <c>1</c>, <c>"1"</c> and <c>1.0</c>
    /// all join, because a keyword field indexes the number as text and a numeric field coerces the string.
    /// </summary>
    private void AppendValue(ref int length, EventRecord ev, in FieldValue value)
    {
        if (value.Kind == FieldValueKind.Float && value.Number == Math.Floor(value.Number) && Math.Abs(value.Number) < 1e15)
        {
            Span<char> digits = stackalloc char[24];
            ((long)value.Number).TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            Append(ref length, digits[..written]);
            return;
        }

        Append(ref length, ev.Text(value));
    }

    /// <summary>Appends a date value as milliseconds since the epoch, the form Elasticsearch gives date join keys.</summary>
    private bool TryAppendDate(ref int length, EventRecord ev, in FieldValue value)
    {
        long nanoseconds;
        bool parsed = value.Kind switch
        {
            FieldValueKind.String => Timestamps.TryParse(ev.Text(value), out nanoseconds),
            FieldValueKind.Integer => Timestamps.TryFromEpochMilliseconds(value.Integer, out nanoseconds),
            FieldValueKind.Float => Timestamps.TryFromEpochMilliseconds(value.Number, out nanoseconds),
            _ => (nanoseconds = 0) != 0,
        };
        if (!parsed)
        {
            return false;
        }

        Span<char> digits = stackalloc char[24];
        long milliseconds = nanoseconds / 1_000_000;
        if (nanoseconds % 1_000_000 < 0)
        {
            milliseconds--;
        }

        milliseconds.TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        Append(ref length, digits[..written]);
        return true;
    }

    private void Append(ref int length, ReadOnlySpan<char> text)
    {
        if (length + text.Length > _key.Length)
        {
            Array.Resize(ref _key, Math.Max(_key.Length * 2, length + text.Length));
        }

        text.CopyTo(_key.AsSpan(length));
        length += text.Length;
    }
}
