using Compiled.Runtime.Events;

namespace Compiled.Runtime.Matching;

/// <summary>The order operators of EQL, for comparisons between a field and a literal.</summary>
public enum Comparison : byte
{
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
}

/// <summary>
/// EQL predicates over one field of an event, with Elasticsearch's semantics: a field with several values
/// matches when any value does; a field with no value gives <see cref="Tri.Null"/>; otherwise the
/// result is <see cref="Tri.False"/>. None of them allocates.
/// </summary>
public static class Eql
{
    /// <summary>
    /// The maximum number of combinations of field values one condition or join key evaluates per event. Several fields
    /// with many values each multiply, and an event with four 100-value arrays would otherwise need 10^8 steps.
    /// </summary>
    public const int MaxCombinations = 4096;

    /// <summary>
    /// <c>date == "2017-08-30T20:47:33Z"</c>: true when a value's time lies in the span the literal names,
    /// from <paramref name="first"/> to <paramref name="last"/> nanoseconds since the epoch.
    /// </summary>
    public static Tri DateEqual(EventRecord ev, int slot, long first, long last)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (TryGetTime(ev, item, out long time) && time >= first && time <= last)
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>An order comparison with a date span: <c>&lt;</c> and <c>&gt;=</c> use its first instant, <c>&gt;</c> and <c>&lt;=</c> its last.</summary>
    public static Tri CompareDate(EventRecord ev, int slot, Comparison comparison, long first, long last)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (TryGetTime(ev, item, out long time))
            {
                bool holds = comparison switch
                {
                    Comparison.LessThan => time < first,
                    Comparison.LessThanOrEqual => time <= last,
                    Comparison.GreaterThan => time > last,
                    _ => time >= first,
                };
                if (holds)
                {
                    return Tri.True;
                }
            }

