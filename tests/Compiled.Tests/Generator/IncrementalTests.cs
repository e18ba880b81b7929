using System.Collections;
using System.Reflection;
using Compiled.Generators;
using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Compiled.Tests.Generator;

public class IncrementalTests
{
    private static readonly string[] TrackedSteps =
    [
        RuleGenerator.TrackRuleFiles,
        RuleGenerator.TrackParsedRules,
        RuleGenerator.TrackRules,
        RuleGenerator.TrackClassNames,
        RuleGenerator.TrackEmittedRules,
        RuleGenerator.TrackCatalog,
    ];

    private static readonly InMemoryRuleFile First = new("/rules/first.toml", RuleFiles.Eql("process where process.name == \"a\"", name: "First Rule"));

    private static readonly InMemoryRuleFile Second = new(
        "/rules/second.toml",
        RuleFiles.Eql("process where process.name == \"b\"", name: "Second Rule", ruleId: "1c2d3e4f-0000-4000-8000-000000000002"));

    [Test]
    public void UnchangedRebuildIsFullyCached()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(First, Second).RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated {}")));
        var result = driver.GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            var reasons = result.TrackedSteps[step].SelectMany(run => run.Outputs).Select(output => output.Reason).ToList();
            Assert.That(reasons, Is.Not.Empty, step);
            Assert.That(reasons, Is.All.EqualTo(IncrementalStepRunReason.Cached), step);
        }

        var outputReasons = result.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(run => run.Outputs).Select(output => output.Reason);
        Assert.That(outputReasons, Is.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void EditingOneRuleReemitsOnlyThatRule()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(First, Second).RunGenerators(compilation);
        var edited = new InMemoryRuleFile(Second.Path, Second.GetText()!.ToString().Replace("== \"b\"", "== \"c\""));

        driver = driver.ReplaceAdditionalText(Second, edited).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();

        var emitted = result.TrackedSteps[RuleGenerator.TrackEmittedRules].SelectMany(run => run.Outputs).ToList();
        var modified = emitted.Where(output => output.Reason == IncrementalStepRunReason.Modified).ToList();
        Assert.That(modified, Has.Count.EqualTo(1));
        Assert.That(modified[0].Value.ToString(), Does.Contain("SecondRule.g.cs"));
        Assert.That(emitted.Count(output => output.Reason == IncrementalStepRunReason.Cached), Is.EqualTo(1));
        Assert.That(ReasonsOf(result, RuleGenerator.TrackClassNames), Has.None.EqualTo(IncrementalStepRunReason.Modified));
        Assert.That(ReasonsOf(result, RuleGenerator.TrackCatalog), Is.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void CommentOnlyEditKeepsCodeCached()
    {
        var compilation = GeneratorHarness.CreateCompilation();
        var driver = GeneratorHarness.CreateDriver(First).RunGenerators(compilation);
        var edited = new InMemoryRuleFile(First.Path, "# a comment moves every line down\n" + First.GetText()!);

        driver = driver.ReplaceAdditionalText(First, edited).RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();

        Assert.That(ReasonsOf(result, RuleGenerator.TrackRuleFiles), Is.All.EqualTo(IncrementalStepRunReason.Modified));
        // The parse result carries positions for diagnostics, so it changes; the rule model does not.
        Assert.That(ReasonsOf(result, RuleGenerator.TrackRules), Is.All.EqualTo(IncrementalStepRunReason.Unchanged));
        Assert.That(ReasonsOf(result, RuleGenerator.TrackEmittedRules), Is.All.EqualTo(IncrementalStepRunReason.Cached));
    }

    [Test]
    public void PipelineModelsHoldNoCompilerOrParserObjects()
    {
        var broken = new InMemoryRuleFile("/rules/broken.toml", "[rule]\nname = ");
        var driver = GeneratorHarness.CreateDriver(First, Second, broken).RunGenerators(GeneratorHarness.CreateCompilation());
        var result = driver.GetRunResult().Results.Single();

        var values = result.TrackedSteps.Values.SelectMany(runs => runs).SelectMany(run => run.Outputs).Select(output => output.Value).ToList();
        Assert.That(values, Is.Not.Empty);
        foreach (var value in values)
        {
            AssertNoForbiddenTypes(value, "step output", new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    private static IEnumerable<IncrementalStepRunReason> ReasonsOf(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(run => run.Outputs).Select(output => output.Reason);

    /// <summary>Walks an object graph and fails on Roslyn symbols, syntax, locations, compilations and Tomlyn objects.</summary>
    private static void AssertNoForbiddenTypes(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        var type = value.GetType();
        Assert.That(value, Is.Not.InstanceOf<ISymbol>(), path);
        Assert.That(value, Is.Not.InstanceOf<SyntaxNode>(), path);
        Assert.That(value, Is.Not.InstanceOf<Location>(), path);
        Assert.That(value, Is.Not.InstanceOf<Compilation>(), path);
        Assert.That(type.Namespace ?? string.Empty, Does.Not.StartWith("Tomlyn"), path);
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            int index = 0;
            foreach (var item in items)
            {
                AssertNoForbiddenTypes(item, $"{path}[{index++}]", seen);
            }

            return;
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract")
            {
                AssertNoForbiddenTypes(property.GetValue(value), $"{path}.{property.Name}", seen);
            }
        }
    }
}
