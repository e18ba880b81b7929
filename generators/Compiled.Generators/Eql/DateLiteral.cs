using System;
using System.Globalization;

namespace Compiled.Generators.Eql;

/// <summary>
/// Parses a date string compared with a date field into the span of time it names. Elasticsearch matches
/// a date literal at its own precision: <c>@timestamp == "2017-08-30T20:47:33Z"</c> matches every event
/// in that second, and <c>&lt;</c> compares with the start of the span, <c>&gt;</c> with its end.
/// </summary>
internal static class DateLiteral
{
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Returns the first and last nanosecond since the Unix epoch that <paramref name="text"/> covers, for
    /// <c>yyyy-MM-dd</c> optionally followed by <c>THH:mm</c>, <c>:ss</c>, a fraction and <c>Z</c> or an offset.
    /// </summary>
    public static bool TryParse(string text, out long first, out long last)
    {
        first = last = 0;
        if (text.Length < 10 || text[4] != '-' || text[7] != '-' ||
            !TryInt(text, 0, 4, out int year) || !TryInt(text, 5, 2, out int month) || !TryInt(text, 8, 2, out int day) ||
            year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0, fractionDigits = 0;
        long fraction = 0;
        long unit = 86_400_000_000_000L;
        int position = 10;
        if (position < text.Length && (text[position] == 'T' || text[position] == ' '))
        {
            if (text.Length < position + 6 || text[position + 3] != ':' ||
                !TryInt(text, position + 1, 2, out hour) || !TryInt(text, position + 4, 2, out minute) || hour > 23 || minute > 59)
            {
                return false;
            }

            unit = 60_000_000_000L;
            position += 6;
            if (position < text.Length && text[position] == ':')
            {
                if (!TryInt(text, position + 1, 2, out second) || second > 59)
                {
                    return false;
                }

                unit = 1_000_000_000L;
                position += 3;
                if (position < text.Length && text[position] == '.')
                {
                    position++;
                    while (position < text.Length && text[position] >= '0' && text[position] <= '9' && fractionDigits < 9)
                    {
                        fraction = fraction * 10 + (text[position] - '0');
                        fractionDigits++;
                        position++;
                        unit /= 10;
                    }

                    if (fractionDigits == 0)
                    {
                        return false;
                    }

                    for (int i = fractionDigits; i < 9; i++)
                    {
                        fraction *= 10;
                    }
                }
            }
        }

        long offsetMinutes = 0;
        if (position < text.Length)
        {
            string zone = text.Substring(position);
            if (zone is "Z" or "z")
            {
            }
            else if (zone.Length == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
                TryInt(zone, 1, 2, out int offsetHour) && TryInt(zone, 4, 2, out int offsetMinute))
            {
                offsetMinutes = (offsetHour * 60 + offsetMinute) * (zone[0] == '-' ? -1 : 1);
            }
            else
            {
                return false;
            }
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        long seconds = (long)(local - Epoch).TotalSeconds - offsetMinutes * 60;
        first = seconds * 1_000_000_000L + fraction;
        last = first + unit - 1;
        return true;
    }

    private static bool TryInt(string text, int start, int length, out int value)
    {
        value = 0;
        if (start + length > text.Length)
        {
            return false;
        }

        return int.TryParse(text.Substring(start, length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
