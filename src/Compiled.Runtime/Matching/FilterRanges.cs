using Compiled.Runtime.Events;

namespace Compiled.Runtime.Matching;

/// <summary>
/// The bounds of an Elasticsearch <c>range</c> query on a numeric field. As with Elasticsearch's point
/// ranges, one value of a multi-valued field must meet both bounds. Numeric strings count as numbers.
/// </summary>
/// <remarks>
/// NOTE: values and bounds compare as doubles, so a <c>float</c> or <c>half_float</c> field, which
/// Elasticsearch stores at lower precision, can differ at a bound equal to a value that the narrower type cannot hold exactly.
/// </remarks>
public sealed class NumberRange(double lower, bool includeLower, double upper, bool includeUpper)
{
    public Tri Test(EventRecord ev, int slot)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (!Eql.TryGetNumber(ev, item, out double number) || double.IsNaN(number))
            {
                continue;
            }

            bool aboveLower = includeLower ? number >= lower : number > lower;
            bool belowUpper = includeUpper ? number <= upper : number < upper;
            if (aboveLower && belowUpper)
            {
                return Tri.True;
            }
        }

        return Tri.False;
    }
}

/// <summary>
/// The bounds of a <c>range</c> query on a keyword field. Elasticsearch orders terms by their UTF-8 bytes,
/// which is the order of Unicode code points, so a value matches when one of its terms lies between the bounds.
/// A null bound is open.
/// </summary>
public sealed class TermRange(string? lower, bool includeLower, string? upper, bool includeUpper)
{
    public Tri Test(EventRecord ev, int slot)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            var text = ev.Text(item);
            if (lower is not null)
            {
                int order = CompareCodePoints(text, lower);
                if (order < 0 || (order == 0 && !includeLower))
                {
                    continue;
                }
            }

            if (upper is not null)
            {
                int order = CompareCodePoints(text, upper);
                if (order > 0 || (order == 0 && !includeUpper))
                {
                    continue;
                }
            }

            return Tri.True;
        }

        return Tri.False;
    }

    /// <summary>Compares two strings by Unicode code point, which orders them as their UTF-8 bytes do.</summary>
    public static int CompareCodePoints(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        int length = Math.Min(left.Length, right.Length);
        for (int i = 0; i < length; i++)
        {
            char a = left[i];
            char b = right[i];
            if (a == b)
            {
                continue;
            }

            // A surrogate encodes a code point above U+FFFF, so it sorts after every other UTF-16 code unit.
            bool surrogateA = char.IsSurrogate(a);
            bool surrogateB = char.IsSurrogate(b);
            if (surrogateA != surrogateB)
            {
                return surrogateA ? 1 : -1;
            }

            return a < b ? -1 : 1;
        }

        return left.Length.CompareTo(right.Length);
    }
}

/// <summary>
/// The bounds of a <c>range</c> query on a field of Elasticsearch's <c>version</c> type, ordered by
/// <see cref="VersionOrder"/>. A null bound is open.
/// </summary>
public sealed class VersionRange(string? lower, bool includeLower, string? upper, bool includeUpper)
{
    private readonly byte[]? _lower = lower is null ? null : VersionOrder.Encode(lower);
    private readonly byte[]? _upper = upper is null ? null : VersionOrder.Encode(upper);

    public Tri Test(EventRecord ev, int slot)
    {
        foreach (ref readonly var item in ev.Values(slot))
        {
            if (item.Kind == FieldValueKind.Boolean)
            {
                continue;
            }

            var text = ev.Text(item);
            if (_lower is not null)
            {
                int order = VersionOrder.Compare(text, _lower);
                if (order < 0 || (order == 0 && !includeLower))
                {
                    continue;
                }
            }

            if (_upper is not null)
            {
                int order = VersionOrder.Compare(text, _upper);
                if (order > 0 || (order == 0 && !includeUpper))
                {
                    continue;
                }
            }

            return Tri.True;
        }

        return Tri.False;
    }
}

/// <summary>
/// The bounds of a <c>range</c> query on an <c>ip</c> field. Addresses compare as 128-bit numbers, with IPv4
/// addresses mapped into IPv6 as Elasticsearch stores them. A null bound is open.
/// </summary>
public sealed class IpRange
{
    private readonly UInt128 _lower;
    private readonly UInt128 _upper;
    private readonly bool _empty;

