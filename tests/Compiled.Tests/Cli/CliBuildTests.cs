using System.Text.Json;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>Checks what the project files of the command line and of its built-in rules pass to the C# compiler.</summary>
public class CliBuildTests
{
    private const string CliProject = "src/Compiled.Cli/Compiled.Cli.csproj";
    private const string RulesProject = "src/Compiled.Rules/Compiled.Rules.csproj";

    [Test]
    public void CliOmitsAnalyzerAuthoringAnalyzers()
    {
        var resolved = Items(CliProject, "ResolveLockFileAnalyzers", "ResolvedAnalyzers");
        var passed = Items(CliProject, "CompiledRemoveAnalyzerAuthoringAnalyzers", "Analyzer");

        Assert.That(resolved, Has.Some.Contains("microsoft.codeanalysis.analyzers"), "the Roslyn packages bring them");
        Assert.That(passed, Has.None.Contains("microsoft.codeanalysis.analyzers"));
        Assert.That(passed, Has.Some.Contains("NetAnalyzers"), "the SDK's own analyzers still check the command line's code");
    }

    [Test]
    public void RulesProjectPassesOnlyRuleGenerator()
    {
        var resolved = Items(RulesProject, "ResolveReferences", "Analyzer").Select(Path.GetFileName).ToList();
        var passed = Items(RulesProject, "CompiledKeepOnlyRuleGenerator", "Analyzer").Select(Path.GetFileName).ToList();

        Assert.That(resolved, Does.Contain("Microsoft.Interop.LibraryImportGenerator.dll"), "the targeting pack brings the SDK's generators");
        Assert.That(resolved, Does.Contain("Compiled.Generators.dll"));
        Assert.That(passed, Is.EquivalentTo(new[] { "Compiled.Generators.dll", "Tomlyn.dll" }), "the generator and the library it loads");
    }

    [Test]
    public void RulesProjectRunsNoAnalyzers()
    {
        Assert.That(Property(RulesProject, "RunAnalyzers"), Is.EqualTo("false"));
        Assert.That(Property(CliProject, "RunAnalyzers"), Is.Empty, "the command line's own code is still analyzed");
    }

    [Test]
    public void RulesCompilerStartsWithoutQuickJit()
    {
        var environment = Property(RulesProject, "CscEnvironment").Split(';');

        Assert.That(environment, Does.Contain("DOTNET_TC_QuickJit=0"));
        Assert.That(environment, Does.Contain("DOTNET_TieredPGO=0"), "the generator's props file still adds its setting");
    }

    [Test]
    public void CommandLineRunsWithoutDynamicPgo()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "compiled.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.That(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean(), Is.False);
    }

    /// <summary>
    /// Runs <paramref name="target"/> and returns the paths of the <paramref name="itemType"/> items after it.
    /// Referenced projects are not built again, because the test project's build already built them.
    /// </summary>
    private static List<string> Items(string project, string target, string itemType)
    {
        var result = RunMSBuild(project, "-t:" + target, "-getItem:" + itemType);

        using var items = JsonDocument.Parse(result.StandardOutput);
        return items.RootElement.GetProperty("Items").GetProperty(itemType).EnumerateArray()
            .Select(item => item.GetProperty("Identity").GetString()!)
            .ToList();
    }

    private static string Property(string project, string name) =>
        RunMSBuild(project, "-getProperty:" + name).StandardOutput.Trim();

    private static ProcessResult RunMSBuild(string project, params string[] arguments)
    {
        var result = ProcessRunner.Run(
            "dotnet",
            ["msbuild", project, "-p:Configuration=Release", "-p:BuildProjectReferences=false", .. arguments],
            Paths.Repository,
            null,
            TimeSpan.FromMinutes(3));
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        return result;
    }
}
