namespace Compiled.Cli;

/// <summary>The process exit codes of every <c>compiled</c> command, as the README documents them.</summary>
internal static class ExitCodes
{
    /// <summary>The command did its work. A scan that raised alerts also exits 0 unless <c>--fail-on-alert</c> is given.</summary>
    public const int Success = 0;

    /// <summary>A rule or input could not be used: a missing file, rules with errors, a failed rule test, or unwritable output.</summary>
    public const int Failure = 1;

    /// <summary>The command line is invalid: an unknown option, a missing argument or a value out of range.</summary>
    public const int Usage = 2;

    /// <summary>A scan run with <c>--fail-on-alert</c> raised at least one alert.</summary>
    public const int AlertsRaised = 3;

    /// <summary>A scan run with <c>--strict</c> stopped at the first rejected event line.</summary>
    public const int InputRejected = 4;

    /// <summary>Ctrl+C or SIGTERM stopped the scan: 128 plus SIGINT's number, as shells report it.</summary>
    public const int Interrupted = 130;
}
