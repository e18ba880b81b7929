using System.Diagnostics;

namespace Compiled.Tests.Support;

/// <summary>The exit code and output of a finished process.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}

/// <summary>Runs real programs: the built <c>compiled</c> executable and the dotnet CLI.</summary>
public static class ProcessRunner
{
    /// <summary>The command line built by the test project's reference to the CLI project.</summary>
    public static string CompiledDll { get; } = Path.Combine(AppContext.BaseDirectory, "compiled.dll");

    public static ProcessResult RunCompiled(string? standardInput, params string[] arguments) =>
        Run("dotnet", [CompiledDll, .. arguments], Paths.Repository, standardInput, TimeSpan.FromMinutes(5));

    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory, string? standardInput, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs inside an MSBuild-driven process; its variables would redirect a nested build.
        foreach (var name in start.Environment.Keys.Where(key => key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
