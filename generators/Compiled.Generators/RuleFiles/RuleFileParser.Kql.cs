using System.Collections.Generic;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;
using Compiled.Generators.Kql;

namespace Compiled.Generators.RuleFiles;

/// <summary>The KQL part of the rule file reader: the query, the rule's Kibana filters and its field types.</summary>
internal sealed partial class RuleFileParser
{
    private EcsFieldTable _fields = EcsFieldTable.None;

    /// <summary>
    /// Parses a KQL query with the rule's <c>filters</c> into an event query over any category. Returns
    /// null after reporting a diagnostic when the query or a filter is invalid.
    /// </summary>
    private EqlQuery? ParseKqlQuery(TomlScalarNode queryNode, TomlTableNode rule)
    {
        var condition = KqlCondition(queryNode, rule);
        if (condition is null)
        {
            return null;
        }

        var filters = FilterCondition(rule, "filters");
        if (filters is not null)
        {
            condition = new BinaryExpr(condition.Range, BinaryOperator.And, condition, filters);
        }

        var range = new TextRange(0, ((string)queryNode.Value).Length);
        return new EventQuery(range, new EventFilter(range, null, default, condition), EquatableArray<PipeSyntax>.Empty);
    }

    /// <summary>
    /// Parses and binds the KQL text of <paramref name="queryNode"/> against the ECS field table and the
    /// rule's <c>required_fields</c>. Any rule type with a KQL query can call it, and
    /// <paramref name="rewrite"/>, when given, changes the parsed query before it is bound. Errors are
    /// reported at their line and column in the file, and the result is then null.
    /// </summary>
    internal Expr? KqlCondition(TomlScalarNode queryNode, TomlTableNode rule, System.Func<KqlNode, KqlNode>? rewrite = null)
    {
        KqlNode parsed;
        try
        {
            parsed = KqlParser.Parse((string)queryNode.Value);
        }
        catch (KqlSyntaxException error)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KqlSyntaxError, _path, QuerySpan(queryNode, error.Range), error.Message));
            return null;
        }

        if (rewrite is not null)
        {
            parsed = rewrite(parsed);
        }

        int before = ErrorCount();
        var condition = KqlBinder.Bind(parsed, FieldTypes(rule), (descriptor, range, args) =>
            _diagnostics.Add(DiagnosticInfo.Create(descriptor, _path, QuerySpan(queryNode, range), args)));
        return ErrorCount() > before ? null : condition;
    }

    /// <summary>Returns where a range of the query text is in the rule file, or the whole value when the string has no map.</summary>
    private static FileSpan QuerySpan(TomlScalarNode queryNode, TextRange range) =>
        queryNode.StringMap?.Span(range.Start, range.Length) ?? queryNode.Span;

    private KqlFieldTypes FieldTypes(TomlTableNode rule)
    {
        var types = new Dictionary<string, string>(System.StringComparer.Ordinal);
        foreach (var field in RequiredFieldsOf(rule))
        {
            types[field.Name] = field.Type;
        }

        return new KqlFieldTypes(_fields, types);
    }

    /// <summary>
    /// Lowers the Kibana filters under <paramref name="key"/> (<c>filters</c>, or <c>threat_filters</c>) into
    /// one condition that every filter must meet, or null when there is none. A filter with
    /// <c>meta.disabled</c> is skipped and one with <c>meta.negate</c> is inverted.
    /// </summary>
    internal Expr? FilterCondition(TomlTableNode rule, string key)
    {
        Expr? result = null;
        var types = FieldTypes(rule);
        foreach (var filter in TableArray(rule, key, key))
        {
            var meta = OptionalTable(filter, "meta");
            if (meta is not null && OptionalBoolean(meta, "disabled") == true)
            {
                continue;
            }

            bool negate = meta is not null && OptionalBoolean(meta, "negate") == true;
            var reader = new KibanaFilterReader(this, types, filter, TimestampFields(rule), forIndicators: key == "threat_filters");
            var condition = reader.Read();
            if (condition is null)
            {
                continue;
            }

            string description = (negate ? "filter: not " : "filter: ") + reader.Description;
            Expr described = new DescribedExpr(default, negate ? new NotExpr(default, condition) : condition, description);
            result = result is null ? described : new BinaryExpr(default, BinaryOperator.And, result, described);
        }

        return result;
    }

    private int ErrorCount()
    {
        int count = 0;
        foreach (var diagnostic in _diagnostics)
        {
            if (DiagnosticDescriptors.Find(diagnostic.Id)?.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Reads the Elasticsearch query of one Kibana filter: match_phrase, match, term, exists, wildcard, bool,
    /// match_all, range and query_string.
    /// </summary>
    private sealed partial class KibanaFilterReader
    {
        private readonly RuleFileParser _parser;
        private readonly KqlFieldTypes _types;
        private readonly TomlTableNode _filter;
        private readonly List<string> _description = new();

        /// <param name="parser">The rule file's parser, which collects the diagnostics.</param>
        /// <param name="types">The field types of the rule.</param>
        /// <param name="filter">One entry of the filter array.</param>
        /// <param name="timestampFields">The rule's timestamp field and its fallback, whose value is used as <c>now</c>.</param>
        /// <param name="forIndicators">True for <c>threat_filters</c>, which select indicator documents.</param>
        public KibanaFilterReader(RuleFileParser parser, KqlFieldTypes types, TomlTableNode filter, (string Field, string? Fallback) timestampFields, bool forIndicators)
        {
            _parser = parser;
            _types = types;
            _filter = filter;
            _timestampFields = timestampFields;
            _forIndicators = forIndicators;
        }

        public string Description => string.Join(" ", _description);

        public Expr? Read()
        {
            // Kibana stores the query under "query"; older filters put it beside "meta".
            var query = _parser.OptionalTable(_filter, "query") ?? _filter;
            var clauses = new List<Expr>();
            foreach (var entry in query.Entries)
            {
                if (entry.Key is "meta" or "$state" || query != _filter && entry.Key == "query")
                {
                    continue;
                }

                var clause = Clause(entry.Key, entry.Value);
                if (clause is null)
                {
                    return null;
                }

                clauses.Add(clause);
            }

            if (clauses.Count == 0)
            {
                Unsupported(_filter, "the filter has no query");
                return null;
            }

            return All(clauses);
        }

        private static Expr All(List<Expr> clauses)
        {
            Expr result = clauses[0];
            for (int i = 1; i < clauses.Count; i++)
            {
                result = new BinaryExpr(default, BinaryOperator.And, result, clauses[i]);
            }

            return result;
        }

        private Expr? Clause(string kind, TomlEntry entry)
        {
            if (entry.Value is not TomlTableNode body)
            {
                Unsupported(entry.Value, $"'{kind}' must be a table");
                return null;
            }

            switch (kind)
            {
                case "match_phrase":
                    return FieldQuery(body, kind, "query", (field, value) => FieldValue(field, value, quoted: true));
                case "match":
                    return FieldQuery(body, kind, "query", (field, value) => FieldValue(field, value, quoted: false));
                case "term":
                    return Term(body);
                case "exists":
                    var name = _parser.OptionalString(body, "field");
                    if (name is null)
                    {
                        Unsupported(body, "'exists' needs a 'field' string");
                        return null;
                    }

                    _description.Add(name + " exists");
                    return FieldValue(name, "*", quoted: false, span: body.Span);
                case "wildcard":
                    return Wildcard(body);
                case "bool":
                    return Bool(body);
                case "match_all":
                    _description.Add("match_all");
                    return new LiteralExpr(default, LiteralKind.Boolean, "true");
                case "range":
                    return Range(body);
                case "query_string":
                    return QueryString(body);
                default:
                    Unsupported(entry.Value, $"the query type '{kind}' is not supported; use match_phrase, match, term, exists, wildcard, bool, range or query_string");
                    return null;
            }
        }

        /// <summary>Reads <c>{ field = value }</c> or <c>{ field = { key = value } }</c>.</summary>
        private Expr? FieldQuery(TomlTableNode body, string kind, string valueKey, System.Func<string, TomlScalarNode, Expr?> lower)
        {
            var clauses = new List<Expr>();
            foreach (var entry in body.Entries)
            {
                var valueNode = entry.Value.Value is TomlTableNode options ? Scalar(options, valueKey) : entry.Value.Value as TomlScalarNode;
                if (valueNode is null)
                {
                    Unsupported(entry.Value.Value, $"'{kind}' on '{entry.Key}' needs a value");
                    return null;
                }

                _description.Add($"{entry.Key} {kind} {ScalarText(valueNode)}");
                var clause = lower(entry.Key, valueNode);
                if (clause is null)
                {
                    return null;
                }

                clauses.Add(clause);
            }

            if (clauses.Count == 0)
            {
                Unsupported(body, $"'{kind}' names no field");
                return null;
            }

            return All(clauses);
        }

        private Expr? FieldValue(string field, TomlScalarNode value, bool quoted) =>
            FieldValue(field, ScalarText(value), quoted, value.Span);

        private Expr? FieldValue(string field, string text, bool quoted, FileSpan span)
        {
            var parts = quoted || text != "*" ? new[] { text } : new[] { string.Empty, string.Empty };
            var kqlField = new KqlField(default, field, new[] { field }.ToEquatableArray());
            var kqlValue = new KqlValue(default, text, quoted, parts.ToEquatableArray());
            return Bind(new KqlFieldValue(default, kqlField, kqlValue), span);
        }

        private Expr? Bind(KqlNode node, FileSpan span)
        {
            int before = _parser.ErrorCount();
            var condition = KqlBinder.Bind(node, _types, (descriptor, _, args) =>
                _parser._diagnostics.Add(DiagnosticInfo.Create(descriptor, _parser._path, span, args)));
            return _parser.ErrorCount() > before ? null : condition;
        }

        /// <summary>
        /// Reads a term query. With <c>case_insensitive = true</c> on a keyword field, the value is matched as a
        /// case-insensitive wildcard pattern with its own <c>*</c>, <c>?</c> and <c>\</c> escaped.
        /// </summary>
        private Expr? Term(TomlTableNode body)
        {
            var clauses = new List<Expr>();
            foreach (var entry in body.Entries)
            {
                var options = entry.Value.Value as TomlTableNode;
                var valueNode = options is not null ? Scalar(options, "value") : entry.Value.Value as TomlScalarNode;
                if (valueNode is null)
                {
                    Unsupported(entry.Value.Value, $"'term' on '{entry.Key}' needs a value");
                    return null;
                }

                string text = ScalarText(valueNode);
                bool ignoreCase = options is not null && _parser.OptionalBoolean(options, "case_insensitive") == true;
                _description.Add($"{entry.Key} term {text}{(ignoreCase ? " (case-insensitive)" : string.Empty)}");
                if (!ignoreCase)
                {
                    if (FieldValue(entry.Key, valueNode, quoted: true) is not { } clause)
                    {
                        return null;
                    }

                    clauses.Add(clause);
                    continue;
                }

                var field = _types.Resolve(entry.Key);
                if (field.Kind is not (KqlFieldKind.Keyword or KqlFieldKind.Caseless))
                {
                    Unsupported(Scalar(options!, "case_insensitive") ?? (TomlNode)options!, $"'case_insensitive' on a 'term' query needs a keyword field, and '{entry.Key}' has type {field.Type}");
                    return null;
                }

                string pattern = KqlBinder.WildcardSyntax(new[] { text }.ToEquatableArray());
                clauses.Add(new KqlMatchExpr(default, field.SourceField, KqlMatchKind.KeywordWildcardIgnoreCase, new[] { pattern }.ToEquatableArray(), default));
            }

            if (clauses.Count == 0)
            {
                Unsupported(body, "'term' names no field");
                return null;
            }

            return All(clauses);
        }

        private Expr? Wildcard(TomlTableNode body)
        {
            var clauses = new List<Expr>();
            foreach (var entry in body.Entries)
            {
                TomlScalarNode? valueNode;
                bool ignoreCase = false;
                if (entry.Value.Value is TomlTableNode options)
                {
                    valueNode = Scalar(options, "value") ?? Scalar(options, "wildcard");
                    ignoreCase = _parser.OptionalBoolean(options, "case_insensitive") == true;
                }
                else
                {
                    valueNode = entry.Value.Value as TomlScalarNode;
                }

                if (valueNode is null)
                {
                    Unsupported(entry.Value.Value, $"'wildcard' on '{entry.Key}' needs a value");
                    return null;
                }

                string pattern = ScalarText(valueNode);
                _description.Add($"{entry.Key} wildcard {pattern}{(ignoreCase ? " (case-insensitive)" : string.Empty)}");
                var field = _types.Resolve(entry.Key);
                var kind = ignoreCase ? KqlMatchKind.KeywordWildcardIgnoreCase : KqlMatchKind.KeywordWildcard;
                clauses.Add(new KqlMatchExpr(default, field.SourceField, kind, new[] { pattern }.ToEquatableArray(), default));
            }

            if (clauses.Count == 0)
            {
                Unsupported(body, "'wildcard' names no field");
                return null;
            }

            return All(clauses);
        }

        /// <summary>
        /// Reads a bool query. <c>must</c> and <c>filter</c> must all hold and <c>must_not</c> must not. <c>should</c>
        /// needs one match when nothing else is given, or <c>minimum_should_match</c> of them.
        /// </summary>
        private Expr? Bool(TomlTableNode body)
        {
            var required = new List<Expr>();
            var should = new List<Expr>();
            int? minimumShouldMatch = null;
            foreach (var entry in body.Entries)
            {
                if (entry.Key == "minimum_should_match")
                {
                    if (entry.Value.Value is TomlScalarNode { Kind: TomlScalarKind.Integer } number)
                    {
                        minimumShouldMatch = (int)(long)number.Value;
                        continue;
                    }

                    Unsupported(entry.Value.Value, "only a whole-number minimum_should_match is supported");
                    return null;
                }

                if (entry.Key is not ("must" or "filter" or "should" or "must_not"))
                {
                    Unsupported(entry.Value.Value, $"the bool clause '{entry.Key}' is not supported");
                    return null;
                }

                var items = entry.Value.Value is TomlArrayNode array ? array.Items : new List<TomlNode> { entry.Value.Value };
                foreach (var item in items)
                {
                    if (item is not TomlTableNode clauseTable)
                    {
                        Unsupported(item, $"each '{entry.Key}' clause must be a table");
                        return null;
                    }

                    _description.Add(entry.Key + " (");
                    var clauses = new List<Expr>();
                    foreach (var clauseEntry in clauseTable.Entries)
                    {
                        var clause = Clause(clauseEntry.Key, clauseEntry.Value);
                        if (clause is null)
                        {
                            return null;
                        }

                        clauses.Add(clause);
                    }

                    _description.Add(")");
                    if (clauses.Count == 0)
                    {
                        continue;
                    }

                    var all = All(clauses);
                    switch (entry.Key)
                    {
                        case "should":
                            should.Add(all);
                            break;
                        case "must_not":
                            required.Add(new NotExpr(default, all));
                            break;
                        default:
                            required.Add(all);
                            break;
                    }
                }
            }

            int minimum = minimumShouldMatch ?? (required.Count == 0 && should.Count > 0 ? 1 : 0);
            if (minimum > 1)
            {
                Unsupported(body, "a minimum_should_match above 1 is not supported");
                return null;
            }

            if (minimum == 1)
            {
                Expr any = should[0];
                for (int i = 1; i < should.Count; i++)
                {
                    any = new BinaryExpr(default, BinaryOperator.Or, any, should[i]);
                }

                required.Add(any);
            }

            return required.Count == 0 ? new LiteralExpr(default, LiteralKind.Boolean, "true") : All(required);
        }

        private static TomlScalarNode? Scalar(TomlTableNode table, string key) =>
            table.TryGet(key, out var entry) ? entry.Value as TomlScalarNode : null;

        private static string ScalarText(TomlScalarNode node) => node.Value switch
        {
            bool flag => flag ? "true" : "false",
            System.IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            var other => other.ToString() ?? string.Empty,
        };

        private void Unsupported(TomlNode node, string reason) =>
            _parser._diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedFilter, _parser._path, node.Span, reason));
    }
}
