namespace Compiled.Conformance.Running;

public enum CaseOutcome
{
    Passed,
    Failed,

    /// <summary>Not counted: the suite or Elasticsearch's documentation calls the result non-deterministic or unsupported.</summary>
    Excluded,
}

/// <summary>The outcome of one suite case, with the reason when it did not pass.</summary>
public sealed record CaseResult(string Name, CaseOutcome Outcome, string Message);
