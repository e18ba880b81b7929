using System.Text;
using Compiled.Conformance.Cases;
using Compiled.Conformance.Running;

namespace Compiled.Conformance;

/// <summary>
/// The whole suite: every case name, and the results of one run of all of them, computed on first use
/// and shared by the per-case tests, the summary and the passing-cases check.
/// </summary>
public static class ConformanceSuite
{
    private static readonly Lazy<IReadOnlyList<CaseResult>> LazyResults = new(RunAll);

    private static readonly Lazy<IReadOnlyDictionary<string, CaseResult>> LazyResultsByName =
        new(() => LazyResults.Value.ToDictionary(result => result.Name, StringComparer.Ordinal));

    /// <summary>The result of every case, in the order of the suite files.</summary>
    public static IReadOnlyList<CaseResult> Results => LazyResults.Value;

    public static IReadOnlyDictionary<string, CaseResult> ResultsByName => LazyResultsByName.Value;

    /// <summary>Reads the case names from the suite files without compiling or running anything.</summary>
    public static IEnumerable<string> CaseNames()
    {
        RequireSuiteFolder();
        return QueryFiles.ReadCases(SuitePaths.Suite).Select(c => c.Name)
            .Concat(SeriesSpecs.ReadCaseNames(SuitePaths.Suite))
            .Concat(StringFunctionCases.ReadCases(SuitePaths.Suite).Select(c => c.Name));
    }

    /// <summary>Formats <c>es-eql: N passed, N failed of N</c>, then the failing case names one per line.</summary>
    public static string Summary(IReadOnlyList<CaseResult> results)
    {
        var counted = results.Where(result => result.Outcome != CaseOutcome.Excluded).ToList();
        var failing = counted.Where(result => result.Outcome == CaseOutcome.Failed).Select(result => result.Name).ToList();
        var text = new StringBuilder();
        text.Append($"es-eql: {counted.Count - failing.Count} passed, {failing.Count} failed of {counted.Count}");
        int excluded = results.Count - counted.Count;
        if (excluded > 0)
        {
            text.Append($"\n{excluded} excluded: {string.Join(", ", results.Where(r => r.Outcome == CaseOutcome.Excluded).Select(r => r.Name))}");
        }

        foreach (string name in failing)
        {
            text.Append("\n  ").Append(name);
        }

        return text.ToString();
    }

    private static IReadOnlyList<CaseResult> RunAll()
    {
        RequireSuiteFolder();
        var groups = QueryFiles.LoadGroups(SuitePaths.Suite)
            .Append(SeriesSpecs.LoadGroup(SuitePaths.Suite))
            .Append(StringFunctionCases.LoadGroup(SuitePaths.Suite));
        var results = new List<CaseResult>();
        var unsupported = StringFunctionCases.Unsupported(SuitePaths.Suite);
        foreach (var group in groups)
        {
            foreach (var result in GroupRunner.Run(group))
            {
                bool excluded = Exclusions.ReasonByCase.TryGetValue(result.Name, out string? reason) ||
                    unsupported.TryGetValue(result.Name, out reason);
                results.Add(excluded
                    ? result with { Outcome = CaseOutcome.Excluded, Message = reason! }
                    : result);
            }
        }

        return results;
    }

    private static void RequireSuiteFolder()
    {
        if (!Directory.Exists(SuitePaths.Suite))
        {
            throw new DirectoryNotFoundException(
                $"The EQL suite folder '{SuitePaths.Suite}' does not exist. Place the shared test material beside the repository or set {SuitePaths.SuiteVariable}.");
        }
    }
}
