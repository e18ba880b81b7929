using System;
using System.Collections.Generic;
using System.Globalization;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;
using Compiled.Generators.Kql;

namespace Compiled.Generators.RuleFiles;

/// <summary>
/// Turns the text of one rule file into a <see cref="RuleSpec"/>: reads the TOML, checks the keys the
/// detection engine needs, and parses and checks the query. Every problem becomes a diagnostic at the
/// key, value or query character it concerns.
/// </summary>
internal sealed partial class RuleFileParser
{
    private readonly string _path;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private EquatableArray<RequiredField>? _requiredFields;
    private SourceLines _lines = null!;

    private RuleFileParser(string path) => _path = path;

    public static RuleFileResult Parse(string path, string text, EcsFieldTable? fields = null)
    {
        var parser = new RuleFileParser(path) { _fields = fields ?? EcsFieldTable.None };
        try
        {
            return parser.ParseFile(text);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var span = new SourceLines(text).Span(0, 0);
            var diagnostic = DiagnosticInfo.Create(
                DiagnosticDescriptors.InternalError, path, span, System.IO.Path.GetFileName(path), exception.GetType().Name + ": " + exception.Message);
            return new RuleFileResult(null, ImmutableArrayOf(diagnostic), null);
        }
    }

    private static EquatableArray<DiagnosticInfo> ImmutableArrayOf(DiagnosticInfo diagnostic) =>
        new[] { diagnostic }.ToEquatableArray();

