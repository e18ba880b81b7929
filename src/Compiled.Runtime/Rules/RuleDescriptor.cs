namespace Compiled.Runtime.Rules;

/// <summary>The severity a rule assigns to its alerts.</summary>
public enum Severity
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>How far along a rule is in Elastic's release process.</summary>
public enum Maturity
{
    Unspecified,
    Development,
    Experimental,
    Beta,
    Production,
    Deprecated,
}

/// <summary>A MITRE ATT&amp;CK tactic, technique or subtechnique.</summary>
public sealed record MitreEntry(string Id, string Name, string Reference);

/// <summary>A technique with the subtechniques a rule names under it.</summary>
public sealed record MitreTechnique(string Id, string Name, string Reference, IReadOnlyList<MitreEntry> Subtechniques);

/// <summary>One <c>[[rule.threat]]</c> entry: a framework, a tactic and its techniques.</summary>
public sealed record ThreatMapping(string Framework, MitreEntry? Tactic, IReadOnlyList<MitreTechnique> Techniques);

/// <summary>The metadata of a compiled rule, as written in its rule file.</summary>
public sealed record RuleDescriptor
{
    private readonly string? _ruleIdText;

    /// <summary>The rule_id as a UUID. A rule_id that is not a UUID gets one derived from its text.</summary>
    public required Guid RuleId { get; init; }

    /// <summary>The rule_id exactly as the rule file writes it, which alerts carry.</summary>
    public string RuleIdText
    {
        get => _ruleIdText ?? RuleId.ToString("D");
        init => _ruleIdText = value;
    }

    public required string Name { get; init; }

    public required string Description { get; init; }

    public required Severity Severity { get; init; }

    public required int RiskScore { get; init; }

    /// <summary>The Kibana rule type, such as <c>eql</c>.</summary>
    public required string Type { get; init; }

    public required string Language { get; init; }

    public required string Query { get; init; }

    /// <summary>The rule file's name, relative to the rules folder it was compiled from.</summary>
    public required string SourceFile { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public IReadOnlyList<string> Index { get; init; } = [];

    /// <summary>The start of the look-back window in date math, such as <c>now-9m</c>; Kibana's default is <c>now-6m</c>.</summary>
    public string From { get; init; } = "now-6m";

    /// <summary>How often Kibana runs the rule; its default is <c>5m</c>.</summary>
    public string Interval { get; init; } = "5m";

    /// <summary>The maximum number of alerts per rule execution; Kibana's default is 100.</summary>
    public int MaxSignals { get; init; } = 100;

    public int Version { get; init; } = 1;

    /// <summary>The field that contains the event time, when it is not <c>@timestamp</c>.</summary>
    public string? TimestampOverride { get; init; }

    /// <summary>True when an event without the override field is not timed by <c>@timestamp</c> instead.</summary>
    public bool TimestampOverrideFallbackDisabled { get; init; }

    /// <summary><c>default</c> for building-block rules, whose alerts are hidden from default views.</summary>
    public string? BuildingBlockType { get; init; }

    public IReadOnlyList<string> References { get; init; } = [];

    public IReadOnlyList<string> FalsePositives { get; init; } = [];

    public IReadOnlyList<string> Author { get; init; } = [];

    public string? License { get; init; }

    public Maturity Maturity { get; init; }

    public DateOnly? CreationDate { get; init; }

    public DateOnly? UpdatedDate { get; init; }

    public IReadOnlyList<ThreatMapping> Threat { get; init; } = [];
}
