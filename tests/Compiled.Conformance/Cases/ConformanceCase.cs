namespace Compiled.Conformance.Cases;

/// <summary>
/// One case of the suite: a query, the rule file built from it and the result it must give.
/// <paramref name="Name"/> is unique across the suite, such as <c>test_queries.toml/simpleQueryLt</c>.
/// </summary>
public sealed record ConformanceCase(string Name, string Query, Expectation Expected, int MaxResults)
{
    /// <summary>The number of results Elasticsearch's test harness requests unless a case sets <c>size</c>.</summary>
    public const int DefaultMaxResults = 50;

    /// <summary>The in-memory path of the rule file, which diagnostics name.</summary>
    public string RulePath => "/es-eql/" + Name + ".toml";

    /// <summary>The request's <c>max_samples_per_key</c>: how many samples a sample query returns per join key.</summary>
    public int MaxSamplesPerKey { get; init; } = 1;

    /// <summary>
    /// The mapped types of the data's fields that change how a rule compares or joins them, written into the
    /// rule file as <c>[[rule.required_fields]]</c>.
    /// </summary>
    public IReadOnlyList<(string Name, string Type)> FieldTypes { get; init; } = [];

    public string RuleText => ConformanceRuleFile.Create(Name, Query, FieldTypes);
}

/// <summary>
/// The result a case must give: either one of several accepted lists of event ids, or a rejection of the
/// query by the generator.
/// </summary>
public sealed class Expectation
{
    private Expectation(IReadOnlyList<IReadOnlyList<string>>? acceptedResults) => AcceptedResults = acceptedResults;

    /// <summary>
    /// The accepted id lists, with sequences flattened. A result passes when it equals one of them. Null
    /// when the query must be rejected.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>>? AcceptedResults { get; }

    public bool ExpectsRejection => AcceptedResults is null;

    public static Expectation Results(params IReadOnlyList<string>[] alternatives) => new(alternatives);

    public static Expectation Rejection() => new(null);

    public override string ToString() => AcceptedResults switch
    {
        null => "a compile error",
        [var single] => FormatIds(single),
        var alternatives => "one of " + string.Join(" or ", alternatives.Select(FormatIds)),
    };

    public static string FormatIds(IEnumerable<string> ids) => "[" + string.Join(", ", ids) + "]";
}

/// <summary>
/// Cases that run over the same events. Their rules are compiled together, and each rule then reads the
/// same event stream.
/// </summary>
public sealed record CaseGroup(string Name, EventStream Events, IReadOnlyList<ConformanceCase> Cases);

/// <summary>
/// Events in the order the runtime receives them, as NDJSON lines, with the id the suite gives each event.
/// <c>Ids[i]</c> belongs to line <c>i + 1</c>.
/// </summary>
public sealed record EventStream(IReadOnlyList<string> Lines, IReadOnlyList<string> Ids);
