using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Compiled.Generators;
using Compiled.Runtime.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using RuleSet = Compiled.Runtime.Rules.RuleSet;

namespace Compiled.Compiler;

/// <summary>
/// Compiles rule files at run time through the same source generator the build uses, then compiles the
/// generated C# with Roslyn and loads it, so a host can run rules that were not built into it.
/// </summary>
public static class RuleCompiler
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>The environment variable that names the ECS field file for KQL rules.</summary>
    public const string EcsFieldsVariable = "COMPILED_ECS_FIELDS";

    /// <summary>
    /// The ECS <c>fields.csv</c> that KQL rules are compiled against: the file named by
    /// <c>COMPILED_ECS_FIELDS</c>, else the one this assembly was built with (the MSBuild property
    /// <c>CompiledEcsFields</c>) when it still exists, else null, and every KQL field is then a keyword.
    /// </summary>
    public static string? EcsFieldsPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable(EcsFieldsVariable) is { Length: > 0 } configured)
            {
                return configured;
            }

            string? built = typeof(RuleCompiler).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(attribute => attribute.Key == "CompiledEcsFields")?.Value;
            return !string.IsNullOrEmpty(built) && File.Exists(built) ? built : null;
        }
    }

    /// <summary>
    /// Compiles one rule file, or every <c>*.toml</c> file (in any letter case) under a folder, searching
    /// subfolders without following symbolic links. Throws <see cref="IOException"/> when a file cannot be read.
    /// </summary>
    public static RuleCompilation CompileDirectory(string path, bool skipInvalidRules = false)
    {
        IEnumerable<string> paths;
        if (File.Exists(path))
        {
            paths = [path];
        }
        else if (Directory.Exists(path))
        {
            var options = new EnumerationOptions
            {
                RecurseSubdirectories = true,
                MatchCasing = MatchCasing.CaseInsensitive,
                AttributesToSkip = FileAttributes.ReparsePoint,
            };
            paths = Directory.EnumerateFiles(path, "*.toml", options).Order(StringComparer.Ordinal);
        }
        else
        {
            throw new DirectoryNotFoundException($"The rules path '{path}' does not exist.");
        }

        var files = paths.Select(file => new RuleFile(Path.GetFullPath(file), File.ReadAllText(file))).ToList();
        return Compile(files, skipInvalidRules);
    }

    /// <summary>
    /// Compiles the given rule files, which need not exist on disk. Rule files with errors produce no code;
    /// with <paramref name="skipInvalidRules"/> the others are still compiled and loaded, otherwise nothing is.
    /// </summary>
    public static RuleCompilation Compile(IReadOnlyList<RuleFile> files, bool skipInvalidRules = false)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Compiled.Rules.Dynamic." + Guid.NewGuid().ToString("N"),
            [],
            References.Value,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release));

        var additionalTexts = files.Select(file => (AdditionalText)new InMemoryAdditionalText(file.Path, file.Text)).ToList();
        if (EcsFieldsPath is { } ecsFields)
        {
            additionalTexts.Add(new InMemoryAdditionalText(ecsFields, File.ReadAllText(ecsFields)));
        }

        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new RuleGenerator().AsSourceGenerator()],
            additionalTexts: additionalTexts,
            parseOptions: parseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);

        var run = driver.GetRunResult();
        var generated = run.Results.SelectMany(result => result.GeneratedSources)
            .Select(source => new GeneratedSource(source.HintName, source.SourceText.ToString()))
            .ToList();
        var diagnostics = generatorDiagnostics.Concat(run.Diagnostics).Distinct().ToList();
        if (!skipInvalidRules && diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            return new RuleCompilation(Sort(diagnostics), generated, null);
        }

        using var image = new MemoryStream();
        var emit = output.Emit(image);
        diagnostics.AddRange(emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        if (!emit.Success)
        {
            return new RuleCompilation(Sort(diagnostics), generated, null);
        }

        var assembly = Assembly.Load(image.ToArray());
        return new RuleCompilation(Sort(diagnostics), generated, assembly, files.Select(file => file.Path).ToList());
    }

    private static List<Diagnostic> Sort(IEnumerable<Diagnostic> diagnostics) =>
        diagnostics
            .OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal)
            .ThenBy(d => d.Location.GetLineSpan().StartLinePosition.Line)
            .ThenBy(d => d.Location.GetLineSpan().StartLinePosition.Character)
            .ToList();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        // Only the framework: an application's own assemblies may contain compiled rules of their own,
        // whose types would clash with the ones generated here.
        var references = platform
            .Where(IsFrameworkAssembly)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(RuleSet).Assembly.Location));
        return [.. references];
    }

    private static bool IsFrameworkAssembly(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return name.StartsWith("System.", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.", StringComparison.Ordinal)
            || name is "System" or "mscorlib" or "netstandard";
    }

    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }
}

