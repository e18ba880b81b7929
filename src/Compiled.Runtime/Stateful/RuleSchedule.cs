namespace Compiled.Runtime.Stateful;

/// <summary>
/// When Kibana would run a rule, replayed in event time: every <see cref="Interval"/>, at whole multiples of
/// it since the Unix epoch, each run searching the <see cref="Lookback"/> before it (the rule's <c>from</c>,
/// such as <c>now-9m</c>). Times are nanoseconds since the Unix epoch.
/// </summary>
public readonly record struct RuleSchedule(long Interval, long Lookback)
{
    /// <summary>Kibana's defaults: every 5 minutes over the last 6.</summary>
    public static RuleSchedule Default => new(5L * 60 * 1_000_000_000, 6L * 60 * 1_000_000_000);

    /// <summary>The first run strictly after <paramref name="time"/>.</summary>
    public long NextRunAfter(long time)
    {
        long interval = Interval <= 0 ? 1 : Interval;
        long run = time - Modulo(time, interval);
        return run + interval;
    }

    private static long Modulo(long value, long divisor)
    {
        long remainder = value % divisor;
        return remainder < 0 ? remainder + divisor : remainder;
    }
}
