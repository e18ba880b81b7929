namespace Compiled.Runtime.Alerts;

/// <summary>How <see cref="AlertWriter"/> writes each alert.</summary>
public enum AlertFormat
{
    /// <summary>One Kibana-shaped JSON document per line.</summary>
    Ndjson,

    /// <summary>One readable line per alert: time, severity, rule, host, process and the source events' ids.</summary>
    Table,
}

/// <summary>
/// Writing alerts to the output failed, for example because the disk is full or the reader of a pipe has
/// exited. It is not an <see cref="IOException"/>, so that a host reading events does not take it for a
/// failure to read its input.
/// </summary>
public sealed class AlertOutputException(IOException inner) : Exception("writing alerts failed: " + inner.Message, inner);
