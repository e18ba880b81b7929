using System.Text.Json;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>Checks what the command line's project file passes to the C# compiler.</summary>
public class CliBuildTests
{
    [Test]
    public void CliOmitsAnalyzerAuthoringAnalyzers()
    {
        var resolved = Items("ResolveLockFileAnalyzers", "ResolvedAnalyzers");
        var passed = Items("CompiledRemoveAnalyzerAuthoringAnalyzers", "Analyzer");

        Assert.That(resolved, Has.Some.Contains("microsoft.codeanalysis.analyzers"), "the Roslyn packages bring them");
        Assert.That(passed, Has.None.Contains("microsoft.codeanalysis.analyzers"));
        Assert.That(passed, Has.Some.Contains("NetAnalyzers"), "the SDK's own analyzers still check the command line's code");
    }

    [Test]
    public void CommandLineRunsWithoutDynamicPgo()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "compiled.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.That(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean(), Is.False);
    }

    private static List<string> Items(string target, string itemType)
    {
        var result = ProcessRunner.Run(
            "dotnet",
            ["msbuild", "src/Compiled.Cli/Compiled.Cli.csproj", "-p:Configuration=Release", "-t:" + target, "-getItem:" + itemType],
            Paths.Repository,
            null,
            TimeSpan.FromMinutes(3));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());

        using var items = JsonDocument.Parse(result.StandardOutput);
        return items.RootElement.GetProperty("Items").GetProperty(itemType).EnumerateArray()
            .Select(item => item.GetProperty("Identity").GetString()!)
            .ToList();
    }
}
