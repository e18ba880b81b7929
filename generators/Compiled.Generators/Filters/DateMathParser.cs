using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Filters;

/// <summary>
/// Parses the bound of a date range as Elasticsearch does: <c>now</c> or a date, optionally followed by
/// date math (<c>now-1d/d</c>, <c>2024-01-31||+1M/d</c>), in the range's <c>format</c> and <c>time_zone</c>.
/// </summary>
/// <remarks>
/// A plain date with missing parts names a span. For <c>gt</c> and <c>lte</c> Elasticsearch fills the missing
/// parts with month 1, day 1, 23:59:59.999999999 (so <c>lte: "2024-01-31"</c> takes in the whole day), and
/// otherwise with the start of the span. A date before <c>||</c> fills them with the start, and rounding
/// such as <c>/d</c> then moves to the last millisecond of the unit for <c>gt</c> and <c>lte</c>.
/// </remarks>
internal static class DateMathParser
{
    private const string DefaultFormat = "strict_date_optional_time||epoch_millis";
    private static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly Regex IsoDate = new(
        @"^(?<y>[0-9]{4})(?:-(?<M>[0-9]{2})(?:-(?<d>[0-9]{2})(?:T(?<H>[0-9]{2})(?::(?<m>[0-9]{2})(?::(?<s>[0-9]{2})(?:[.,](?<S>[0-9]{1,9}))?)?)?)?)?)?(?<z>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$",
        RegexOptions.CultureInvariant);

    /// <summary>
    /// Parses <paramref name="text"/> into a bound. Returns false with a message naming the problem when the
    /// text, its date math or the format is invalid or not supported.
    /// </summary>
    /// <param name="text">The bound as written.</param>
    /// <param name="format">The range's <c>format</c>, or null for the date field's default.</param>
    /// <param name="offsetMinutes">The range's <c>time_zone</c> as minutes east of UTC.</param>
    /// <param name="inclusive">True for <c>gte</c> and <c>lte</c>.</param>
    /// <param name="roundUp">True for <c>gt</c> and <c>lte</c>.</param>
    public static bool TryParse(string text, string? format, int offsetMinutes, bool inclusive, bool roundUp, out FilterRangeBound bound, out string error)
    {
        bound = null!;
        string math;
        long anchor = 0;
        bool fromNow = text.StartsWith("now", StringComparison.Ordinal);
        if (fromNow)
        {
            math = text.Substring(3);
        }
        else
        {
            int separator = text.IndexOf("||", StringComparison.Ordinal);
            string date = separator < 0 ? text : text.Substring(0, separator);
            math = separator < 0 ? string.Empty : text.Substring(separator + 2);
            if (!TryParseDate(date, format ?? DefaultFormat, offsetMinutes, roundUp && separator < 0, out anchor, out error))
            {
                return false;
            }
        }

        if (!TryParseMath(math, out var steps, out error))
        {
            return false;
        }

        if (!fromNow && !StaysWithinNanosecondYears(anchor, steps))
        {
            error = $"the date math in '{text}' leaves the years 1678 to 2261, which nanosecond times cover";
            return false;
        }

        string value = anchor.ToString(CultureInfo.InvariantCulture);
        bound = new FilterRangeBound(value, inclusive, fromNow, roundUp, offsetMinutes, steps.ToEquatableArray());
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Parses a <c>time_zone</c> that is a fixed offset: <c>Z</c>, <c>UTC</c>, <c>GMT</c>, <c>+01:00</c>,
    /// <c>-0530</c> or <c>+02</c>. Region names such as <c>Europe/Paris</c> are not supported.
    /// </summary>
    public static bool TryParseTimeZone(string text, out int offsetMinutes)
    {
        offsetMinutes = 0;
        if (text is "Z" or "UTC" or "GMT" or "Etc/UTC" or "Etc/GMT")
        {
            return true;
        }

        var match = Regex.Match(text, @"^(?:UTC|GMT)?(?<sign>[+-])(?<h>[0-9]{2})(?::?(?<m>[0-9]{2}))?$", RegexOptions.CultureInvariant);
        if (!match.Success)
        {
            return false;
        }

        int hours = int.Parse(match.Groups["h"].Value, CultureInfo.InvariantCulture);
        int minutes = match.Groups["m"].Success ? int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture) : 0;
        if (hours > 18 || minutes > 59)
        {
            return false;
        }

        offsetMinutes = (hours * 60 + minutes) * (match.Groups["sign"].Value == "-" ? -1 : 1);
        return true;
    }

