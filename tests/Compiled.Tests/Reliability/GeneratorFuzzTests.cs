using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Compiled.Generators;
using Compiled.Tests.Support;
using CsCheck;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Compiled.Tests.Reliability;

/// <summary>
/// Mutates real corpus rules at the TOML, EQL and KQL level and runs each mutant through the real generator.
/// Properties: no exception escapes or is caught inside the generator, every diagnostic points inside the
/// rule file, and a mutant without errors compiles. <c>COMPILED_FUZZ_CASES</c> sets the number of cases
/// (default 2,000) and <c>COMPILED_FUZZ_SEED</c> replays a failure from the seed CsCheck prints.
/// </summary>
public partial class GeneratorFuzzTests
{
    private const int DefaultCases = 2000;

    private static readonly string RulesFolder = Path.Combine(Paths.Shared, "corpus", "detection-rules", "rules");

    private static readonly Lazy<Corpus> Rules = new(LoadCorpus);

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>The shapes (see <see cref="Shape"/>) of generated code that compiled without errors.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> CompiledShapes = new();

    private static long s_withErrors;
    private static long s_compiled;
    private static long s_sameShape;

    [Test]
    public void MutatedRulesNeverBreakGenerator()
    {
        var corpus = Rules.Value;
        Assert.That(corpus.Eql, Has.Count.GreaterThan(500), "EQL rules in the corpus");
        Assert.That(corpus.Kql, Has.Count.GreaterThan(500), "KQL rules in the corpus");

        long cases = long.TryParse(Environment.GetEnvironmentVariable("COMPILED_FUZZ_CASES"), out long configured) ? configured : DefaultCases;
        string? seed = Environment.GetEnvironmentVariable("COMPILED_FUZZ_SEED");
        var gen = Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], Gen.Int[1, 4])
            .Select((level, rule, mutationSeed, count) => new FuzzCase((MutationLevel)level, rule, mutationSeed, count));

        var watch = Stopwatch.StartNew();
        gen.Sample(
            fuzzCase => Check(corpus, fuzzCase),
            seed: seed,
            iter: cases,
            print: fuzzCase => Describe(corpus, fuzzCase));
        TestContext.Out.WriteLine(
            $"{cases} mutants checked in {watch.Elapsed.TotalSeconds:F1} s: {s_withErrors} with error diagnostics, " +
            $"{s_compiled} compiled, {s_sameShape} shaped like one compiled before");
    }

    /// <summary>Throws <see cref="FuzzFailure"/> when the mutant breaks a property.</summary>
    private static void Check(Corpus corpus, FuzzCase fuzzCase)
    {
        var (path, text) = Mutant(corpus, fuzzCase);
        var file = new InMemoryRuleFile(path, text);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new RuleGenerator().AsSourceGenerator()], additionalTexts: [file], parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(), out var output, out var driverDiagnostics);
        var result = driver.GetRunResult().Results.Single();

        // CS8784 and CS8785 are how Roslyn reports an exception that escaped a generator.
        var escaped = driverDiagnostics.Where(diagnostic => diagnostic.Id is "CS8784" or "CS8785").ToList();
        if (escaped.Count > 0 || result.Exception is not null)
        {
            throw new FuzzFailure($"an exception escaped the generator: {result.Exception?.ToString() ?? escaped[0].GetMessage()}");
        }

        var source = SourceText.From(text);
        foreach (var diagnostic in result.Diagnostics)
        {
            if (diagnostic.Id == "CMP999")
            {
                throw new FuzzFailure($"the generator caught an exception: {diagnostic.GetMessage()}");
            }

            CheckLocation(diagnostic, path, source);
        }

        if (result.Diagnostics.Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error))
        {
            Interlocked.Increment(ref s_withErrors);
            return;
        }

        var generated = output.SyntaxTrees.ToList();
        foreach (var tree in generated)
        {
            var syntaxErrors = tree.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
            if (syntaxErrors.Count > 0)
            {
                throw new FuzzFailure($"the generated code does not parse: {syntaxErrors[0]}\n{tree}");
            }
        }

        // Binding is most of the cost of a case, and mutants often differ from a compiled one only in literals.
        string shape = Shape(generated);
        if (CompiledShapes.ContainsKey(shape))
        {
            Interlocked.Increment(ref s_sameShape);
            return;
        }

        var errors = output.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            throw new FuzzFailure($"the generated code does not compile: {errors[0]}\n{errors[0].Location.SourceTree?.ToString()}");
        }

        CompiledShapes.TryAdd(shape, true);
        Interlocked.Increment(ref s_compiled);
    }

    /// <summary>
    /// Returns the hash of the generated code's tokens with comments dropped and each distinct string or
    /// character literal replaced by its first-appearance number. Literal contents cannot cause an error
    /// once the code parses, apart from equality (duplicate case labels), which the numbering keeps.
    /// </summary>
    private static string Shape(IEnumerable<SyntaxTree> trees)
    {
        var literals = new Dictionary<string, int>(StringComparer.Ordinal);
        var builder = new System.Text.StringBuilder();
        foreach (var tree in trees)
        {
            foreach (var token in tree.GetRoot().DescendantTokens())
            {
                if (token.IsKind(SyntaxKind.StringLiteralToken) || token.IsKind(SyntaxKind.CharacterLiteralToken) ||
                    token.IsKind(SyntaxKind.Utf8StringLiteralToken) || token.IsKind(SyntaxKind.SingleLineRawStringLiteralToken) ||
                    token.IsKind(SyntaxKind.MultiLineRawStringLiteralToken))
                {
                    if (!literals.TryGetValue(token.ValueText, out int number))
                    {
                        literals[token.ValueText] = number = literals.Count;
                    }

                    builder.Append('\u0001').Append(token.RawKind).Append(':').Append(number);
                }
                else
                {
                    builder.Append(token.Text);
                }

                builder.Append(' ');
            }
        }

        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(builder.ToString())));
    }

    private static void CheckLocation(Diagnostic diagnostic, string path, SourceText source)
    {
        var location = diagnostic.Location;
        var lines = location.GetLineSpan();
        if (location.Kind != LocationKind.ExternalFile || lines.Path != path)
        {
            throw new FuzzFailure($"{diagnostic.Id} is not located in the rule file: {diagnostic}");
        }

        var span = location.SourceSpan;
        if (span.Start < 0 || span.End > source.Length)
        {
            throw new FuzzFailure($"{diagnostic.Id} has span {span} outside the file's {source.Length} characters: {diagnostic}");
        }

        var expected = source.Lines.GetLinePositionSpan(span);
        if (expected != lines.Span)
        {
            throw new FuzzFailure($"{diagnostic.Id} is at {lines.Span}, but its span {span} is at {expected} in the file: {diagnostic}");
        }
    }

    private static (string Path, string Text) Mutant(Corpus corpus, FuzzCase fuzzCase)
    {
        var pool = fuzzCase.Level switch
        {
            MutationLevel.Toml => corpus.All,
            MutationLevel.Eql => corpus.Eql,
            _ => corpus.Kql,
        };
        var (path, text) = pool[fuzzCase.Rule % pool.Count];
        return (path, RuleMutator.Mutate(text, fuzzCase.Level, fuzzCase.Seed, fuzzCase.Count));
    }

    private static string Describe(Corpus corpus, FuzzCase fuzzCase)
    {
        var pool = fuzzCase.Level switch
        {
            MutationLevel.Toml => corpus.All,
            MutationLevel.Eql => corpus.Eql,
            _ => corpus.Kql,
        };
        var (path, text) = pool[fuzzCase.Rule % pool.Count];
        var log = new List<string>();
        string mutant = RuleMutator.Mutate(text, fuzzCase.Level, fuzzCase.Seed, fuzzCase.Count, log);
        return $"{fuzzCase.Level} mutation of {path}: {string.Join("; ", log)}\n--- mutant ---\n{RuleMutator.Escape(mutant).Replace("\\u000A", "\n")}";
    }

    private static Corpus LoadCorpus()
    {
        var all = Directory.EnumerateFiles(RulesFolder, "*.toml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => (Path: path, Text: File.ReadAllText(path)))
            .ToList();
        var eql = all.Where(rule => EqlType().IsMatch(rule.Text)).ToList();
        var kql = all.Where(rule => KqlLanguage().IsMatch(rule.Text)).ToList();
        return new Corpus(all, eql, kql);
    }

    [GeneratedRegex(@"^type\s*=\s*""eql""", RegexOptions.Multiline)]
    private static partial Regex EqlType();

    [GeneratedRegex(@"^language\s*=\s*""kuery""", RegexOptions.Multiline)]
    private static partial Regex KqlLanguage();

    private sealed record Corpus(List<(string Path, string Text)> All, List<(string Path, string Text)> Eql, List<(string Path, string Text)> Kql);

    private sealed record FuzzCase(MutationLevel Level, int Rule, int Seed, int Count);

    private sealed class FuzzFailure(string message) : Exception(message);
}
