using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.RuleFiles;

/// <summary>
/// Everything the emitter needs from one rule file. It contains no file positions, so an edit that only
/// moves text (a comment, a blank line) leaves the model equal and the generated code cached.
/// <see cref="IpFields"/> lists the <c>ip</c> fields that an EQL query compares with strings, which compare by address.
/// </summary>
internal sealed record RuleSpec(
    string FilePath,
    string RuleId,
    string RuleGuid,
    string Name,
    string Description,
    string Severity,
    int RiskScore,
    string Type,
    string Language,
    string Query,
    EquatableArray<string> Tags,
    EquatableArray<string> Index,
    string? From,
    string? Interval,
    int? MaxSignals,
    int? Version,
    string? TimestampOverride,
    bool TimestampOverrideFallbackDisabled,
    string? EventCategoryOverride,
    string? BuildingBlockType,
    EquatableArray<string> References,
    EquatableArray<string> FalsePositives,
    EquatableArray<string> Author,
    string? License,
    string? Maturity,
    string? CreationDate,
    string? UpdatedDate,
    EquatableArray<ThreatSpec> Threat,
    EquatableArray<RequiredField> RequiredFields,
    EqlQuery ParsedQuery,
    StatefulSpec? Stateful = null,
    EquatableArray<string> IpFields = default);

/// <summary>A <c>[[rule.required_fields]]</c> entry: a field the rule reads and its Elasticsearch type, such as <c>version</c>.</summary>
internal sealed record RequiredField(string Name, string Type);

internal sealed record ThreatSpec(string Framework, AttackEntry? Tactic, EquatableArray<TechniqueSpec> Techniques);

internal sealed record TechniqueSpec(AttackEntry Technique, EquatableArray<AttackEntry> Subtechniques);

/// <summary>A MITRE ATT&amp;CK tactic, technique or subtechnique: its id, name and reference URL.</summary>
internal sealed record AttackEntry(string Id, string Name, string Reference);

/// <summary>The result of reading one rule file: a rule when it is valid, and its diagnostics either way.</summary>
internal sealed record RuleFileResult(RuleSpec? Rule, EquatableArray<DiagnosticInfo> Diagnostics, RuleIdentity? Identity);

/// <summary>
/// The rule_id of a rule file as written, its UUID (parsed, or derived when the text is not a UUID) and
/// where it is written, for the duplicate check across files.
/// </summary>
internal sealed record RuleIdentity(string FilePath, string RuleId, string RuleGuid, FileSpan RuleIdSpan);