    /// <summary>Parses date math such as <c>-1d/d</c> or <c>+1M-2h</c> into steps <c>-1d</c>, <c>/d</c>.</summary>
    private static bool TryParseMath(string math, out List<string> steps, out string error)
    {
        steps = new List<string>();
        error = string.Empty;
        int i = 0;
        while (i < math.Length)
        {
            char operation = math[i++];
            if (operation is not ('+' or '-' or '/'))
            {
                error = $"invalid date math '{math}': expected +, - or / at '{math.Substring(i - 1)}'";
                return false;
            }

            int start = i;
            while (operation != '/' && i < math.Length && math[i] >= '0' && math[i] <= '9')
            {
                i++;
            }

            // Elasticsearch reads "+d" as "+1d".
            string digits = math.Substring(start, i - start);
            if (digits.Length > 9)
            {
                error = $"invalid date math '{math}': the amount {digits} is too large";
                return false;
            }

            if (i >= math.Length || math[i] is not ('y' or 'M' or 'w' or 'd' or 'h' or 'H' or 'm' or 's'))
            {
                error = $"invalid date math '{math}': expected a unit (y, M, w, d, h, H, m or s) after '{math.Substring(0, i)}'";
                return false;
            }

            char unit = math[i++];
            steps.Add(operation == '/' ? "/" + unit : operation + (digits.Length == 0 ? "1" : digits) + unit);
        }

        return true;
    }

    /// <summary>
    /// Estimates from above how far the steps move the anchor, at 366 days a year and 31 a month plus one
    /// unit for each rounding, and checks that the result stays within the years that nanosecond times cover.
    /// </summary>
    private static bool StaysWithinNanosecondYears(long anchor, List<string> steps)
    {
        double days = 0;
        foreach (string step in steps)
        {
            char unit = step[step.Length - 1];
            double amount = step[0] == '/' ? 1 : double.Parse(step.Substring(1, step.Length - 2), CultureInfo.InvariantCulture);
            days += amount * unit switch
            {
                'y' => 366.0,
                'M' => 31.0,
                'w' => 7.0,
                'd' => 1.0,
                'h' or 'H' => 1.0 / 24,
                'm' => 1.0 / 1440,
                _ => 1.0 / 86400,
            };
        }

        double anchorDays = anchor / 86_400_000_000_000.0;
        const double FirstDay = -106_749.0;
        const double LastDay = 106_749.0;
        return anchorDays - days > FirstDay && anchorDays + days < LastDay;
    }

    /// <summary>Parses a date in one of the <c>||</c>-separated formats, in order, into nanoseconds since the epoch.</summary>
    private static bool TryParseDate(string text, string formats, int offsetMinutes, bool roundUp, out long nanoseconds, out string error)
    {
        nanoseconds = 0;
        string? unsupported = null;
        foreach (string format in formats.Split(new[] { "||" }, StringSplitOptions.None))
        {
            var result = TryParseInFormat(text, format.Trim(), offsetMinutes, roundUp, out nanoseconds, out string? problem);
            if (result == true)
            {
                error = string.Empty;
                return true;
            }

            if (result is null)
            {
                unsupported ??= problem;
            }
        }

        error = unsupported ?? $"'{text}' is not a date in the format {formats} between the years 1678 and 2261, which nanosecond times cover";
        return false;
    }