    /// <summary>Creates the bounds. A bound that is not an IPv4 or IPv6 address makes the range match nothing.</summary>
    public IpRange(string? lower, bool includeLower, string? upper, bool includeUpper)
    {
        _lower = UInt128.MinValue;
        _upper = UInt128.MaxValue;
        if (lower is not null)
        {
            _empty |= !IPAddressBits.TryParse(lower, out _lower, out _);
            if (!includeLower)
            {
                _empty |= _lower == UInt128.MaxValue;
                _lower++;
            }
        }

        if (upper is not null)
        {
            _empty |= !IPAddressBits.TryParse(upper, out _upper, out _);
            if (!includeUpper)
            {
                _empty |= _upper == UInt128.MinValue;
                _upper--;
            }
        }

        _empty |= _lower > _upper;
    }

    public Tri Test(EventRecord ev, int slot)
    {
        if (_empty)
        {
            return Tri.False;
        }

        foreach (ref readonly var item in ev.Values(slot))
        {
            if (item.Kind == FieldValueKind.String && IPAddressBits.TryParse(ev.Text(item), out var address, out _) &&
                address >= _lower && address <= _upper)
            {
                return Tri.True;
            }
        }

        return Tri.False;
    }
}

/// <summary>One operation of Elasticsearch date math: <c>+1d</c>, <c>-2h</c>, or rounding such as <c>/d</c>.</summary>
/// <param name="Operation"><c>+</c>, <c>-</c> or <c>/</c>.</param>
/// <param name="Amount">The number of units to add or subtract, or 0 for rounding.</param>
/// <param name="Unit">One of <c>y M w d h H m s</c>, as in Elasticsearch.</param>
public readonly record struct DateMathStep(char Operation, int Amount, char Unit);

/// <summary>
/// One bound of a date range: a fixed instant, or the event's time with date math applied. The event's
/// time replaces Kibana's query time <c>now</c>. The steps run in the range's <c>time_zone</c>, a fixed offset.
/// </summary>
public sealed class DateBound
{
    private const long TicksPerMillisecond = 10_000;
    private readonly long _anchor;
    private readonly long _offset;
    private readonly DateMathStep[] _steps;
    private readonly bool _roundUp;
    private readonly bool _resolved;

    /// <param name="anchor">The instant in nanoseconds since the epoch that the steps start from, unless <paramref name="fromNow"/>.</param>
    /// <param name="fromNow">True when the steps start from the event's time.</param>
    /// <param name="inclusive">True for <c>gte</c> and <c>lte</c>.</param>
    /// <param name="roundUp">True for <c>gt</c> and <c>lte</c>: rounding moves to the last millisecond of the unit.</param>
    /// <param name="offsetMinutes">The offset of the range's <c>time_zone</c> from UTC, in minutes.</param>
    /// <param name="steps">The date math after the anchor, in order.</param>
    public DateBound(long anchor, bool fromNow, bool inclusive, bool roundUp, int offsetMinutes, params DateMathStep[] steps)
    {
        _offset = offsetMinutes * 60_000_000_000L;
        _steps = steps;
        _roundUp = roundUp;
        FromNow = fromNow;
        Inclusive = inclusive;
        if (!fromNow)
        {
            // NOTE: a fixed date whose date math leaves the years 1678 to 2261 matches nothing. The generator
            // rejects such bounds, so only code written by hand reaches this.
            _resolved = TryApply(anchor, out _anchor);
        }
    }

    public bool FromNow { get; }

    public bool Inclusive { get; }

    /// <summary>Computes the bound for an event whose time is <paramref name="now"/>. Returns false when the date math leaves the years 1678 to 2261, which nanosecond times cover.</summary>
    public bool TryResolve(long now, out long bound)
    {
        if (!FromNow)
        {
            bound = _anchor;
            return _resolved;
        }

        return TryApply(now, out bound);
    }

