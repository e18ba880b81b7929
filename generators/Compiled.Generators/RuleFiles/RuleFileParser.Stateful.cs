using System.Collections.Generic;
using System.Globalization;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;
using Compiled.Generators.Kql;

namespace Compiled.Generators.RuleFiles;

/// <summary>Reads the keys of threshold, new_terms and threat_match rules and of alert suppression.</summary>
internal sealed partial class RuleFileParser
{
    private const long Second = 1_000_000_000L;

    /// <summary>
    /// Reads the type's own keys and pairs them with the schedule the caller has read. Returns null for a rule
    /// that keeps no state and does not suppress alerts. Problems are reported at the key or value they concern.
    /// </summary>
    private StatefulSpec? ReadStateful(TomlTableNode rule, string? type, long interval, long lookback)
    {
        bool stateful = type is "threshold" or "new_terms" or "threat_match";
        bool suppressed = rule.TryGet("alert_suppression", out _);
        if (!stateful && !suppressed)
        {
            return null;
        }

        ThresholdSpec? threshold = type == "threshold" ? ReadThreshold(rule) : null;
        NewTermsSpec? newTerms = type == "new_terms" ? ReadNewTerms(rule) : null;
        ThreatMatchSpec? threatMatch = type == "threat_match" ? ReadThreatMatch(rule) : null;
        SuppressionSpec? suppression = suppressed ? ReadSuppression(rule, type) : null;
        return new StatefulSpec(interval, lookback, threshold, newTerms, threatMatch, suppression);
    }

    /// <summary>
    /// Reads <paramref name="text"/>, the value of <paramref name="key"/>, as <c>5m</c> (or <c>now-5m</c> when
    /// <paramref name="allowNow"/>) in nanoseconds. Returns null when the key is absent or the value invalid, and reports an invalid value.
    /// </summary>
    private long? CheckDuration(TomlTableNode table, string key, string? text, string example, bool allowNow)
    {
        if (text is null)
        {
            return null;
        }

        var node = ScalarNode(table, key)!;
        if (ParseDuration(text, allowNow) is { } value && value > 0)
        {
            return value;
        }

        Invalid(node, key, text, $"write a positive duration in s, m, h, d or w, such as \"{example}\"");
        return null;
    }

    /// <summary>Parses <c>9m</c> or <c>now-9m</c> (units s, m, h, d, w) into nanoseconds.</summary>
    internal static long? ParseDuration(string text, bool allowNow)
    {
        string body = text.Trim();
        if (allowNow)
        {
            if (!body.StartsWith("now-", System.StringComparison.Ordinal))
            {
                return null;
            }

            body = body.Substring(4);
        }

        if (body.Length < 2)
        {
            return null;
        }

        long unit = body[body.Length - 1] switch
        {
            's' => Second,
            'm' => 60 * Second,
            'h' => 3600 * Second,
            'd' => 86400 * Second,
            'w' => 7 * 86400 * Second,
            _ => 0,
        };
        string digits = body.Substring(0, body.Length - 1);
        if (unit == 0 || digits.Length == 0 || digits.Length > 9 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long count))
        {
            return null;
        }

