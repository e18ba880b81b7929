using Compiled.Generators;
using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Compiled.Tests.Kql;

/// <summary>The ECS field table joins every KQL rule in the pipeline without breaking caching.</summary>
public class KqlIncrementalTests
{
    private static readonly InMemoryRuleFile First = new("/rules/first.toml", RuleFiles.Kql("process.pid > 4", name: "First Rule"));

    private static readonly InMemoryRuleFile Second = new(
        "/rules/second.toml",
        RuleFiles.Kql("source.ip:10.0.0.0/8", name: "Second Rule", ruleId: "1c2d3e4f-0000-4000-8000-000000000003"));

    [Test]
    public void UnchangedRebuildKeepsKqlCached()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(First, Second, GeneratorHarness.EcsFields).RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated {}")));
        var result = driver.GetRunResult().Results.Single();

        Assert.That(ReasonsOf(result, RuleGenerator.TrackEcsFields), Is.All.EqualTo(IncrementalStepRunReason.Cached));
        Assert.That(ReasonsOf(result, RuleGenerator.TrackParsedRules), Is.All.EqualTo(IncrementalStepRunReason.Cached));
        Assert.That(ReasonsOf(result, RuleGenerator.TrackEmittedRules), Is.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void EditingOneKqlRuleReemitsOnlyIt()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(First, Second, GeneratorHarness.EcsFields).RunGenerators(compilation);
        var edited = new InMemoryRuleFile(Second.Path, Second.GetText()!.ToString().Replace("10.0.0.0/8", "192.168.0.0/16"));

        driver = driver.ReplaceAdditionalText(Second, edited).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();

        var emitted = result.TrackedSteps[RuleGenerator.TrackEmittedRules].SelectMany(run => run.Outputs).ToList();
        var modified = emitted.Where(output => output.Reason == IncrementalStepRunReason.Modified).ToList();
        Assert.That(modified, Has.Count.EqualTo(1));
        Assert.That(modified[0].Value.ToString(), Does.Contain("SecondRule.g.cs"));
        Assert.That(emitted.Count(output => output.Reason == IncrementalStepRunReason.Cached), Is.EqualTo(1));
    }

    [Test]
    public void ChangedFieldFileRebindsRules()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(First, GeneratorHarness.EcsFields).RunGenerators(compilation);
        var keywordPid = new InMemoryRuleFile(GeneratorHarness.EcsFields.Path, "Field,Type\nprocess.pid,keyword\n");

        driver = driver.ReplaceAdditionalText(GeneratorHarness.EcsFields, keywordPid).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();

        Assert.That(ReasonsOf(result, RuleGenerator.TrackEcsFields), Is.All.EqualTo(IncrementalStepRunReason.Modified));
        string source = result.GeneratedSources.Single(source => source.HintName == "FirstRule.g.cs").SourceText.ToString();
        Assert.That(source, Does.Contain("Comparison.GreaterThan, \"4\""));
    }

    private static List<IncrementalStepRunReason> ReasonsOf(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(run => run.Outputs).Select(output => output.Reason).ToList();
}