    /// <summary>Returns true when parsed, false when the text does not fit the format, and null when the format is not supported.</summary>
    private static bool? TryParseInFormat(string text, string format, int offsetMinutes, bool roundUp, out long nanoseconds, out string? problem)
    {
        nanoseconds = 0;
        problem = null;
        switch (format)
        {
            case "epoch_millis":
                return TryParseEpoch(text, 1_000_000L, out nanoseconds);
            case "epoch_second":
                return TryParseEpoch(text, 1_000_000_000L, out nanoseconds);
            case "strict_date_optional_time":
            case "date_optional_time":
            case "strict_date_optional_time_nanos":
            case "iso8601":
                return TryBuild(IsoDate.Match(text), offsetMinutes, roundUp, out nanoseconds);
        }

        string? pattern = NamedPattern(format) ?? (LooksLikePattern(format) ? format : null);
        if (pattern is null || !TryPatternRegex(pattern, out var regex, out problem))
        {
            problem ??= $"the date format '{format}' is not supported; use an ISO 8601 format, epoch_millis, epoch_second or a pattern of y, M, d, H, m, s, S and X";
            return null;
        }

        return TryBuild(regex!.Match(text), offsetMinutes, roundUp, out nanoseconds);
    }

    private static string? NamedPattern(string format) => format switch
    {
        "strict_date" or "date" => "yyyy-MM-dd",
        "strict_date_time" or "date_time" => "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
        "strict_date_time_no_millis" or "date_time_no_millis" => "yyyy-MM-dd'T'HH:mm:ssXXX",
        "strict_date_hour_minute_second" or "date_hour_minute_second" => "yyyy-MM-dd'T'HH:mm:ss",
        "strict_date_hour_minute_second_millis" or "date_hour_minute_second_millis" => "yyyy-MM-dd'T'HH:mm:ss.SSS",
        "strict_date_hour_minute" or "date_hour_minute" => "yyyy-MM-dd'T'HH:mm",
        "strict_date_hour" or "date_hour" => "yyyy-MM-dd'T'HH",
        "strict_year_month_day" or "year_month_day" => "yyyy-MM-dd",
        "strict_year_month" or "year_month" => "yyyy-MM",
        "strict_year" or "year" => "yyyy",
        "basic_date" => "yyyyMMdd",
        "basic_date_time" => "yyyyMMdd'T'HHmmss.SSSXX",
        "basic_date_time_no_millis" => "yyyyMMdd'T'HHmmssXX",
        _ => null,
    };

    /// <summary>
    /// Tells a custom pattern from a built-in name, which is lowercase words joined by underscores. A pattern has
    /// another character, or only pattern letters, as <c>yyyy</c> does.
    /// </summary>
    private static bool LooksLikePattern(string format) =>
        !Regex.IsMatch(format, "^[a-z_]+$") || Regex.IsMatch(format, "^[yudmsx]+$");

    /// <summary>
    /// Translates a Java date pattern into a regular expression with one group per field. Supports
    /// <c>y u M d H m s S X x Z</c>, quoted literals and optional sections in brackets.
    /// </summary>
    private static bool TryPatternRegex(string pattern, out Regex? regex, out string? problem)
    {
        regex = null;
        problem = null;
        var text = new StringBuilder("^");
        var used = new HashSet<char>();
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            if (c == '\'')
            {
                int end = pattern.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    problem = $"the date format '{pattern}' has an unclosed quote";
                    return false;
                }

                text.Append(end == i + 1 ? "'" : Regex.Escape(pattern.Substring(i + 1, end - i - 1)));
                i = end + 1;
                continue;
            }

            if (c is '[' or ']')
            {
                text.Append(c == '[' ? "(?:" : ")?");
                i++;
                continue;
            }

            if (!char.IsLetter(c))
            {
                text.Append(Regex.Escape(c.ToString()));
                i++;
                continue;
            }

