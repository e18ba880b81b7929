namespace Compiled.Runtime.Events;

/// <summary>Parses event times into nanoseconds since the Unix epoch without allocating.</summary>
public static class Timestamps
{
    private const long NanosecondsPerMillisecond = 1_000_000;
    private static readonly long MinEpochMilliseconds = long.MinValue / NanosecondsPerMillisecond;
    private static readonly long MaxEpochMilliseconds = long.MaxValue / NanosecondsPerMillisecond;

    public static bool TryFromEpochMilliseconds(long milliseconds, out long nanoseconds)
    {
        if (milliseconds < MinEpochMilliseconds || milliseconds > MaxEpochMilliseconds)
        {
            nanoseconds = 0;
            return false;
        }

        nanoseconds = milliseconds * NanosecondsPerMillisecond;
        return true;
    }

    public static bool TryFromEpochMilliseconds(double milliseconds, out long nanoseconds)
    {
        double value = milliseconds * NanosecondsPerMillisecond;
        if (double.IsNaN(value) || value < long.MinValue || value >= long.MaxValue)
        {
            nanoseconds = 0;
            return false;
        }

        nanoseconds = (long)value;
        return true;
    }

    /// <summary>
    /// Parses a date as Elasticsearch's default format <c>strict_date_optional_time||epoch_millis</c> does:
    /// ISO 8601, or a string of digits (with an optional minus sign) read as milliseconds since the epoch.
    /// Four digits alone are a year, because the ISO format is tried first.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long nanoseconds)
    {
        if (text.Length == 4 && !text.ContainsAnyExceptInRange('0', '9'))
        {
            Span<char> date = stackalloc char[10];
            text.CopyTo(date);
            "-01-01".AsSpan().CopyTo(date[4..]);
            return TryParseIso8601(date, out nanoseconds);
        }

        var digits = text.Length > 0 && text[0] == '-' ? text[1..] : text;
        if (digits.Length is > 0 and <= 18 && !digits.ContainsAnyExceptInRange('0', '9'))
        {
            long milliseconds = long.Parse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);
            return TryFromEpochMilliseconds(milliseconds, out nanoseconds);
        }

        return TryParseIso8601(text, out nanoseconds);
    }

    /// <summary>
    /// Parses <c>yyyy-MM-dd</c>, optionally followed by <c>THH:mm[:ss[.fraction]]</c> and <c>Z</c> or
    /// <c>±HH[:]mm</c>. A time without an offset is UTC, as Elasticsearch assumes. Fractions beyond
    /// nanoseconds are truncated.
    /// </summary>
    public static bool TryParseIso8601(ReadOnlySpan<char> text, out long nanoseconds)
    {
        nanoseconds = 0;
        if (text.Length < 10 || text[4] != '-' || text[7] != '-' ||
            !TryDigits(text[..4], out int year) || !TryDigits(text.Slice(5, 2), out int month) || !TryDigits(text.Slice(8, 2), out int day) ||
            year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0;
        long fraction = 0;
        int position = 10;
        if (position < text.Length && (text[position] == 'T' || text[position] == 't' || text[position] == ' '))
        {
            if (text.Length < position + 6 || text[position + 3] != ':' ||
                !TryDigits(text.Slice(position + 1, 2), out hour) || !TryDigits(text.Slice(position + 4, 2), out minute))
            {
                return false;
            }

            position += 6;
            if (position < text.Length && text[position] == ':')
            {
                if (text.Length < position + 3 || !TryDigits(text.Slice(position + 1, 2), out second))
                {
                    return false;
                }

                position += 3;
                if (position < text.Length && (text[position] == '.' || text[position] == ','))
                {
                    position++;
                    int digits = 0;
                    while (position < text.Length && char.IsAsciiDigit(text[position]))
                    {
                        if (digits < 9)
                        {
                            fraction = fraction * 10 + (text[position] - '0');
                        }

                        digits++;
                        position++;
                    }

                    if (digits == 0)
                    {
                        return false;
                    }

                    for (int i = digits; i < 9; i++)
                    {
                        fraction *= 10;
                    }
                }
            }

            if (hour > 23 || minute > 59 || second > 59)
            {
                return false;
            }
        }

        long offsetMinutes = 0;
        if (position < text.Length)
        {
            char sign = text[position];
            if ((sign == 'Z' || sign == 'z') && position + 1 == text.Length)
            {
                position++;
            }
            else if (sign == '+' || sign == '-')
            {
                var rest = text[(position + 1)..];
                int offsetHour, offsetMinute;
                if (rest.Length == 5 && rest[2] == ':' && TryDigits(rest[..2], out offsetHour) && TryDigits(rest.Slice(3, 2), out offsetMinute))
                {
                }
                else if (rest.Length == 4 && TryDigits(rest[..2], out offsetHour) && TryDigits(rest.Slice(2, 2), out offsetMinute))
                {
                }
                else if (rest.Length == 2 && TryDigits(rest, out offsetHour))
                {
                    offsetMinute = 0;
                }
                else
                {
                    return false;
                }

                if (offsetHour > 23 || offsetMinute > 59)
                {
                    return false;
                }

                offsetMinutes = (offsetHour * 60 + offsetMinute) * (sign == '-' ? -1 : 1);
                position = text.Length;
            }
            else
            {
                return false;
            }
        }

        long days = new DateOnly(year, month, day).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        long seconds = days * 86_400 + hour * 3600L + minute * 60L + second - offsetMinutes * 60;
        const long limit = long.MaxValue / 1_000_000_000 - 1;
        if (seconds > limit || seconds < -limit)
        {
            return false;
        }

        nanoseconds = seconds * 1_000_000_000 + fraction;
        return true;
    }

    /// <summary>
    /// Formats nanoseconds since the epoch as ISO 8601 UTC. A whole number of milliseconds gets three fraction
    /// digits, as Elasticsearch prints a <c>date</c>. A finer time gets nine, as Elasticsearch prints a
    /// <c>date_nanos</c>, so that no precision of the event is lost.
    /// </summary>
    public static string Format(long nanoseconds)
    {
        long seconds = Math.DivRem(nanoseconds, 1_000_000_000, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000;
        }

        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        string whole = time.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        return fraction % NanosecondsPerMillisecond == 0
            ? $"{whole}.{fraction / NanosecondsPerMillisecond:D3}Z"
            : $"{whole}.{fraction:D9}Z";
    }

    private static bool TryDigits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = value * 10 + (c - '0');
        }

        return text.Length > 0;
    }
}
