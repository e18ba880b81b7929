using System.Buffers;
using System.Text;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Matching;

/// <summary>
/// KQL field tests with Elasticsearch's semantics. A field with several values matches when any value
/// does. Unlike EQL's predicates these are two-valued: a missing field gives <see cref="Tri.False"/>,
/// so <c>not field:value</c> matches events without the field, as a bool query's <c>must_not</c> does.
/// None of them allocates.
/// </summary>
public static class Kql
{
    /// <summary><c>field:*</c>: the field has at least one non-null value.</summary>
    public static Tri Exists(EventRecord ev, int slot) => ev.HasValue(slot) ? Tri.True : Tri.False;

    /// <summary>A keyword term: exact and case-sensitive. Numbers and booleans compare by their text.</summary>
    public static Tri Equal(EventRecord ev, int slot, string value) => Known(Eql.Equal(ev, slot, value));

    /// <summary>Keyword terms: any value equals any of <paramref name="values"/>, exactly and case-sensitively.</summary>
    public static Tri In(EventRecord ev, int slot, string[] values) => Known(Eql.In(ev, slot, values));

    /// <summary>Keyword terms from a long list, hashed once.</summary>
    public static Tri In(EventRecord ev, int slot, StringSet values) => Known(Eql.In(ev, slot, values));

    /// <summary>
    /// Keyword terms on a field indexed with a lowercase normalizer, such as a <c>.caseless</c> multi-field:
    /// any value, lowercased, equals any of <paramref name="lowered"/>, which must already be lowercase.
    /// Lowercasing is invariant and per code point, so a letter above U+FFFF lowercases as Lucene's lowercase filter does.
    /// </summary>
    public static Tri InLowercase(EventRecord ev, int slot, string[] lowered)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            var text = ev.Text(item);
            foreach (var value in lowered)
            {
                if (EqualsLowered(text, value))
                {
                    return Tri.True;
                }
            }
        }

        return Tri.False;
    }

    /// <summary>Keyword terms on a lowercase-normalized field from a long list of lowercase values, hashed once.</summary>
    public static Tri InLowercase(EventRecord ev, int slot, StringSet lowered)
    {
        Span<char> stack = stackalloc char[LowercaseStackLimit];
        foreach (ref readonly var item in ev.Values(slot))
        {
            var text = ev.Text(item);
            char[]? rented = null;
            Span<char> buffer = text.Length <= LowercaseStackLimit ? stack : (rented = ArrayPool<char>.Shared.Rent(text.Length));
            var folded = buffer.Slice(0, text.Length);
            text.ToLowerInvariant(folded);

            bool found = lowered.Contains(folded);
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }

            if (found)
            {
                return Tri.True;
            }
        }

        return Tri.False;
    }

    /// <summary>The longest value that <see cref="InLowercase(EventRecord, int, StringSet)"/> lowercases on the stack.</summary>
    private const int LowercaseStackLimit = 256;

    /// <summary>Compares <paramref name="text"/>, lowercased per code point, with <paramref name="lowered"/>, which is already lowercase.</summary>
    internal static bool EqualsLowered(ReadOnlySpan<char> text, string lowered)
    {
        if (text.Length != lowered.Length)
        {
            return false;
        }

        Span<char> pair = stackalloc char[2];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // Simple case mapping keeps a code point above U+FFFF at two UTF-16 units.
                Rune.ToLowerInvariant(new Rune(c, text[i + 1])).EncodeToUtf16(pair);
                if (pair[0] != lowered[i] || pair[1] != lowered[i + 1])
                {
                    return false;
                }

                i++;
            }
            else if (char.ToLowerInvariant(c) != lowered[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A numeric term; numeric strings count as numbers, as Elasticsearch coerces them.</summary>
    public static Tri Equal(EventRecord ev, int slot, double value) => Known(Eql.Equal(ev, slot, value));

    /// <summary>A boolean term; the strings "true" and "false" count as booleans.</summary>
    public static Tri Equal(EventRecord ev, int slot, bool value) => Known(Eql.Equal(ev, slot, value));

    /// <summary>A numeric range bound.</summary>
    public static Tri Compare(EventRecord ev, int slot, Comparison comparison, double value) =>
        Known(Eql.Compare(ev, slot, comparison, value));

    /// <summary>A keyword range bound, by UTF-16 code unit.</summary>
    public static Tri Compare(EventRecord ev, int slot, Comparison comparison, string value) =>
        Known(Eql.Compare(ev, slot, comparison, value));

    /// <summary>A date that names a span from <paramref name="first"/> to <paramref name="last"/> nanoseconds since the epoch.</summary>
    public static Tri DateEqual(EventRecord ev, int slot, long first, long last) => Known(Eql.DateEqual(ev, slot, first, last));

    /// <summary>A date range bound: <c>&lt;</c> and <c>&gt;=</c> use the span's first instant, <c>&gt;</c> and <c>&lt;=</c> its last.</summary>
    public static Tri CompareDate(EventRecord ev, int slot, Comparison comparison, long first, long last) =>
        Known(Eql.CompareDate(ev, slot, comparison, first, last));

    /// <summary>A wildcard query on a keyword field: the whole text of a value must match.</summary>
    public static Tri Wildcard(EventRecord ev, int slot, KqlWildcard pattern)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (pattern.IsMatch(ev.Text(item)))
            {
                return Tri.True;
            }
        }

        return Tri.False;
    }

    /// <summary>A match or match_phrase query on a text field, against each value on its own.</summary>
    public static Tri Match(EventRecord ev, int slot, KqlText text)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (text.IsMatch(ev.Text(item)))
            {
                return Tri.True;
            }
        }

        return Tri.False;
    }

    /// <summary>A wildcard on a text field: a lowercased pattern that must match one token of a value.</summary>
    public static Tri MatchToken(EventRecord ev, int slot, KqlWildcard pattern)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            var tokenizer = new StandardTokenizer(ev.Text(item));
            while (tokenizer.MoveNext())
            {
                if (pattern.IsMatch(tokenizer.Current))
                {
                    return Tri.True;
                }
            }
        }

        return Tri.False;
    }

    /// <summary>
    /// A term on an <c>ip</c> field: an address, or a CIDR block, that contains a value. A value that is
    /// not an address never matches, as Elasticsearch's ip field does not index it.
    /// </summary>
    public static Tri Ip(EventRecord ev, int slot, CidrSet blocks)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (item.Kind == FieldValueKind.String && IPAddressBits.TryParse(ev.Text(item), out var address, out _) && blocks.Contains(address))
            {
                return Tri.True;
            }
        }

        return Tri.False;
    }

    /// <summary>Turns a missing field's <see cref="Tri.Null"/> into <see cref="Tri.False"/>.</summary>
    public static Tri Known(Tri value) => value == Tri.True ? Tri.True : Tri.False;
}