        return count * unit;
    }

    private ThresholdSpec? ReadThreshold(TomlTableNode rule)
    {
        if (!rule.TryGet("threshold", out var entry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, rule.Span, "threshold", "rule"));
            return null;
        }

        if (entry.Value is not TomlTableNode table)
        {
            WrongType("threshold", "a table", entry.Value);
            return null;
        }

        var fields = StringOrStrings(table, "threshold.field");
        var value = RequiredInteger(table, "rule.threshold", "value", out var valueNode);
        if (value is { } count && count < 1)
        {
            Invalid(valueNode!, "threshold.value", count.ToString(CultureInfo.InvariantCulture), "the threshold is a count of at least 1");
        }

        string? cardinalityField = null;
        long cardinalityValue = 0;
        if (table.TryGet("cardinality", out var cardinalityEntry))
        {
            var items = cardinalityEntry.Value is TomlArrayNode array ? array.Items : new List<TomlNode> { cardinalityEntry.Value };
            if (items.Count > 1)
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidKeyValue, _path, items[1].Span, "threshold.cardinality", "a second entry", "a threshold has at most one cardinality condition"));
            }

            if (items.Count > 0)
            {
                if (items[0] is TomlTableNode cardinality)
                {
                    RequiredString(cardinality, "rule.threshold.cardinality", "field", out cardinalityField);
                    var distinct = RequiredInteger(cardinality, "rule.threshold.cardinality", "value", out var distinctNode);
                    if (distinct is { } d && d < 1)
                    {
                        Invalid(distinctNode!, "threshold.cardinality.value", d.ToString(CultureInfo.InvariantCulture), "the cardinality is a count of at least 1");
                    }

                    cardinalityValue = distinct ?? 0;
                }
                else
                {
                    WrongType("threshold.cardinality", "an array of tables", items[0]);
                }
            }
        }

        return value is null || fields is null ? null : new ThresholdSpec(fields.Value, value.Value, cardinalityField, cardinalityValue);
    }

    /// <summary>Reads a key whose value is a string or an array of strings. A missing key gives an empty array.</summary>
    private EquatableArray<string>? StringOrStrings(TomlTableNode table, string displayKey)
    {
        string key = displayKey.Substring(displayKey.LastIndexOf('.') + 1);
        if (!table.TryGet(key, out var entry))
        {
            return EquatableArray<string>.Empty;
        }

        if (entry.Value is TomlScalarNode { Kind: TomlScalarKind.String } single)
        {
            string text = (string)single.Value;
            return text.Length == 0 ? EquatableArray<string>.Empty : new[] { text }.ToEquatableArray();
        }

        if (entry.Value is not TomlArrayNode array)
        {
            WrongType(displayKey, "a string or an array of strings", entry.Value);
            return null;
        }

        var values = new List<string>();
        foreach (var item in array.Items)
        {
            if (item is TomlScalarNode { Kind: TomlScalarKind.String } scalar && ((string)scalar.Value).Length > 0)
            {
                values.Add((string)scalar.Value);
            }
            else
            {
                WrongType(displayKey, "an array of field names", item);
                return null;
            }
        }

        return values.ToEquatableArray();
    }

    private NewTermsSpec? ReadNewTerms(TomlTableNode rule)
    {
        if (!rule.TryGet("new_terms", out var entry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, rule.Span, "new_terms", "rule"));
            return null;
        }

        if (entry.Value is not TomlTableNode table)
        {
            WrongType("new_terms", "a table", entry.Value);
            return null;
        }

        var fieldName = OptionalString(table, "field");
        if (fieldName is not null && fieldName != "new_terms_fields")
        {
            Invalid(ScalarNode(table, "field")!, "new_terms.field", fieldName, "the key is \"new_terms_fields\"");
        }

        EquatableArray<string>? fields = null;
        if (!table.TryGet("value", out var valueEntry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, table.Span, "value", "rule.new_terms"));
        }
        else
        {
            fields = StringOrStrings(table, "new_terms.value");
            if (fields is { } list && (list.Count == 0 || list.Count > 3))
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidKeyValue, _path, valueEntry.Value.Span, "new_terms.value",
                    list.Count + " fields", "a new_terms rule has one to three fields"));
                fields = null;
            }
        }

        string? historyText = null;
        long? history = null;
        if (!table.TryGet("history_window_start", out var historyEntry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, table.Span, "history_window_start", "rule.new_terms"));
        }
        else
        {
            var items = historyEntry.Value is TomlArrayNode array ? array.Items : new List<TomlNode> { historyEntry.Value };
            foreach (var item in items)
            {
                if (item is not TomlTableNode historyTable)
                {
                    WrongType("new_terms.history_window_start", "an array of tables", item);
                    continue;
                }

                var node = RequiredString(historyTable, "rule.new_terms.history_window_start", "value", out historyText);
                if (node is null)
                {
                    continue;
                }

                history = ParseDuration(historyText!, allowNow: true);
                if (history is not > 0)
                {
                    Invalid(node, "new_terms.history_window_start", historyText!, "write a time before now, such as \"now-14d\"");
                    history = null;
                }
            }
        }

        return fields is null || history is null ? null : new NewTermsSpec(fields.Value, historyText!, history.Value);
    }

    private ThreatMatchSpec? ReadThreatMatch(TomlTableNode rule)
    {
        string indicatorPath = OptionalString(rule, "threat_indicator_path") ?? "threat.indicator";
        string? threatQuery = OptionalString(rule, "threat_query");
        string? threatLanguage = OptionalString(rule, "threat_language");
        var threatIndex = OptionalStringArray(rule, "threat_index");
        string? threatFilters = rule.TryGet("threat_filters", out var filtersEntry) ? TomlJson.Convert(filtersEntry.Value) : null;
        if (!rule.TryGet("threat_mapping", out var entry))
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, rule.Span, "threat_mapping", "rule"));
            return null;
        }

        if (entry.Value is not TomlArrayNode array || array.Items.Count == 0)
        {
            WrongType("threat_mapping", "a non-empty array of tables", entry.Value);
            return null;
        }

        var mappings = new List<ThreatMappingSpec>();
        KqlFieldTypes? types = null;
        bool valid = true;
        foreach (var item in array.Items)
        {
            if (item is not TomlTableNode mapping)
            {
                WrongType("threat_mapping", "an array of tables", item);
                valid = false;
                continue;
            }

            if (!mapping.TryGet("entries", out var entriesEntry) || entriesEntry.Value is not TomlArrayNode entries || entries.Items.Count == 0)
            {
                var span = mapping.TryGet("entries", out var present) ? present.Value.Span : mapping.Span;
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidKeyValue, _path, span, "threat_mapping.entries", "no entries", "each threat_mapping needs at least one entry with field, type and value"));
                valid = false;
                continue;
            }

            var specs = new List<ThreatEntrySpec>();
            foreach (var entryItem in entries.Items)
            {
                if (entryItem is not TomlTableNode entryTable)
                {
                    WrongType("threat_mapping.entries", "an array of tables", entryItem);
                    valid = false;
                    continue;
                }

                var field = RequiredString(entryTable, "rule.threat_mapping.entries", "field", out var fieldText);
                var value = RequiredString(entryTable, "rule.threat_mapping.entries", "value", out var valueText);
                var kind = OptionalString(entryTable, "type");
                if (kind is not null && kind != "mapping")
                {
                    Invalid(ScalarNode(entryTable, "type")!, "threat_mapping.entries.type", kind, "the only entry type is \"mapping\"");
                }

                bool negate = OptionalBoolean(entryTable, "negate") ?? false;
                if (field is null || value is null || fieldText!.Length == 0 || valueText!.Length == 0)
                {
                    if (field is not null && fieldText!.Length == 0)
                    {
                        Invalid(field, "threat_mapping.entries.field", fieldText, "name the event field to match");
                    }

                    if (value is not null && valueText!.Length == 0)
                    {
                        Invalid(value, "threat_mapping.entries.value", valueText, "name the indicator field to match");
                    }

                    valid = false;
                    continue;
                }

                // Elasticsearch runs the terms query on the event field, so the event field's type decides how values compare.
                specs.Add(new ThreatEntrySpec(fieldText, valueText, negate, (types ??= FieldTypes(rule)).Resolve(fieldText).Kind == KqlFieldKind.Ip));
            }

            if (specs.Count > 0 && specs.TrueForAll(spec => spec.Negate))
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidKeyValue, _path, entriesEntry.Value.Span, "threat_mapping.entries", "only negated entries", "a mapping needs an entry that must match"));
                valid = false;
            }

            mappings.Add(new ThreatMappingSpec(specs.ToEquatableArray()));
        }

        return valid ? new ThreatMatchSpec(mappings.ToEquatableArray(), indicatorPath, threatQuery, threatLanguage, threatIndex, threatFilters) : null;
    }

    private SuppressionSpec? ReadSuppression(TomlTableNode rule, string? type)
    {
        rule.TryGet("alert_suppression", out var entry);
        if (entry.Value is not TomlTableNode table)
        {
            WrongType("alert_suppression", "a table", entry.Value);
            return null;
        }

        var groupBy = EquatableArray<string>.Empty;
        if (type != "threshold")
        {
            var fields = StringOrStrings(table, "alert_suppression.group_by");
            if (fields is { } list)
            {
                if (list.Count == 0 || list.Count > 3)
                {
                    var span = table.TryGet("group_by", out var present) ? present.Value.Span : table.Span;
                    _diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.InvalidKeyValue, _path, span, "alert_suppression.group_by", list.Count + " fields", "suppression groups by one to three fields"));
                }

                groupBy = list;
            }
        }

        long? duration = null;
        if (table.TryGet("duration", out var durationEntry))
        {
            if (durationEntry.Value is TomlTableNode durationTable)
            {
                var unit = RequiredString(durationTable, "rule.alert_suppression.duration", "unit", out var unitText);
                var value = RequiredInteger(durationTable, "rule.alert_suppression.duration", "value", out var valueNode);
                long scale = unitText switch { "s" => Second, "m" => 60 * Second, "h" => 3600 * Second, _ => 0 };
                if (unit is not null && scale == 0)
                {
                    Invalid(unit, "alert_suppression.duration.unit", unitText!, "use s, m or h");
                }

                if (value is { } count && (count < 1 || count > 1_000_000))
                {
                    Invalid(valueNode!, "alert_suppression.duration.value", count.ToString(CultureInfo.InvariantCulture), "the duration is a positive whole number");
                }
                else if (value is { } positive && scale > 0)
                {
                    duration = positive * scale;
                }
            }
            else
            {
                WrongType("alert_suppression.duration", "a table", durationEntry.Value);
            }
        }
        else if (type == "threshold")
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingRequiredKey, _path, table.Span, "duration", "rule.alert_suppression"));
        }

        var strategy = OptionalString(table, "missing_fields_strategy");
        if (strategy is not null && strategy is not ("suppress" or "doNotSuppress"))
        {
            Invalid(ScalarNode(table, "missing_fields_strategy")!, "alert_suppression.missing_fields_strategy", strategy, "use suppress or doNotSuppress");
        }

        return new SuppressionSpec(groupBy, duration, strategy == "doNotSuppress");
    }

    /// <summary>
    /// Compiles a threat_match rule's <c>threat_query</c> and <c>threat_filters</c> into the condition its
    /// indicators must meet, as Kibana applies them to the indicator index. A part that does not compile
    /// is reported as the warning CMP040 and not applied, so the rule still runs on every indicator.
    /// </summary>
    private StatefulSpec? WithIndicatorFilter(StatefulSpec? stateful, TomlTableNode rule)
    {
        if (stateful?.ThreatMatch is not { } threat)
        {
            return stateful;
        }

        Expr? condition = null;
        var queryNode = ScalarNode(rule, "threat_query");
        if (queryNode is { Kind: TomlScalarKind.String } && ((string)queryNode.Value).Trim().Length > 0)
        {
            if (threat.ThreatLanguage is not (null or "kuery"))
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.ThreatQueryNotApplied, _path, ScalarNode(rule, "threat_language")!.Span, "The threat_query",
                    "its language is " + threat.ThreatLanguage + ", so every indicator loaded is used"));
            }
            else
            {
                condition = Tentatively("threat_query", () => ThreatQueryCondition(queryNode, rule));
            }
        }

        if (rule.TryGet("threat_filters", out _))
        {
            var filters = Tentatively("threat_filters", () => FilterCondition(rule, "threat_filters"));
            if (filters is not null)
            {
                condition = condition is null ? filters : new BinaryExpr(default, BinaryOperator.And, condition, filters);
            }
        }

        if (condition is null)
        {
            return stateful;
        }

        var range = new TextRange(0, 0);
        var filter = new EventFilter(range, null, default, condition);
        return stateful with { ThreatMatch = threat with { IndicatorFilter = filter } };
    }

    /// <summary>Runs <paramref name="compile"/>; its errors become one CMP040 warning and the result null.</summary>
    private Expr? Tentatively(string key, System.Func<Expr?> compile)
    {
        int before = _diagnostics.Count;
        var result = compile();
        var errors = new List<DiagnosticInfo>();
        for (int i = _diagnostics.Count - 1; i >= before; i--)
        {
            if (DiagnosticDescriptors.Find(_diagnostics[i].Id)?.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            {
                errors.Insert(0, _diagnostics[i]);
                _diagnostics.RemoveAt(i);
            }
        }

        if (errors.Count == 0)
        {
            return result;
        }

        var first = errors[0];
        var descriptor = DiagnosticDescriptors.Find(first.Id) ?? DiagnosticDescriptors.InternalError;
        var arguments = new object[first.Arguments.Count];
        for (int i = 0; i < arguments.Length; i++)
        {
            arguments[i] = first.Arguments[i];
        }

        string message = first.Id + " " + string.Format(CultureInfo.InvariantCulture, descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture), arguments);
        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ThreatQueryNotApplied, _path, first.Span, "The " + key, message + ", so every indicator loaded is used"));
        return null;
    }

    /// <summary>
    /// Compiles a threat query as <see cref="KqlCondition"/> does, except that a top-level range on a date
    /// written with date math (<c>@timestamp &gt;= "now-30d/d"</c>) is left out with the warning CMP040: a scan
    /// has no query time, and the indicators a host loads are taken as the current ones.
    /// </summary>
    private Expr? ThreatQueryCondition(TomlScalarNode queryNode, TomlTableNode rule)
    {
        string query = (string)queryNode.Value;
        var condition = KqlCondition(queryNode, rule, parsed => WithoutDateMath(parsed, range =>
            _diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ThreatQueryNotApplied, _path, QuerySpan(queryNode, range), "The clause '" + query.Substring(range.Start, range.Length) + "' of the threat_query",
                "it uses date math, and a scan has no query time, so every indicator loaded counts as current"))));
        return condition is null ? null : Described(condition, query);
    }

    /// <summary>
    /// Labels each top-level clause of the threat query with its text, for the comments of the generated
    /// method, whose other comments quote the rule's query. Clauses that are always true are left out.
    /// </summary>
    private static Expr? Described(Expr condition, string query)
    {
        if (condition is BinaryExpr { Operator: BinaryOperator.And } and)
        {
            var left = Described(and.Left, query);
            var right = Described(and.Right, query);
            if (left is null || right is null)
            {
                return left ?? right;
            }

            return new BinaryExpr(and.Range, BinaryOperator.And, left, right);
        }

        if (condition is LiteralExpr { Kind: LiteralKind.Boolean, Value: "true" })
        {
            return null;
        }

        int start = System.Math.Max(0, System.Math.Min(condition.Range.Start, query.Length));
        int length = System.Math.Max(0, System.Math.Min(condition.Range.Length, query.Length - start));
        return new DescribedExpr(condition.Range, condition, "threat_query: " + query.Substring(start, length));
    }

    private static KqlNode WithoutDateMath(KqlNode node, System.Action<TextRange> dropped)
    {
        switch (node)
        {
            case KqlAnd and:
                return new KqlAnd(and.Range, WithoutDateMath(and.Left, dropped), WithoutDateMath(and.Right, dropped));
            case KqlRange range when range.Value.Text.TrimStart().StartsWith("now", System.StringComparison.Ordinal):
                dropped(range.Range);
                return new KqlMatchAll(range.Range);
            default:
                return node;
        }
    }
}
