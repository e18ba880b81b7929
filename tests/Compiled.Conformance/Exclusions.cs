namespace Compiled.Conformance;

/// <summary>
/// Suite cases left out of the counts, each with its reason. A case may be listed only where the suite or
/// Elasticsearch's documentation calls its result non-deterministic or unsupported, and the reason names
/// that source. Cases whose query Compiled cannot compile yet are failures, not exclusions. The fold tests
/// the suite itself lists as unsupported are excluded from the suite's own list, by
/// <see cref="StringFunctionCases.Unsupported"/>.
/// </summary>
public static class Exclusions
{
    public static IReadOnlyDictionary<string, string> ReasonByCase { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // No case qualifies yet. An entry reads: ["test_queries.toml/someQuery"] = "reason, with its source".
    };
}
