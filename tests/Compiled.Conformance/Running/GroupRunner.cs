using System.Text;
using Compiled.Compiler;
using Compiled.Conformance.Cases;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Microsoft.CodeAnalysis;
using RuleSet = Compiled.Runtime.Rules.RuleSet;

namespace Compiled.Conformance.Running;

/// <summary>
/// Runs the cases of one group through the real generator, the compiled rules and the runtime's scan
/// engine, and compares each result with what Elasticsearch returns.
/// </summary>
public static class GroupRunner
{
    /// <summary>The diagnostic that marks a construct the generator does not compile yet, as opposed to an invalid query.</summary>

    public static IReadOnlyList<CaseResult> Run(CaseGroup group)
    {
        var results = new Dictionary<string, CaseResult>(StringComparer.Ordinal);
        byte[] input = Encoding.UTF8.GetBytes(string.Join("\n", group.Events.Lines) + "\n");
        foreach (var batch in Compile(group.Cases, results))
        {
            var rules = batch.Compilation.CreateRuleSet();
            foreach (var conformanceCase in batch.Cases)
            {
                results[conformanceCase.Name] = conformanceCase.Expected.ExpectsRejection
                    ? Fail(conformanceCase, "The generator compiled an expression that Elasticsearch rejects.")
                    : Evaluate(conformanceCase, rules, group.Events, input);
            }
        }

        return group.Cases.Select(conformanceCase => results[conformanceCase.Name]).ToList();
    }

    /// <summary>
    /// Compiles all rules in one call, which is much faster than one call per rule. Rules that have errors
    /// get their result here and the rest are compiled again without them. When errors name no rule file,
    /// such as errors in generated C#, the remaining rules are compiled one by one.
    /// </summary>
    private static List<CompiledBatch> Compile(IReadOnlyList<ConformanceCase> cases, Dictionary<string, CaseResult> results)
    {
        var batches = new List<CompiledBatch>();
        var pending = cases.ToList();
        while (pending.Count > 0)
        {
            var compilation = RuleCompiler.Compile(pending.Select(ToRuleFile).ToList());
            if (compilation.Success)
            {
                batches.Add(new CompiledBatch(compilation, pending));
                break;
            }

            var errorsByPath = compilation.Errors
                .GroupBy(error => error.Location.GetLineSpan().Path, StringComparer.Ordinal)
                .ToDictionary(errors => errors.Key, errors => errors.ToList(), StringComparer.Ordinal);
            var rejected = pending.Where(c => errorsByPath.ContainsKey(c.RulePath)).ToList();
            foreach (var conformanceCase in rejected)
            {
                results[conformanceCase.Name] = CompileFailure(conformanceCase, errorsByPath[conformanceCase.RulePath]);
            }

            if (rejected.Count == 0)
            {
                batches.AddRange(CompileOneByOne(pending, results));
                break;
            }

            pending = pending.Except(rejected).ToList();
        }

        return batches;
    }

    private static IEnumerable<CompiledBatch> CompileOneByOne(IEnumerable<ConformanceCase> cases, Dictionary<string, CaseResult> results)
    {
        foreach (var conformanceCase in cases)
        {
            var compilation = RuleCompiler.Compile([ToRuleFile(conformanceCase)]);
            if (compilation.Success)
            {
                yield return new CompiledBatch(compilation, [conformanceCase]);
            }
            else
            {
                results[conformanceCase.Name] = CompileFailure(conformanceCase, compilation.Errors.ToList());
            }
        }
    }

    private static CaseResult CompileFailure(ConformanceCase conformanceCase, IReadOnlyList<Diagnostic> errors)
    {
        if (conformanceCase.Expected.ExpectsRejection && errors.Count > 0)
        {
            return new CaseResult(conformanceCase.Name, CaseOutcome.Passed, string.Empty);
        }

        return Fail(conformanceCase, "The rule did not compile:\n" + string.Join("\n", errors.Select(error => "  " + error)));
    }

    /// <summary>
    /// Streams the events through the case's rule alone, so a rule that throws fails only its own case,
    /// then applies the query's pipes and the harness's result limit.
    /// </summary>
    private static CaseResult Evaluate(ConformanceCase conformanceCase, RuleSet rules, EventStream events, byte[] input)
    {
        var ruleId = ConformanceRuleFile.RuleId(conformanceCase.Name);
        var rule = rules.Rules.Single(candidate => candidate.Descriptor.RuleId == ruleId);
        rule.MaxSamplesPerKey = conformanceCase.MaxSamplesPerKey;
        var collector = new MatchCollector(events.Ids);
        var engine = new ScanEngine(new RuleSet(rules.Schema, [rule]), collector);
        try
        {
            engine.Scan(new MemoryStream(input, writable: false), "es-eql");
            engine.Finish();
        }
        catch (Exception error)
        {
            // Any exception from generated code or the runtime is a finding for this case, not a harness failure.
            return Fail(conformanceCase, "The runtime threw while scanning the events:\n" + error);
        }

        var results = ApplyPipes(collector.ResultsOf(ruleId), rule.Pipes).Take(conformanceCase.MaxResults).ToList();
        var actual = results.SelectMany(result => result).ToList();
        bool matches = conformanceCase.Expected.AcceptedResults!.Any(accepted => accepted.SequenceEqual(actual, StringComparer.Ordinal));

        // Elasticsearch indexed every event of the suite, so a rejected event fails the case even when the ids match.
        if (matches && engine.Summary.LinesRejected == 0)
        {
            return new CaseResult(conformanceCase.Name, CaseOutcome.Passed, string.Empty);
        }

        var message = new StringBuilder();
        message.AppendLine($"Expected {conformanceCase.Expected}");
        message.Append($"Actual   {Expectation.FormatIds(actual)}");
        if (engine.Summary.LinesRejected > 0)
        {
            var reasons = engine.Summary.RejectedByReason.Select(reason => $"{reason.Key} ({reason.Value})");
            message.Append($"\nThe runtime rejected {engine.Summary.LinesRejected} of {engine.Summary.LinesRead} events: {string.Join(", ", reasons)}");
        }

        return Fail(conformanceCase, message.ToString());
    }

    /// <summary>Applies <c>head N</c> (the first N results) and <c>tail N</c> (the last N, in order), left to right.</summary>
    public static IEnumerable<IReadOnlyList<string>> ApplyPipes(IEnumerable<IReadOnlyList<string>> results, IReadOnlyList<QueryPipe> pipes)
    {
        foreach (var pipe in pipes)
        {
            results = pipe.Kind switch
            {
                QueryPipeKind.Head => results.Take(pipe.Count),
                QueryPipeKind.Tail => results.TakeLast(pipe.Count),
                _ => throw new NotSupportedException($"The pipe {pipe.Kind} is not known to the conformance harness."),
            };
        }

        return results;
    }

    private static CaseResult Fail(ConformanceCase conformanceCase, string reason) =>
        new(conformanceCase.Name, CaseOutcome.Failed, reason + "\nQuery:\n" + Indent(conformanceCase.Query.Trim('\n', '\r')));

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(line => "  " + line.TrimEnd('\r')));

    private static RuleFile ToRuleFile(ConformanceCase conformanceCase) => new(conformanceCase.RulePath, conformanceCase.RuleText);

    private sealed record CompiledBatch(RuleCompilation Compilation, IReadOnlyList<ConformanceCase> Cases);
}