/// <summary>A rule file's path and text.</summary>
public sealed record RuleFile(string Path, string Text);

/// <summary>A C# file the generator produced.</summary>
public sealed record GeneratedSource(string HintName, string Text);

/// <summary>The outcome of compiling rule files: diagnostics, the generated code and, without errors, the loaded rules.</summary>
public sealed class RuleCompilation
{
    private readonly IReadOnlyList<string> _inputPaths;

    internal RuleCompilation(IReadOnlyList<Diagnostic> diagnostics, IReadOnlyList<GeneratedSource> generatedSources, Assembly? assembly,
        IReadOnlyList<string>? inputPaths = null)
    {
        _inputPaths = inputPaths ?? [];
        Diagnostics = diagnostics;
        GeneratedSources = generatedSources;
        Assembly = assembly;
    }

    /// <summary>Every diagnostic, sorted by file, line and column.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; }

    public IReadOnlyList<GeneratedSource> GeneratedSources { get; }

    /// <summary>The compiled rules, or null when there were errors.</summary>
    public Assembly? Assembly { get; }

    /// <summary>True when an assembly was built; with skipped rules, <see cref="Errors"/> may still list problems.</summary>
    public bool Success => Assembly is not null;

    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>
    /// The rule files with at least one error. Their rules are left out of <see cref="CreateRuleSet"/> and
    /// <see cref="Descriptors"/> even where code was generated, as for a file whose only error is a rule_id
    /// that another file also uses.
    /// </summary>
    public IReadOnlySet<string> InvalidFiles =>
        Errors.Select(d => d.Location.GetLineSpan().Path).ToHashSet(StringComparer.Ordinal);

    /// <summary>Creates fresh rule instances from the compiled catalog, without the rules of <see cref="InvalidFiles"/>.</summary>
    public RuleSet CreateRuleSet()
    {
        var catalog = CatalogType();
        var create = catalog.GetMethod("CreateRuleSet", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{catalog.FullName} has no CreateRuleSet method.");
        var ruleSet = (RuleSet)create.Invoke(null, null)!;
        var excluded = ExcludedFileNames();
        if (excluded.Count == 0)
        {
            return ruleSet;
        }

        var valid = ruleSet.Rules.Where(rule => !excluded.Contains(rule.Descriptor.SourceFile)).ToList();
        return new RuleSet(ruleSet.Schema, valid);
    }

    /// <summary>The descriptors of the compiled rules, without those of <see cref="InvalidFiles"/>.</summary>
    public IReadOnlyList<RuleDescriptor> Descriptors()
    {
        var property = CatalogType().GetProperty("Descriptors", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException("The rule catalog has no Descriptors property.");
        var descriptors = (IReadOnlyList<RuleDescriptor>)property.GetValue(null)!;
        var excluded = ExcludedFileNames();
        return excluded.Count == 0 ? descriptors : descriptors.Where(rule => !excluded.Contains(rule.SourceFile)).ToList();
    }

    /// <summary>
    /// The file names of <see cref="InvalidFiles"/>, which is how a descriptor names its file.
    /// NOTE: a name that a valid input file shares, in another folder, is not excluded, so an invalid
    /// file's generated rule can stay loaded in that case.
    /// </summary>
    private HashSet<string> ExcludedFileNames()
    {
        var invalid = InvalidFiles;
        var names = invalid.Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var path in _inputPaths)
        {
            if (!invalid.Contains(path))
            {
                names.Remove(Path.GetFileName(path));
            }
        }

        return names;
    }

    private Type CatalogType()
    {
        var assembly = Assembly ?? throw new InvalidOperationException("The rules did not compile; see Diagnostics.");
        var attribute = assembly.GetCustomAttribute<RuleCatalogAttribute>()
            ?? throw new InvalidOperationException("The compiled assembly has no rule catalog.");
        return attribute.CatalogType;
    }
}
