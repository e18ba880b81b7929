using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>
/// Packs the generator and the runtime, then builds a fresh consumer project from those packages alone.
/// The package's props file must pass the rules folder to the generator, and a broken rule must fail
/// the consumer's build at the right line and column.
/// </summary>
[Category("Package")]
public class PackageTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private string _work = null!;
    private string _feed = null!;
    private string _consumer = null!;
    private Dictionary<string, string> _environment = null!;

    [OneTimeSetUp]
    public void PackAndCreateConsumer()
    {
        _work = Directory.CreateTempSubdirectory("compiled-package-").FullName;
        _feed = Path.Combine(_work, "feed");
        _consumer = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(Path.Combine(_consumer, "rules"));

        // A private package cache keeps these test packages out of the user's cache.
        _environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_work, "packages") };
        string version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        foreach (var project in new[] { "generators/Compiled.Generators/Compiled.Generators.csproj", "src/Compiled.Runtime/Compiled.Runtime.csproj" })
        {
            var pack = Dotnet(Paths.Repository, "pack", project, "-c", "Release", "-o", _feed, "-p:Version=" + version);
            Assert.That(pack.ExitCode, Is.EqualTo(0), pack.ToString());
        }

        File.WriteAllText(Path.Combine(_consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(_consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <WarningsAsErrors>CS8784;CS8785;CS9057</WarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Compiled.Generators" Version="{version}" PrivateAssets="all" />
                <PackageReference Include="Compiled.Runtime" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_consumer, "Program.cs"), """
            foreach (var rule in Compiled.Rules.RuleCatalog.Descriptors)
            {
                Console.WriteLine($"{rule.RuleId} {rule.Severity} {rule.Name}");
            }

            Console.WriteLine(Compiled.Rules.RuleCatalog.CreateRuleSet().Schema.Fields.Count + " fields");
            Console.WriteLine($"{Compiled.Rules.MacOSInstallerSpawnsNetworkEvent.RiskScore} {Compiled.Rules.MacOSInstallerSpawnsNetworkEvent.Metadata.Threat[1].Tactic!.Name}");
            """);
        File.Copy(Paths.SeedRule, Path.Combine(_consumer, "rules", "seed.toml"));
    }

    [OneTimeTearDown]
    public void DeleteWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test, Order(1)]
    public void PackageContainsGeneratorTomlynAndProps()
    {
        string package = Directory.EnumerateFiles(_feed, "Compiled.Generators.*.nupkg").Single();
        using var archive = System.IO.Compression.ZipFile.OpenRead(package);
        var entries = archive.Entries.Select(entry => entry.FullName).ToList();

        Assert.That(entries, Does.Contain("analyzers/dotnet/cs/Compiled.Generators.dll"));
        Assert.That(entries, Does.Contain("analyzers/dotnet/cs/Tomlyn.dll"));
        Assert.That(entries, Does.Contain("build/Compiled.Generators.props"));
        Assert.That(entries, Does.Contain("buildTransitive/Compiled.Generators.props"));
        Assert.That(entries, Does.Contain("build/Compiled.Generators.targets"));
        Assert.That(entries.Where(entry => entry.StartsWith("lib/", StringComparison.Ordinal)), Is.Empty);
    }

    [Test, Order(2)]
    public void ConsumerBuildsAndRunsRulesFromPackage()
    {
        var build = Dotnet(_consumer, "build");
        Assert.That(build.ExitCode, Is.EqualTo(0), build.ToString());

        var run = Dotnet(_consumer, "run", "--no-build");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.StandardOutput, Does.Contain("99239e7d-b0d4-46e3-8609-acafcf99f68c Medium macOS Installer Spawns Network Event"));
        Assert.That(run.StandardOutput, Does.Contain("8 fields"));
        Assert.That(run.StandardOutput, Does.Contain("47 Command and Control"));
    }

    [Test, Order(3)]
    public void BrokenRuleFailsConsumerBuildAtItsLocation()
    {
        string broken = Path.Combine(_consumer, "rules", "broken.toml");
        File.WriteAllText(broken, "[rule]\nname = \"Broken\"\nrisk_score = = 5\n");
        try
        {
            var build = Dotnet(_consumer, "build");

            Assert.That(build.ExitCode, Is.Not.EqualTo(0), build.ToString());
            Assert.That(build.StandardOutput, Does.Contain("broken.toml(3,14): error CMP001"));
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Test, Order(4)]
    public void ConsumerCompilerRunsWithoutDynamicPgoUnlessAsked()
    {
        var byDefault = Dotnet(_consumer, "msbuild", "-restore", "-getProperty:CscEnvironment");
        var optedOut = Dotnet(_consumer, "msbuild", "-restore", "-getProperty:CscEnvironment", "-p:CompiledCompilerDynamicPgo=true");

        Assert.That(byDefault.ExitCode, Is.EqualTo(0), byDefault.ToString());
        Assert.That(byDefault.StandardOutput.Trim(), Is.EqualTo("DOTNET_TieredPGO=0"));
        Assert.That(optedOut.ExitCode, Is.EqualTo(0), optedOut.ToString());
        Assert.That(optedOut.StandardOutput.Trim(), Is.Empty);
    }

    private ProcessResult Dotnet(string workingDirectory, params string[] arguments) =>
        ProcessRunner.Run("dotnet", arguments, workingDirectory, null, BuildTimeout, _environment);
}
