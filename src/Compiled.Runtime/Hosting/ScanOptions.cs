namespace Compiled.Runtime.Hosting;

/// <summary>Limits and ordering of a <see cref="ScanEngine"/>.</summary>
public sealed record ScanOptions
{
    /// <summary>The default of <see cref="MaxLateness"/>: five minutes.</summary>
    public static readonly TimeSpan DefaultMaxLateness = TimeSpan.FromMinutes(5);

    /// <summary>The default of <see cref="MaxBufferedEvents"/>.</summary>
    public const int DefaultMaxBufferedEvents = 100_000;

    /// <summary>The default of <see cref="MaxBufferedBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxBufferedBytes = 256L * 1024 * 1024;

    /// <summary>The longest document (an NDJSON line, an array element, a hit), in bytes.</summary>
    public int MaxDocumentBytes { get; init; } = ScanEngine.DefaultMaxLineBytes;

    /// <summary>
    /// How long an event is held so that an older event arriving later can still go before it. An event
    /// older than one already released is late. Single-event rules still see it, but rules that keep state
    /// (<see cref="Rules.DetectionRule.KeepsState"/>) do not.
    /// </summary>
    public TimeSpan MaxLateness { get; init; } = DefaultMaxLateness;

    /// <summary>
    /// When true, <see cref="MaxLateness"/> applies only from the moment an input that cannot seek (a pipe or a
    /// terminal) is opened. Until then the lateness is unbounded, so seekable inputs such as regular files are
    /// sorted fully, limited only by <see cref="MaxBufferedEvents"/> and <see cref="MaxBufferedBytes"/>.
    /// </summary>
    public bool SortSeekableInputsFully { get; init; }

    /// <summary>The default of <see cref="IdleFlush"/>: one second.</summary>
    public static readonly TimeSpan DefaultIdleFlush = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The maximum wall-clock time an event read from a pipe, terminal or other input that cannot seek
    /// stays in the reorder buffer: once the oldest held event has waited this long, every held event is
    /// released, whether or not data keeps arriving, so that a live stream's alerts are not held back by
    /// <see cref="MaxLateness"/>. An event read after such a release that is older than a released one is
    /// late. <see cref="Timeout.InfiniteTimeSpan"/> turns it off. It does not apply while only regular files are read.
    /// </summary>
    public TimeSpan IdleFlush { get; init; } = DefaultIdleFlush;

    /// <summary>The most events held for reordering; past it the oldest is released early.</summary>
    public int MaxBufferedEvents { get; init; } = DefaultMaxBufferedEvents;

    /// <summary>
    /// The maximum number of bytes of event JSON held for reordering, past which the oldest is released early.
    /// The decoded values kept with held events have a budget of the same size, and an event past it is
    /// decoded again when released.
    /// </summary>
    public long MaxBufferedBytes { get; init; } = DefaultMaxBufferedBytes;

    /// <summary>Stop at the first rejected document; <see cref="ScanSummary.StoppedAt"/> records which.</summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Whether rules are chosen per event by the values their queries require (see <see cref="RuleDispatch"/>), beside
    /// event categories. Turning it off changes speed only, never alerts.
    /// </summary>
    public bool DispatchByValue { get; init; } = true;

    /// <summary>
    /// Whether inputs that are not live (regular files, streams that can seek) are read and decoded on thread-pool
    /// threads a few batches ahead of the rules, so that a scan uses two processors. It applies while at most 32
    /// inputs are open at once. On by default when the machine has more than one processor. Turning it off changes
    /// speed and processor use only, never alerts or the summary.
    /// </summary>
    public bool DecodeAhead { get; init; } = Environment.ProcessorCount > 1;

    /// <summary>The JSON bytes of one batch read ahead, or 0 for a size chosen from the number of open inputs.</summary>
    internal int DecodeAheadBatchBytes { get; init; }

    /// <summary>How many inputs are open and merged at once; more inputs are merged in groups of this many, in the order given.</summary>
    public int MaxOpenInputs { get; init; } = 256;
}

/// <summary>One input of a scan: its name in messages and alerts, and how to open it.</summary>
public sealed record ScanInput(string Name, Func<Stream> Open)
{
    /// <summary>True when the caller owns the stream and the scan must not close it.</summary>
    internal bool LeaveOpen { get; init; }
}