    private RuleFileResult ParseFile(string text)
    {
        var (root, lines, tomlDiagnostics) = TomlDocumentReader.Read(_path, text);
        _lines = lines;
        _diagnostics.AddRange(tomlDiagnostics);
        if (root is null)
        {
            return Result(null, null);
        }

        var metadata = OptionalTable(root, "metadata");
        var rule = OptionalTable(root, "rule");
        if (rule is null)
        {
            if (!root.TryGet("rule", out _))
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.MissingRequiredKey, _path, _lines.Span(0, 0), "rule", "rule"));
            }

            return Result(null, null);
        }

        var ruleIdNode = RequiredString(rule, "rule", "rule_id", out var ruleId);
        var name = RequiredString(rule, "rule", "name", out _);
        var description = RequiredString(rule, "rule", "description", out _);
        var severityNode = RequiredString(rule, "rule", "severity", out _);
        var riskScore = RequiredInteger(rule, "rule", "risk_score", out var riskScoreNode);
        var typeNode = RequiredString(rule, "rule", "type", out _);
        string? type = typeNode?.Value as string;
        bool needsQuery = type is "eql" or "query" or "threshold" or "new_terms" or "threat_match" or "esql";
        var language = OptionalString(rule, "language");
        if (type == "eql" && language is null && !rule.TryGet("language", out _))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, rule.Span, "language", "rule"));
        }
        TomlScalarNode? queryNode = null;
        if (needsQuery)
        {
            queryNode = RequiredString(rule, "rule", "query", out _);
        }

        RuleIdentity? identity = null;
        if (ruleIdNode is not null)
        {
            var ruleIdText = (string)ruleIdNode.Value;
            if (ruleIdText.Trim().Length == 0)
            {
                Invalid(ruleIdNode, "rule_id", ruleIdText, "a rule_id is a UUID such as 99239e7d-b0d4-46e3-8609-acafcf99f68c");
            }
            else
            {
                // Only the lowercase hyphenated form counts as the UUID itself: Kibana compares rule_ids as
                // text, so "ABC..." and "abc..." are two rules and must not share one typed RuleId.
                if (!Guid.TryParseExact(ruleIdText, "D", out var guid) || guid.ToString("D") != ruleIdText)
                {
                    guid = DerivedGuid(ruleIdText);
                    _diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.RuleIdNotUuid, _path, ruleIdNode.Span, ruleIdText, guid.ToString("D")));
                }

                identity = new RuleIdentity(_path, ruleIdText, guid.ToString("D"), ruleIdNode.Span);
            }
        }

        if (severityNode is not null && !IsSeverity((string)severityNode.Value))
        {
            Invalid(severityNode, "severity", (string)severityNode.Value, "use low, medium, high or critical");
        }

        if (riskScore is { } score && (score < 0 || score > 100))
        {
            Invalid(riskScoreNode!, "risk_score", score.ToString(CultureInfo.InvariantCulture), "a risk score is a whole number from 0 to 100");
        }

        var maturity = metadata is null ? null : OptionalString(metadata, "maturity");
        if (maturity is not null && maturity is not ("development" or "experimental" or "beta" or "production" or "deprecated"))
        {
            Invalid(ScalarNode(metadata!, "maturity")!, "maturity", maturity, "use development, experimental, beta, production or deprecated");
        }

        var creationDate = metadata is null ? null : OptionalDate(metadata, "creation_date");
        var updatedDate = metadata is null ? null : OptionalDate(metadata, "updated_date");
        var threat = ReadThreat(rule);
        var tags = OptionalStringArray(rule, "tags");
        var index = OptionalStringArray(rule, "index");
        var references = OptionalStringArray(rule, "references");
        var falsePositives = OptionalStringArray(rule, "false_positives");
        var author = OptionalStringArray(rule, "author");
        var from = OptionalString(rule, "from");
        var interval = OptionalString(rule, "interval");

        // Kibana rejects a schedule it cannot read, and the host caps alerts at max_signals per interval.
        long? intervalLength = CheckDuration(rule, "interval", interval, "5m", allowNow: false);
        long? lookback = CheckDuration(rule, "from", from, "now-6m", allowNow: true);
        var maxSignals = OptionalInteger(rule, "max_signals", minimum: 1);
        var version = OptionalInteger(rule, "version");
        var timestampOverride = OptionalString(rule, "timestamp_override");
        var fallbackDisabled = OptionalBoolean(rule, "timestamp_override_fallback_disabled") ?? false;
        var eventCategoryOverride = OptionalString(rule, "event_category_override");
        var requiredFields = RequiredFieldsOf(rule);
        var buildingBlockType = OptionalString(rule, "building_block_type");
        var license = OptionalString(rule, "license");
        var stateful = ReadStateful(rule, type, intervalLength ?? 5 * 60 * Second, lookback ?? 6 * 60 * Second);

        if (HasErrors() || type is null || name is null || description is null || severityNode is null || riskScore is null)
        {
            return Result(null, identity);
        }

        string languageText = language ?? string.Empty;
        if (type is "machine_learning" or "esql")
        {
            _diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ElasticsearchOnlyRuleType, _path, typeNode!.Span, (string)name.Value, type));
            return Result(null, identity);
        }

        // Kibana runs a query rule without a language as KQL.
        bool isKql = type is "query" or "threshold" or "new_terms" or "threat_match" && languageText is "kuery" or "";
        if (isKql)
        {
            languageText = "kuery";
        }
        else if (type != "eql" || languageText != "eql")
        {
            _diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedRuleType, _path, typeNode!.Span, (string)name.Value, type, languageText));
            return Result(null, identity);
        }

        string query = (string)queryNode!.Value;
        var parsedQuery = isKql ? ParseKqlQuery(queryNode, rule) : ParseQuery(queryNode);
        var ipFields = parsedQuery is null || isKql ? EquatableArray<string>.Empty : IpFieldsOf(parsedQuery, queryNode, rule);
        if (parsedQuery is null || HasErrors())
        {
            return Result(null, identity);
        }

        // Compiled suppresses the alerts of EQL queries that match single events only, so a sequence or sample gets a warning.
        if (!isKql && parsedQuery is not EventQuery && stateful?.Suppression is not null && rule.TryGet("alert_suppression", out var suppression))
        {
            _diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.SuppressionNotApplied, _path, suppression.Value.Span, parsedQuery is SampleQuery ? "sample" : "sequence"));
        }

        stateful = WithIndicatorFilter(stateful, rule);

        var spec = new RuleSpec(
            FilePath: _path,
            RuleId: identity!.RuleId,
            RuleGuid: identity.RuleGuid,
            Name: (string)name.Value,
            Description: (string)description.Value,
            Severity: (string)severityNode.Value,
            RiskScore: (int)riskScore.Value,
            Type: type,
            Language: languageText,
            Query: query,
            Tags: tags,
            Index: index,
            From: from,
            Interval: interval,
            MaxSignals: maxSignals,
            Version: version,
            TimestampOverride: timestampOverride,
            TimestampOverrideFallbackDisabled: fallbackDisabled,
            EventCategoryOverride: eventCategoryOverride,
            BuildingBlockType: buildingBlockType,
            References: references,
            FalsePositives: falsePositives,
            Author: author,
            License: license,
            Maturity: maturity,
            CreationDate: creationDate,
            UpdatedDate: updatedDate,
            Threat: threat,
            RequiredFields: requiredFields,
            ParsedQuery: parsedQuery,
            Stateful: stateful,
            IpFields: ipFields);
        return Result(spec, identity);
    }

    private EqlQuery? ParseQuery(TomlScalarNode queryNode)
    {
        string query = (string)queryNode.Value;
        FileSpan Map(TextRange range) => queryNode.StringMap?.Span(range.Start, range.Length) ?? queryNode.Span;
        try
        {
            var parsed = EqlParser.Parse(query);
            EqlBinder.Check(parsed, (descriptor, range, args) =>
                _diagnostics.Add(DiagnosticInfo.Create(descriptor, _path, Map(range), args)));
            return CaselessFields.Rewrite(parsed);
        }
        catch (EqlSyntaxException error)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EqlSyntaxError, _path, Map(error.Range), error.Message));
            return null;
        }
        catch (DurationException error)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMaxspan, _path, Map(error.Range), error.Text));
            return null;
        }
    }

    /// <summary>
    /// Returns the <c>ip</c> fields, by the ECS field table and the rule's <c>required_fields</c>, that the
    /// EQL query compares with strings, and reports each string that is not an address or CIDR block.
    /// </summary>
    private EquatableArray<string> IpFieldsOf(EqlQuery query, TomlScalarNode queryNode, TomlTableNode rule)
    {
        var types = FieldTypes(rule);
        return IpComparisons.Find(query, path => types.Resolve(path).Kind == KqlFieldKind.Ip, (descriptor, range, args) =>
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, _path, QuerySpan(queryNode, range), args)));
    }

    private EquatableArray<ThreatSpec> ReadThreat(TomlTableNode rule)
    {
        if (!rule.TryGet("threat", out var entry))
        {
            return EquatableArray<ThreatSpec>.Empty;
        }

        if (entry.Value is not TomlArrayNode array)
        {
            WrongType("threat", "an array of tables", entry.Value);
            return EquatableArray<ThreatSpec>.Empty;
        }

        var threats = new List<ThreatSpec>();
        foreach (var item in array.Items)
        {
            if (item is not TomlTableNode table)
            {
                WrongType("threat", "an array of tables", item);
                continue;
            }

            string framework = OptionalString(table, "framework") ?? "MITRE ATT&CK";
            AttackEntry? tactic = null;
            if (table.TryGet("tactic", out var tacticEntry))
            {
                tactic = tacticEntry.Value is TomlTableNode tacticTable
                    ? ReadAttackEntry(tacticTable, "rule.threat.tactic")
                    : WrongTypeNull("rule.threat.tactic", "a table", tacticEntry.Value);
            }

            var techniques = new List<TechniqueSpec>();
            foreach (var techniqueTable in TableArray(table, "technique", "rule.threat.technique"))
            {
                var technique = ReadAttackEntry(techniqueTable, "rule.threat.technique");
                var subtechniques = new List<AttackEntry>();
                foreach (var subTable in TableArray(techniqueTable, "subtechnique", "rule.threat.technique.subtechnique"))
                {
                    var sub = ReadAttackEntry(subTable, "rule.threat.technique.subtechnique");
                    if (sub is not null)
                    {
                        subtechniques.Add(sub);
                    }
                }

                if (technique is not null)
                {
                    techniques.Add(new TechniqueSpec(technique, subtechniques.ToEquatableArray()));
                }
            }

            threats.Add(new ThreatSpec(framework, tactic, techniques.ToEquatableArray()));
        }

        return threats.ToEquatableArray();
    }

    /// <summary>The rule's required fields, read once, so that their diagnostics are reported once.</summary>
    private EquatableArray<RequiredField> RequiredFieldsOf(TomlTableNode rule) => _requiredFields ??= ReadRequiredFields(rule);

    /// <summary>
    /// Reads <c>[[rule.required_fields]]</c>: each entry names a field and its Elasticsearch type. The types
    /// <c>version</c> and <c>date</c> change how the rule compares and joins the field.
    /// </summary>
    private EquatableArray<RequiredField> ReadRequiredFields(TomlTableNode rule)
    {
        var fields = new List<RequiredField>();
        foreach (var table in TableArray(rule, "required_fields", "required_fields"))
        {
            var name = RequiredString(table, "required_fields", "name", out _);
            var type = RequiredString(table, "required_fields", "type", out _);
            if (name is not null && type is not null)
            {
                fields.Add(new RequiredField((string)name.Value, (string)type.Value));
            }
        }

        return fields.ToEquatableArray();
    }

    private IEnumerable<TomlTableNode> TableArray(TomlTableNode table, string key, string displayKey)
    {
        if (!table.TryGet(key, out var entry))
        {
            yield break;
        }

        if (entry.Value is not TomlArrayNode array)
        {
            WrongType(displayKey, "an array of tables", entry.Value);
            yield break;
        }

        foreach (var item in array.Items)
        {
            if (item is TomlTableNode element)
            {
                yield return element;
            }
            else
            {
                WrongType(displayKey, "an array of tables", item);
            }
        }
    }

    private AttackEntry? ReadAttackEntry(TomlTableNode table, string displayKey)
    {
        var id = RequiredString(table, displayKey, "id", out _);
        var name = RequiredString(table, displayKey, "name", out _);
        string reference = OptionalString(table, "reference") ?? string.Empty;
        return id is null || name is null ? null : new AttackEntry((string)id.Value, (string)name.Value, reference);
    }

    private TomlTableNode? OptionalTable(TomlTableNode parent, string key)
    {
        if (!parent.TryGet(key, out var entry))
        {
            return null;
        }

        if (entry.Value is TomlTableNode table)
        {
            return table;
        }

        WrongType(key, "a table", entry.Value);
        return null;
    }

    private TomlScalarNode? RequiredString(TomlTableNode table, string tableName, string key, out string? value)
    {
        value = null;
        if (!table.TryGet(key, out var entry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, table.Span, key, tableName));
            return null;
        }

        if (entry.Value is TomlScalarNode { Kind: TomlScalarKind.String } scalar)
        {
            value = (string)scalar.Value;
            return scalar;
        }

        WrongType(key, "a string", entry.Value);
        return null;
    }

    private long? RequiredInteger(TomlTableNode table, string tableName, string key, out TomlScalarNode? node)
    {
        node = null;
        if (!table.TryGet(key, out var entry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, table.Span, key, tableName));
            return null;
        }

        if (entry.Value is TomlScalarNode { Kind: TomlScalarKind.Integer } scalar)
        {
            node = scalar;
            return (long)scalar.Value;
        }

        WrongType(key, "an integer", entry.Value);
        return null;
    }

    private TomlScalarNode? ScalarNode(TomlTableNode table, string key) =>
        table.TryGet(key, out var entry) ? entry.Value as TomlScalarNode : null;

    private string? OptionalString(TomlTableNode table, string key)
    {
        if (!table.TryGet(key, out var entry))
        {
            return null;
        }

        if (entry.Value is TomlScalarNode { Kind: TomlScalarKind.String } scalar)
        {
            return (string)scalar.Value;
        }

        WrongType(key, "a string", entry.Value);
        return null;
    }

    /// <summary>Reads a date written as "2021/02/23" (Elastic's style) or as a TOML date.</summary>
    private string? OptionalDate(TomlTableNode table, string key)
    {
        if (!table.TryGet(key, out var entry))
        {
            return null;
        }

        if (entry.Value is not TomlScalarNode { Kind: TomlScalarKind.String or TomlScalarKind.DateTime } scalar)
        {
            WrongType(key, "a date string such as \"2021/02/23\"", entry.Value);
            return null;
        }

        string text = (string)scalar.Value;
        string[] formats = { "yyyy/MM/dd", "yyyy-MM-dd" };
        if (!DateTime.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            Invalid(scalar, key, text, "write the date as yyyy/MM/dd or yyyy-MM-dd");
            return null;
        }

        return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private int? OptionalInteger(TomlTableNode table, string key, int minimum = 0)
    {
        if (!table.TryGet(key, out var entry))
        {
            return null;
        }

        if (entry.Value is TomlScalarNode { Kind: TomlScalarKind.Integer } scalar)
        {
            long value = (long)scalar.Value;
            if (value < minimum || value > int.MaxValue)
            {
                Invalid(scalar, key, value.ToString(CultureInfo.InvariantCulture), $"the value must be from {minimum} to 2147483647");
                return null;
            }

            return (int)value;
        }

        WrongType(key, "an integer", entry.Value);
        return null;
    }

    private bool? OptionalBoolean(TomlTableNode table, string key)
    {
        if (!table.TryGet(key, out var entry))
        {
            return null;
        }

        if (entry.Value is TomlScalarNode { Kind: TomlScalarKind.Boolean } scalar)
        {
            return (bool)scalar.Value;
        }

        WrongType(key, "a boolean", entry.Value);
        return null;
    }

    private EquatableArray<string> OptionalStringArray(TomlTableNode table, string key)
    {
        if (!table.TryGet(key, out var entry))
        {
            return EquatableArray<string>.Empty;
        }

        if (entry.Value is not TomlArrayNode array)
        {
            WrongType(key, "an array of strings", entry.Value);
            return EquatableArray<string>.Empty;
        }

        var values = new List<string>();
        foreach (var item in array.Items)
        {
            if (item is TomlScalarNode { Kind: TomlScalarKind.String } scalar)
            {
                values.Add((string)scalar.Value);
            }
            else
            {
                WrongType(key, "an array of strings", item);
            }
        }

        return values.ToEquatableArray();
    }

    /// <summary>Derives a stable name-based UUID (version 5 layout, SHA-1) from a rule_id that is not a UUID.</summary>
    private static Guid DerivedGuid(string text)
    {
        byte[] hash;
        using (var sha1 = System.Security.Cryptography.SHA1.Create())
        {
            hash = sha1.ComputeHash(System.Text.Encoding.UTF8.GetBytes("compiled.rule_id:" + text));
        }

        var bytes = new byte[16];
        Array.Copy(hash, bytes, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        string hex = BitConverter.ToString(bytes).Replace("-", string.Empty).ToLowerInvariant();
        return Guid.ParseExact(hex, "N");
    }

    private static bool IsSeverity(string value) => value is "low" or "medium" or "high" or "critical";

    private void WrongType(string key, string expected, TomlNode actual) =>
        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongKeyType, _path, actual.Span, key, expected, actual.TypeName));

    private AttackEntry? WrongTypeNull(string key, string expected, TomlNode actual)
    {
        WrongType(key, expected, actual);
        return null;
    }

    private void Invalid(TomlScalarNode node, string key, string value, string fix) =>
        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidKeyValue, _path, node.Span, key, value, fix));

    private bool HasErrors()
    {
        foreach (var diagnostic in _diagnostics)
        {
            var descriptor = DiagnosticDescriptors.Find(diagnostic.Id);
            if (descriptor?.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            {
                return true;
            }
        }

        return false;
    }

    private RuleFileResult Result(RuleSpec? rule, RuleIdentity? identity) =>
        new(rule, _diagnostics.ToEquatableArray(), identity);
}
