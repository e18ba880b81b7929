namespace Compiled.Runtime.Alerts;

/// <summary>How <see cref="AlertWriter"/> writes each alert.</summary>
public enum AlertFormat
{
    /// <summary>One Kibana-shaped JSON document per line.</summary>
    Ndjson,

    /// <summary>One readable line per alert: time, severity, rule, host, process and the source events' ids.</summary>
    Table,
}