            result = Tri.False;
        }

        return result;
    }

    internal static bool TryGetTime(EventRecord ev, in FieldValue value, out long time)
    {
        switch (value.Kind)
        {
            case FieldValueKind.String:
                return Timestamps.TryParse(ev.Text(value), out time);
            case FieldValueKind.Integer:
                return Timestamps.TryFromEpochMilliseconds(value.Integer, out time);
            case FieldValueKind.Float:
                return Timestamps.TryFromEpochMilliseconds(value.Number, out time);
            default:
                time = 0;
                return false;
        }
    }

    /// <summary><c>field == "text"</c>: exact, case-sensitive equality.</summary>
    public static Tri Equal(EventRecord ev, int slot, string value)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (ev.Text(item).SequenceEqual(value))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>
    /// <c>field != "text"</c>: the negation of <c>==</c>, so a field with several values is true only when
    /// none equals, as Elasticsearch turns <c>!=</c> into a negated term query.
    /// </summary>
    public static Tri NotEqual(EventRecord ev, int slot, string value) => Negate(Equal(ev, slot, value));

    /// <summary><c>field == number</c>. Numeric strings count as numbers, as Elasticsearch coerces them into numeric fields.</summary>
    public static Tri Equal(EventRecord ev, int slot, double value)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (TryGetNumber(ev, item, out double number) && number == value)
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field != number</c>: the negation of <c>==</c>.</summary>
    public static Tri NotEqual(EventRecord ev, int slot, double value) => Negate(Equal(ev, slot, value));

    /// <summary><c>field == true</c> or <c>false</c>; the strings "true" and "false" count as booleans.</summary>
    public static Tri Equal(EventRecord ev, int slot, bool value)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (TryGetBoolean(ev, item, out bool flag) && flag == value)
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field != true</c> or <c>false</c>: the negation of <c>==</c>.</summary>
    public static Tri NotEqual(EventRecord ev, int slot, bool value) => Negate(Equal(ev, slot, value));

    /// <summary>Three-valued <c>not</c>.</summary>
    public static Tri Negate(Tri value) => value switch
    {
        Tri.True => Tri.False,
        Tri.False => Tri.True,
        _ => Tri.Null,
    };

    /// <summary><c>field == null</c>: whether the field is missing or null. Never <see cref="Tri.Null"/>.</summary>
    public static bool IsNull(EventRecord ev, int slot) => !ev.HasValue(slot);

    /// <summary>An order comparison between numeric values and a number.</summary>
    public static Tri Compare(EventRecord ev, int slot, Comparison comparison, double value)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (TryGetNumber(ev, item, out double number) && Holds(comparison, EqlOperators.JavaCompare(number, value)))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>An order comparison between strings by UTF-16 code unit, case-sensitive, as Java's compareTo.</summary>
    public static Tri Compare(EventRecord ev, int slot, Comparison comparison, string value)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (Holds(comparison, ev.Text(item).SequenceCompareTo(value)))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>
    /// An order comparison on a field of Elasticsearch's <c>version</c> type: by <see cref="VersionOrder"/>, so
    /// <c>1.11.3</c> is greater than <c>1.5.0</c>. <paramref name="encoded"/> comes from <see cref="VersionOrder.Encode(string)"/>.
    /// </summary>
    public static Tri CompareVersion(EventRecord ev, int slot, Comparison comparison, byte[] encoded)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (item.Kind != FieldValueKind.Boolean && Holds(comparison, VersionOrder.Compare(ev.Text(item), encoded)))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field in ("a", "b")</c>: exact, case-sensitive; no wildcards.</summary>
    public static Tri In(EventRecord ev, int slot, string[] values)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            var text = ev.Text(item);
            foreach (var value in values)
            {
                if (text.SequenceEqual(value))
                {
                    return Tri.True;
                }
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field in~ ("a", "b")</c>: exact but case-insensitive; no wildcards.</summary>
    public static Tri InIgnoreCase(EventRecord ev, int slot, string[] values)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            var text = ev.Text(item);
            foreach (var value in values)
            {
                if (text.Equals(value, StringComparison.OrdinalIgnoreCase))
                {
                    return Tri.True;
                }
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field in (...)</c> or <c>in~</c> with a long list of strings, hashed once.</summary>
    public static Tri In(EventRecord ev, int slot, StringSet values)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (values.Contains(ev.Text(item)))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field in (1, 2)</c> with numbers.</summary>
    public static Tri In(EventRecord ev, int slot, double[] values)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (TryGetNumber(ev, item, out double number) && Array.IndexOf(values, number) >= 0)
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>
    /// <c>field : ("a*", "*b")</c>, <c>like</c> or <c>like~</c>: true when any string value matches any pattern.
    /// A field whose values are all booleans or numbers gives <see cref="Tri.False"/>.
    /// </summary>
    public static Tri Like(EventRecord ev, int slot, LikePatterns patterns)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            // NOTE: a boolean or a number in a keyword field is skipped here, so `process.name : "true"` misses
            // an event with `"name": true`, although Elasticsearch indexes that value as "true" and `==` matches it.
            if (item.Kind == FieldValueKind.String && patterns.IsMatch(ev.Text(item)))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary><c>field regex "pattern"</c> and <c>regex~</c>: a Lucene regular expression over the whole string value.</summary>
    public static Tri Regex(EventRecord ev, int slot, RegexPattern pattern)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (item.Kind == FieldValueKind.String && pattern.IsMatch(ev.Text(item)))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>
    /// <c>cidrMatch(field, "10.0.0.0/8", ...)</c>: true when any address value lies in any block. A value that
    /// is not an address counts as missing, as Elasticsearch's <c>ip</c> field drops or rejects it.
    /// The generator also emits it for <c>==</c>, <c>!=</c> and <c>in</c> on an <c>ip</c> field, which compare addresses.
    /// So <c>2001:DB8::1</c> equals <c>2001:db8:0:0:0:0:0:1</c>, and <c>10.0.0.1</c> equals <c>::ffff:10.0.0.1</c>.
    /// </summary>
    public static Tri CidrMatch(EventRecord ev, int slot, CidrSet blocks)
    {
        var result = Tri.Null;
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (item.Kind != FieldValueKind.String || !IPAddressBits.TryParse(ev.Text(item), out var address, out _))
            {
                continue;
            }

            if (blocks.Contains(address))
            {
                return Tri.True;
            }

            result = Tri.False;
        }

        return result;
    }

    /// <summary>A field used as a condition by itself, such as <c>where process.Ext.relative_file_creation</c>.</summary>
    public static Tri IsTrue(EventRecord ev, int slot) => Equal(ev, slot, true);

    /// <summary>
    /// Enumerates a field's values for a computed expression: each value once, or a single null when the
    /// field has no value, so that functions such as <c>concat</c> still see the null.
    /// </summary>
    public static ValueEnumerable Each(EventRecord ev, int slot) => new(ev, slot);

    /// <summary>
    /// Folds one result of a computed condition into the result over all values of its fields: any True
    /// wins, then any False, else null.
    /// </summary>
    public static Tri Combine(Tri sofar, Tri next) => next switch
    {
        Tri.True => Tri.True,
        Tri.False when sofar != Tri.True => Tri.False,
        _ => sofar,
    };

    private static bool Holds(Comparison comparison, int order) => comparison switch
    {
        Comparison.LessThan => order < 0,
        Comparison.LessThanOrEqual => order <= 0,
        Comparison.GreaterThan => order > 0,
        _ => order >= 0,
    };

    internal static bool TryGetNumber(EventRecord ev, in FieldValue value, out double number)
    {
        switch (value.Kind)
        {
            case FieldValueKind.Integer:
            case FieldValueKind.Float:
                number = value.Number;
                return true;
            case FieldValueKind.String:
                return double.TryParse(ev.Text(value), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out number);
            default:
                number = 0;
                return false;
        }
    }

    private static bool TryGetBoolean(EventRecord ev, in FieldValue value, out bool flag)
    {
        switch (value.Kind)
        {
            case FieldValueKind.Boolean:
                flag = value.Integer != 0;
                return true;
            case FieldValueKind.String:
                var text = ev.Text(value);
                flag = text.SequenceEqual("true");
                return flag || text.SequenceEqual("false");
            default:
                flag = false;
                return false;
        }
    }
}

/// <summary>The values of one field as <see cref="EqlValue"/>s, or one null when it has none.</summary>
public readonly ref struct ValueEnumerable(EventRecord ev, int slot)
{
    private readonly EventRecord _ev = ev;
    private readonly int _slot = slot;

    public Enumerator GetEnumerator() => new(_ev, _slot);

    public ref struct Enumerator
    {
        private readonly EventRecord _ev;
        private EventRecord.ValueEnumerator _values;
        private bool _yieldNull;
        private bool _started;
        private EqlValue _current;

        internal Enumerator(EventRecord ev, int slot)
        {
            _ev = ev;
            _values = ev.Values(slot);
            _yieldNull = !ev.HasValue(slot);
            _started = false;
            _current = default;
        }

        public readonly EqlValue Current => _current;

        public bool MoveNext()
        {
            if (_yieldNull)
            {
                if (_started)
                {
                    return false;
                }

                _started = true;
                _current = EqlValue.Null;
                return true;
            }

            if (!_values.MoveNext())
            {
                return false;
            }

            _current = EqlValue.From(_ev, _values.Current);
            return true;
        }
    }
}
