using Compiled.Conformance.Running;

namespace Compiled.Conformance;

/// <summary>
/// Guards the suite cases that pass today. Unlike the per-case tests it is not in the Conformance category,
/// and it fails the default run when a case listed in passing-cases.txt stops passing.
/// </summary>
[TestFixture]
public sealed class PassingCasesTests
{
    [Test]
    public void KnownPassingCasesStillPass()
    {
        var results = ConformanceSuite.ResultsByName;
        var passing = ConformanceSuite.Results.Where(result => result.Outcome == CaseOutcome.Passed).Select(result => result.Name).ToList();
        if (PassingCases.UpdateRequested)
        {
            PassingCases.Write(SuitePaths.PassingCases, passing);
            Report($"Wrote {passing.Count} passing cases to {SuitePaths.PassingCases}.");
            return;
        }

        var listed = PassingCases.Names;
        var newlyPassing = passing.Where(name => !listed.Contains(name)).ToList();
        if (newlyPassing.Count > 0)
        {
            Report($"{newlyPassing.Count} cases pass but are not listed in {SuitePaths.PassingCases}. Add them, or rerun with "
                + $"{PassingCases.UpdateVariable}=1 to rewrite the file:\n  " + string.Join("\n  ", newlyPassing));
        }

        var regressions = listed
            .Order(StringComparer.Ordinal)
            .Select(name => results.TryGetValue(name, out var result)
                ? result
                : new CaseResult(name, CaseOutcome.Failed, "The suite has no case of this name; remove it from the list."))
            .Where(result => result.Outcome != CaseOutcome.Passed)
            .Select(result => $"{result.Name}: {result.Message}")
            .ToList();
        if (regressions.Count > 0)
        {
            Assert.Fail($"{regressions.Count} cases listed in passing-cases.txt no longer pass:\n" + string.Join("\n\n", regressions));
        }
    }

    private static void Report(string message) => TestContext.Out.WriteLine(message);
}
