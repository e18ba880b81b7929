using System.Collections.Immutable;
using System.Text;
using Compiled.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Compiled.Tests.Support;

/// <summary>A rule file held in memory, as the build passes AdditionalFiles to the generator.</summary>
public sealed class InMemoryRuleFile(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Runs the real rule generator in process, with step tracking for the incremental tests.</summary>
public static class GeneratorHarness
{
    private static readonly ImmutableArray<MetadataReference> References =
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => !Path.GetFileName(path).StartsWith("compiled", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(Compiled.Runtime.Rules.RuleSet).Assembly.Location))
            .ToImmutableArray();

    public static CSharpCompilation CreateCompilation(params SyntaxTree[] trees) =>
        CSharpCompilation.Create(
            "RulesUnderTest",
            trees,
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(params AdditionalText[] files) =>
        CSharpGeneratorDriver.Create(
            [new RuleGenerator().AsSourceGenerator()],
            additionalTexts: files,
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator over <paramref name="files"/> and compiles its output.</summary>
    public static GeneratorOutput Run(params AdditionalText[] files)
    {
        var compilation = CreateCompilation();
        var driver = CreateDriver(files).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var result = driver.GetRunResult().Results.Single();
        return new GeneratorOutput(
            result.GeneratedSources.ToDictionary(source => source.HintName, source => source.SourceText.ToString()),
            diagnostics.Concat(result.Diagnostics).Distinct().ToList(),
            output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList());
    }

    public static GeneratorOutput Run(string fileName, string toml) => Run(new InMemoryRuleFile("/rules/" + fileName, toml));

    /// <summary>ECS's fields.csv as an AdditionalFile, the way the build passes CompiledEcsFields.</summary>
    public static AdditionalText EcsFields { get; } = new InMemoryRuleFile(Paths.EcsFields, File.ReadAllText(Paths.EcsFields));

    /// <summary>Runs the generator over one rule file together with ECS's field file.</summary>
    public static GeneratorOutput RunWithEcs(string fileName, string toml) => Run(new InMemoryRuleFile("/rules/" + fileName, toml), EcsFields);
}

/// <summary>What one generator run produced.</summary>
public sealed record GeneratorOutput(
    IReadOnlyDictionary<string, string> Sources,
    IReadOnlyList<Diagnostic> GeneratorDiagnostics,
    IReadOnlyList<Diagnostic> CompileErrors);
