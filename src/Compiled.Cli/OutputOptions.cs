using System.CommandLine;
using System.CommandLine.Parsing;
using Compiled.Runtime.Alerts;

namespace Compiled.Cli;

/// <summary>How <c>compiled scan</c> writes alerts and chooses its exit code.</summary>
internal sealed record OutputSettings(AlertFormat Format, bool FailOnAlert, bool ApplyMaxSignals);

/// <summary>The output options of <c>compiled scan</c>: <c>--format</c>, <c>--fail-on-alert</c> and <c>--all-alerts</c>.</summary>
internal sealed class OutputOptions
{
    private readonly Option<string> _format = new("--format", "-f")
    {
        Description = "How each alert is written: ndjson (a Kibana-shaped JSON document per line) or table (a readable line per alert: time, severity, rule, host, process, event ids).",
        DefaultValueFactory = _ => "ndjson",
    };

    private readonly Option<bool> _failOnAlert = new("--fail-on-alert")
    {
        Description = $"Exit with code {ExitCodes.AlertsRaised} when the scan wrote at least one alert, as a CI gate.",
    };

    private readonly Option<bool> _allAlerts = new("--all-alerts")
    {
        Description = "Write every alert. By default a rule writes at most its max_signals alerts (a sequence counts once) per interval of event time, as Kibana does per run, and the summary counts the rest.",
    };

    public OutputOptions() => _format.AcceptOnlyFromAmong("ndjson", "table");

    public void AddTo(Command command)
    {
        command.Options.Add(_format);
        command.Options.Add(_failOnAlert);
        command.Options.Add(_allAlerts);
    }

    public OutputSettings Read(ParseResult parse) => new(
        parse.GetValue(_format) == "table" ? AlertFormat.Table : AlertFormat.Ndjson,
        parse.GetValue(_failOnAlert),
        !parse.GetValue(_allAlerts));

    /// <summary>
    /// Opens the alert output without a buffer, so that each alert the writer passes in one call reaches the
    /// file in one system call and a killed process leaves only whole lines. Null means standard output.
    /// </summary>
    /// <remarks>
    /// NOTE: .NET discards writes to standard output once the reader of a pipe has exited, so a scan piped
    /// into <c>head</c> runs to its end instead of stopping.
    /// </remarks>
    public static Stream OpenAlertStream(string? outputFile) =>
        outputFile is null
            ? Console.OpenStandardOutput()
            : new FileStream(outputFile, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);

    /// <summary>
    /// Rejects INPUT values that look like options (<c>--x</c>, <c>-x</c>) and name no file, which
    /// System.CommandLine would otherwise take as input paths, so a mistyped option is a usage error.
    /// </summary>
    public static void RejectUnknownOptions(ArgumentResult result)
    {
        foreach (var token in result.Tokens)
        {
            string value = token.Value;
            if (value.Length > 1 && value[0] == '-' && !File.Exists(value) && !Directory.Exists(value))
            {
                result.AddError($"Unrecognized option '{value}'. Run 'compiled scan --help' for the options.");
            }
        }
    }
}
