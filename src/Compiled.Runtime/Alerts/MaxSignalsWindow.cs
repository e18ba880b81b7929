using System.Globalization;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Alerts;

/// <summary>
/// Applies a rule's <c>max_signals</c> per <c>interval</c> of event time. Kibana runs a rule every interval
/// and writes at most max_signals alerts per run. Here the runs are the intervals of event time since the
/// Unix epoch, so the same input is cut the same way every time. The look-back (<c>from</c>) only makes
/// Kibana's runs overlap, and the overlapping alerts have ids Kibana already indexed, so it adds no window.
/// </summary>
internal sealed class MaxSignalsWindow
{
    private readonly long _length;
    private readonly int _maxSignals;
    private long _window = long.MinValue;
    private int _count;

    public MaxSignalsWindow(RuleDescriptor rule)
    {
        _maxSignals = rule.MaxSignals;

        // An interval Kibana would reject gets Kibana's default, 5m.
        _length = TryParseInterval(rule.Interval, out long length) ? length : 5 * 60 * NanosecondsPerSecond;
    }

    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>Counts one alert at <paramref name="timestamp"/> (ns since the epoch); false when its window is full.</summary>
    public bool Admit(long timestamp)
    {
        long window = Math.DivRem(timestamp, _length, out long remainder);
        if (remainder < 0)
        {
            window--;
        }

        // NOTE: only the latest window is counted, so input that goes back in time starts its window again.
        if (window != _window)
        {
            _window = window;
            _count = 0;
        }

        if (_count >= _maxSignals)
        {
            return false;
        }

        _count++;
        return true;
    }

    /// <summary>Parses a Kibana rule interval, such as <c>5m</c>: a positive whole number and one of s, m, h, d.</summary>
    public static bool TryParseInterval(string text, out long nanoseconds)
    {
        nanoseconds = 0;
        if (text.Length < 2)
        {
            return false;
        }

        long unit = text[^1] switch
        {
            's' => NanosecondsPerSecond,
            'm' => 60 * NanosecondsPerSecond,
            'h' => 3600 * NanosecondsPerSecond,
            'd' => 86400 * NanosecondsPerSecond,
            _ => 0,
        };
        if (unit == 0
            || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long count)
            || count <= 0
            || count > long.MaxValue / unit)
        {
            return false;
        }

        nanoseconds = count * unit;
        return true;
    }
}
