using Microsoft.CodeAnalysis;

namespace Compiled.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the rule generator reports. Ids are stable: tools and suppressions refer to them.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Compiled";

    public static readonly DiagnosticDescriptor TomlSyntaxError = new(
        id: "CMP001",
        title: "Invalid TOML",
        messageFormat: "Invalid TOML in rule file: {0}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingRequiredKey = new(
        id: "CMP002",
        title: "Missing required rule key",
        messageFormat: "The rule file has no '{0}' key; add it to the [{1}] table",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor WrongKeyType = new(
        id: "CMP003",
        title: "Rule key has the wrong type",
        messageFormat: "The key '{0}' must be {1}, but it is {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidKeyValue = new(
        id: "CMP004",
        title: "Invalid rule key value",
        messageFormat: "The key '{0}' has the invalid value '{1}': {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateRuleId = new(
        id: "CMP005",
        title: "Duplicate rule_id",
        messageFormat: "The rule_id '{0}' is also used by '{1}'; every rule needs its own rule_id",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor RuleIdNotUuid = new(
        id: "CMP006",
        title: "rule_id is not a lowercase hyphenated UUID",
        messageFormat: "The rule_id '{0}' is not a UUID in lowercase hyphenated form. Kibana accepts it as text, and the typed RuleId is {1}, derived from the text so that no two rule_ids share one.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EqlSyntaxError = new(
        id: "CMP010",
        title: "EQL syntax error",
        messageFormat: "EQL syntax error: {0}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownFunction = new(
        id: "CMP011",
        title: "Unknown EQL function",
        messageFormat: "Unknown EQL function '{0}'; the functions are {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor WrongArgumentCount = new(
        id: "CMP012",
        title: "Wrong number of function arguments",
        messageFormat: "The function '{0}' takes {1} arguments, but {2} were given",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidArgument = new(
        id: "CMP013",
        title: "Invalid function argument",
        messageFormat: "{0} of '{1}' is invalid: {2}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidCidr = new(
        id: "CMP014",
        title: "Invalid CIDR block",
        messageFormat: "'{0}' is not a valid IPv4 or IPv6 address or CIDR block; write it as 10.0.0.0/8 or fe80::/10",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidMaxspan = new(
        id: "CMP015",
        title: "Invalid maxspan",
        messageFormat: "'{0}' is not a valid maxspan; write a positive whole number followed by ms, s, m, h or d, such as 5m",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidRegex = new(
        id: "CMP017",
        title: "Invalid regular expression",
        messageFormat: "'{0}' is not a valid Lucene regular expression: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedRuleType = new(
        id: "CMP020",
        title: "Rule type not compiled",
        messageFormat: "The rule '{0}' is of type '{1}' with language '{2}', which Compiled does not run yet; no code is generated for it",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ElasticsearchOnlyRuleType = new(
        id: "CMP021",
        title: "Rule type only Elasticsearch can run",
        messageFormat: "The rule '{0}' is of type '{1}', which only Elasticsearch can run; no code is generated for it",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor KqlSyntaxError = new(
        id: "CMP030",
        title: "KQL syntax error",
        messageFormat: "KQL syntax error: {0}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidKqlValue = new(
        id: "CMP031",
        title: "Invalid KQL value for the field type",
        messageFormat: "'{0}' is not a valid value for the field '{1}' of type {2}: {3}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedFilter = new(
        id: "CMP032",
        title: "Kibana filter not compiled",
        messageFormat: "The filter cannot be compiled: {0}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingEcsFieldFile = new(
        id: "CMP033",
        title: "No ECS field file",
        messageFormat: "No ECS field file was given, so every field of a KQL rule is compiled as a keyword; set the MSBuild property CompiledEcsFields to an ECS fields.csv",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor KqlFieldPatternMatchesNothing = new(
        id: "CMP034",
        title: "KQL field pattern matches no known field",
        messageFormat: "The field pattern '{0}' matches no field of the ECS field file or of the rule's required_fields, so it matches only the fields present in each event, as keywords; check the name for typos",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Info,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidEcsFieldFile = new(
        id: "CMP035",
        title: "Invalid ECS field file",
        messageFormat: "The ECS field file '{0}' cannot be read: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ThreatQueryNotApplied = new(
        id: "CMP040",
        title: "Threat query not applied to indicators",
        messageFormat: "{0} is not applied to the indicators of this threat_match rule: {1}",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor FilterDateMathAtEventTime = new(
        id: "CMP041",
        title: "Filter date math evaluated at the event time",
        messageFormat: "The filter bound '{0}' uses now, which Compiled evaluates as the event's {1} because a scan has no query time. Kibana uses the time of the rule run, which can be up to the rule's look-back later.",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SuppressionNotApplied = new(
        id: "CMP042",
        title: "Alert suppression not applied",
        messageFormat: "alert_suppression is not applied to an EQL {0} query, so each match is written as an alert of its own",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InternalError = new(
        id: "CMP999",
        title: "Rule generator failed",
        messageFormat: "The rule generator failed on '{0}': {1}; no code is generated for this rule file",
        category: Category,
        defaultSeverity: DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static DiagnosticDescriptor? Find(string id) => id switch
    {
        "CMP001" => TomlSyntaxError,
        "CMP002" => MissingRequiredKey,
        "CMP003" => WrongKeyType,
        "CMP004" => InvalidKeyValue,
        "CMP005" => DuplicateRuleId,
        "CMP006" => RuleIdNotUuid,
        "CMP010" => EqlSyntaxError,
        "CMP011" => UnknownFunction,
        "CMP012" => WrongArgumentCount,
        "CMP013" => InvalidArgument,
        "CMP014" => InvalidCidr,
        "CMP015" => InvalidMaxspan,
        "CMP017" => InvalidRegex,
        "CMP020" => UnsupportedRuleType,
        "CMP021" => ElasticsearchOnlyRuleType,
        "CMP040" => ThreatQueryNotApplied,
        "CMP041" => FilterDateMathAtEventTime,
        "CMP042" => SuppressionNotApplied,
        "CMP030" => KqlSyntaxError,
        "CMP031" => InvalidKqlValue,
        "CMP032" => UnsupportedFilter,
        "CMP033" => MissingEcsFieldFile,
        "CMP034" => KqlFieldPatternMatchesNothing,
        "CMP035" => InvalidEcsFieldFile,
        "CMP999" => InternalError,
        _ => null,
    };
}