    private bool TryApply(long start, out long result)
    {
        result = start;
        if (_steps.Length == 0)
        {
            return true;
        }

        long local = start + _offset;
        long remainder = ((local % 100) + 100) % 100;
        long unixTicks = (local - remainder) / 100;
        if (unixTicks < DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks || unixTicks > DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks)
        {
            return false;
        }

        var time = new DateTime(DateTime.UnixEpoch.Ticks + unixTicks, DateTimeKind.Utc);
        try
        {
            foreach (var step in _steps)
            {
                if (step.Operation == '/')
                {
                    time = RoundDown(time, step.Unit);
                    remainder = 0;
                    if (_roundUp)
                    {
                        // Elasticsearch moves to the last millisecond of the unit before any later step.
                        time = Add(time, 1, step.Unit).AddTicks(-TicksPerMillisecond);
                    }
                }
                else
                {
                    time = Add(time, step.Operation == '-' ? -step.Amount : step.Amount, step.Unit);
                }
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }

        long resultTicks = time.Ticks - DateTime.UnixEpoch.Ticks;
        // The margin keeps the time zone offset, at most 18 hours, from overflowing the nanoseconds.
        const long marginTicks = 1_000_000_000_000L;
        if (resultTicks > long.MaxValue / 100 - marginTicks || resultTicks < long.MinValue / 100 + marginTicks)
        {
            return false;
        }

        result = resultTicks * 100 + remainder - _offset;
        return true;
    }

    private static DateTime Add(DateTime time, int amount, char unit) => unit switch
    {
        'y' => time.AddYears(amount),
        'M' => time.AddMonths(amount),
        'w' => time.AddDays(7.0 * amount),
        'd' => time.AddDays(amount),
        'h' or 'H' => time.AddHours(amount),
        'm' => time.AddMinutes(amount),
        _ => time.AddSeconds(amount),
    };

    private static DateTime RoundDown(DateTime time, char unit) => unit switch
    {
        'y' => new DateTime(time.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        'M' => new DateTime(time.Year, time.Month, 1, 0, 0, 0, DateTimeKind.Utc),

        // Weeks start on Monday, as in Elasticsearch.
        'w' => time.Date.AddDays(-(((int)time.DayOfWeek + 6) % 7)),
        'd' => time.Date,
        'h' or 'H' => new DateTime(time.Year, time.Month, time.Day, time.Hour, 0, 0, DateTimeKind.Utc),
        'm' => new DateTime(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, DateTimeKind.Utc),
        _ => new DateTime(time.Year, time.Month, time.Day, time.Hour, time.Minute, time.Second, DateTimeKind.Utc),
    };
}

/// <summary>
/// The bounds of a <c>range</c> query on a date field. One value of the field must meet both bounds. A
/// <c>date</c> field keeps milliseconds, so its values and bounds are cut to the millisecond before they
/// are compared, and a <c>date_nanos</c> field compares nanoseconds.
/// </summary>
public sealed class DateRange(DateBound? lower, DateBound? upper, bool milliseconds)
{
    /// <summary>True when a bound starts from <c>now</c>, so the event's time is needed.</summary>
    public bool UsesNow { get; } = lower?.FromNow == true || upper?.FromNow == true;

    /// <param name="ev">The event.</param>
    /// <param name="slot">The date field.</param>
    /// <param name="nowSlot">The field that gives <c>now</c>: the rule's timestamp field.</param>
    /// <param name="nowFallbackSlot">The field used when <paramref name="nowSlot"/> has no time, or -1.</param>
    public Tri Test(EventRecord ev, int slot, int nowSlot, int nowFallbackSlot)
    {
        long now = 0;
        if (UsesNow && !ev.TryGetTimestamp(nowSlot, nowFallbackSlot, out now))
        {
            return Tri.False;
        }

        long first = long.MinValue;
        long last = long.MaxValue;
        if (lower is not null)
        {
            if (!lower.TryResolve(now, out long bound))
            {
                return Tri.False;
            }

            first = Truncate(bound);
            if (!lower.Inclusive)
            {
                first += 1;
            }
        }

        if (upper is not null)
        {
            if (!upper.TryResolve(now, out long bound))
            {
                return Tri.False;
            }

            last = Truncate(bound);
            if (!upper.Inclusive)
            {
                last -= 1;
            }
        }

        foreach (ref readonly var item in ev.Values(slot))
        {
            if (Eql.TryGetTime(ev, item, out long time))
            {
                long value = Truncate(time);
                if (value >= first && value <= last)
                {
                    return Tri.True;
                }
            }
        }

        return Tri.False;
    }

    /// <summary>Returns whole milliseconds since the epoch for a <c>date</c> field, or nanoseconds unchanged.</summary>
    private long Truncate(long nanoseconds)
    {
        if (!milliseconds)
        {
            return nanoseconds;
        }

        // Division rounds toward zero, so a time before the epoch needs one millisecond less.
        return nanoseconds >= 0 ? nanoseconds / 1_000_000 : ((nanoseconds + 1) / 1_000_000) - 1;
    }
}