            int count = 1;
            while (i + count < pattern.Length && pattern[i + count] == c)
            {
                count++;
            }

            string? group = c switch
            {
                'y' or 'u' when count == 2 => @"(?<yy>[0-9]{2})",
                'y' or 'u' when count == 4 => @"(?<y>[0-9]{4})",
                'y' or 'u' => @"(?<y>[0-9]{1,9})",
                'M' or 'd' or 'H' or 'm' or 's' when count <= 2 => DigitsGroup(c, count),
                'S' when count <= 9 => @"(?<S>[0-9]{" + count.ToString(CultureInfo.InvariantCulture) + "})",
                'X' or 'x' or 'Z' => @"(?<z>Z|[+-][0-9]{2}(?::?[0-9]{2})?)",
                _ => null,
            };
            if (group is null || !used.Add(char.ToLowerInvariant(c) == 'x' || c == 'Z' ? 'z' : c))
            {
                problem = $"the date format '{pattern}' uses '{new string(c, count)}', which Compiled does not parse; use y, M, d, H, m, s, S and X";
                return false;
            }

            text.Append(group);
            i += count;
        }

        regex = new Regex(text.Append('$').ToString(), RegexOptions.CultureInvariant);
        return true;
    }

    /// <summary>Returns a group of exactly two digits for a doubled letter such as <c>MM</c>, or one or two digits for a single letter.</summary>
    private static string DigitsGroup(char letter, int count) =>
        "(?<" + letter + ">" + (count == 2 ? @"[0-9]{2}" : @"[0-9]{1,2}") + ")";

    private static bool TryParseEpoch(string text, long unit, out long nanoseconds)
    {
        nanoseconds = 0;
        if (!Regex.IsMatch(text, @"^-?[0-9]+(\.[0-9]+)?$") ||
            !decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            return false;
        }

        decimal scaled = value * unit;
        if (scaled > long.MaxValue || scaled < long.MinValue)
        {
            return false;
        }

        nanoseconds = (long)decimal.Truncate(scaled);
        return true;
    }

    /// <summary>Builds the instant from the matched fields, filling missing ones as the rounding direction requires.</summary>
    private static bool TryBuild(Match match, int offsetMinutes, bool roundUp, out long nanoseconds)
    {
        nanoseconds = 0;
        if (!match.Success)
        {
            return false;
        }

        // Java reads a two-digit year as 2000 to 2099, and a pattern without a year as 1970.
        int year = 1970;
        if (match.Groups["y"].Success)
        {
            year = Number(match, "y");
        }
        else if (match.Groups["yy"].Success)
        {
            year = 2000 + Number(match, "yy");
        }

        int month = Field(match, "M", 1);
        int day = Field(match, "d", 1);
        int hour = Field(match, "H", roundUp ? 23 : 0);
        int minute = Field(match, "m", roundUp ? 59 : 0);
        int second = Field(match, "s", roundUp ? 59 : 0);
        long nanos = roundUp ? 999_999_999L : 0;
        if (match.Groups["S"].Success)
        {
            string fraction = match.Groups["S"].Value.PadRight(9, '0');
            nanos = long.Parse(fraction, CultureInfo.InvariantCulture);
        }

        if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) ||
            hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        int offset = offsetMinutes;
        if (match.Groups["z"].Success && !TryParseTimeZone(match.Groups["z"].Value, out offset))
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        long seconds = (long)(local - Epoch).TotalSeconds - offset * 60L;
        if (seconds <= long.MinValue / 1_000_000_000L || seconds >= long.MaxValue / 1_000_000_000L)
        {
            return false;
        }

        nanoseconds = seconds * 1_000_000_000L + nanos;
        return true;
    }

    private static int Field(Match match, string name, int missing) => match.Groups[name].Success ? Number(match, name) : missing;

    private static int Number(Match match, string name) => int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture);
}
