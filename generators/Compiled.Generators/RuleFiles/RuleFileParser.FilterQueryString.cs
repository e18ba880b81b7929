using System.Collections.Generic;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Filters;
using Compiled.Generators.Helpers;
using Compiled.Generators.Kql;

namespace Compiled.Generators.RuleFiles;

/// <summary>The <c>query_string</c> query of Kibana filters.</summary>
internal sealed partial class RuleFileParser
{
    private sealed partial class KibanaFilterReader
    {
        /// <summary>
        /// Reads <c>query_string</c>: <c>query</c> in Lucene syntax, with <c>default_field</c> or <c>fields</c> for
        /// terms without a field, <c>default_operator</c>, <c>analyze_wildcard</c> and <c>time_zone</c>. Each term is
        /// matched by its field's mapping type as the KQL query's terms are. Errors point at their place in the query.
        /// </summary>
        private Expr? QueryString(TomlTableNode body)
        {
            var queryNode = Scalar(body, "query");
            if (queryNode is not { Kind: TomlScalarKind.String })
            {
                Unsupported(queryNode ?? (TomlNode)body, "'query_string' needs a 'query' string");
                return null;
            }

            var settings = new QueryStringSettings();
            foreach (var option in body.Entries)
            {
                if (!ReadQueryStringOption(option.Key, option.Value.Value, settings))
                {
                    return null;
                }
            }

            string query = (string)queryNode.Value;
            _description.Add("query_string " + query);
            FileSpan Map(TextRange range) => queryNode.StringMap?.Span(range.Start, range.Length) ?? queryNode.Span;
            LuceneNode parsed;
            try
            {
                parsed = LuceneQueryParser.Parse(query, settings.DefaultAnd);
            }
            catch (LuceneSyntaxException error)
            {
                Unsupported(Map(error.Range), "query_string: " + error.Message);
                return null;
            }

            // The query text describes the filter, so the ranges inside it add no description of their own.
            int described = _description.Count;
            int before = _parser.ErrorCount();
            var condition = new QueryStringLowering(this, settings, Map).Lower(parsed);
            _description.RemoveRange(described, _description.Count - described);
            return _parser.ErrorCount() > before ? null : condition;
        }

        /// <summary>Reads one option of <c>query_string</c> into <paramref name="settings"/>. Returns false after reporting an unsupported one.</summary>
        private bool ReadQueryStringOption(string key, TomlNode node, QueryStringSettings settings)
        {
            switch (key)
            {
                case "query":
                    return true;
                case "default_field":
                    if (node is not TomlScalarNode { Kind: TomlScalarKind.String } field)
                    {
                        Unsupported(node, "'default_field' must be a field name");
                        return false;
                    }

                    settings.DefaultFields = new List<string> { (string)field.Value };
                    return true;
                case "fields":
                    var names = new List<string>();
                    foreach (var item in node is TomlArrayNode array ? array.Items : new List<TomlNode> { node })
                    {
                        if (item is not TomlScalarNode { Kind: TomlScalarKind.String } name || ((string)name.Value).IndexOf('^') >= 0)
                        {
                            Unsupported(item, "'fields' must be field names without boosts");
                            return false;
                        }

                        names.Add((string)name.Value);
                    }

                    settings.DefaultFields = names;
                    return true;
                case "default_operator":
                    string? text = node is TomlScalarNode { Kind: TomlScalarKind.String } operatorNode ? ((string)operatorNode.Value).ToUpperInvariant() : null;
                    if (text is not ("AND" or "OR"))
                    {
                        Unsupported(node, "'default_operator' must be AND or OR");
                        return false;
                    }

                    settings.DefaultAnd = text == "AND";
                    return true;
                case "analyze_wildcard":
                    if (node is not TomlScalarNode { Kind: TomlScalarKind.Boolean } flag)
                    {
                        Unsupported(node, "'analyze_wildcard' must be true or false");
                        return false;
                    }

                    settings.AnalyzeWildcard = (bool)flag.Value;
                    return true;
                case "time_zone":
                    if (node is not TomlScalarNode { Kind: TomlScalarKind.String } zone)
                    {
                        Unsupported(node, "the time_zone must be a string such as \"+01:00\"");
                        return false;
                    }

                    // A region name is reported only where a date in the query needs it.
                    settings.TimeZone = zone;
                    settings.OffsetMinutes = DateMathParser.TryParseTimeZone((string)zone.Value, out int offset) ? offset : null;
                    return true;
                case "boost":
                case "_name":
                case "lenient":
                case "auto_generate_synonyms_phrase_query":
                case "max_determinized_states":
                case "allow_leading_wildcard":
                case "escape":
                    // These change scoring, naming or limits, not which events match the supported syntax.
                    return true;
                default:
                    Unsupported(node, $"the query_string option '{key}' is not supported; use query, default_field, fields, default_operator, analyze_wildcard or time_zone");
                    return false;
            }
        }

        /// <summary>The options of one <c>query_string</c>.</summary>
        private sealed class QueryStringSettings
        {
            /// <summary>The fields a term without a field searches, or null for Elasticsearch's default of every field.</summary>
            public List<string>? DefaultFields { get; set; }

            public bool DefaultAnd { get; set; }

            public bool AnalyzeWildcard { get; set; }

            /// <summary>The offset of <see cref="TimeZone"/> in minutes east of UTC, or null when it is not a fixed offset.</summary>
            public int? OffsetMinutes { get; set; } = 0;

            public TomlScalarNode? TimeZone { get; set; }
        }

        /// <summary>Lowers a parsed <c>query_string</c> into the condition model, reporting problems at their place in the query.</summary>
        private sealed class QueryStringLowering
        {
            private readonly KibanaFilterReader _reader;
            private readonly QueryStringSettings _settings;
            private readonly System.Func<TextRange, FileSpan> _map;

            public QueryStringLowering(KibanaFilterReader reader, QueryStringSettings settings, System.Func<TextRange, FileSpan> map)
            {
                _reader = reader;
                _settings = settings;
                _map = map;
            }

            /// <summary>
            /// Lowers a node. In a boolean query every <c>Must</c> clause must match and no <c>MustNot</c> clause may.
            /// <c>Should</c> clauses need one match when there is no <c>Must</c> clause and are optional otherwise.
            /// A query with only prohibited clauses matches every other event, as Elasticsearch adds a match_all to it.
            /// </summary>
            public Expr Lower(LuceneNode node)
            {
                switch (node)
                {
                    case LuceneBoolean boolean:
                        return Boolean(boolean);
                    case LuceneMatchAll:
                        return True;
                    case LuceneExists exists:
                        return _reader.FieldValue(exists.Field, "*", quoted: false, _map(exists.Range)) ?? False;
                    case LuceneRange range:
                        return Fields(range.Field, range.Range, field => Range(range, field));
                    case LuceneTerm term:
                        return Fields(term.Field, term.Range, field => Term(term, field));
                    default:
                        throw new System.NotSupportedException("Unknown query_string node " + node.GetType().Name);
                }
            }

            private static LiteralExpr True => new(default, LiteralKind.Boolean, "true");

            private static LiteralExpr False => new(default, LiteralKind.Boolean, "false");

            private Expr Boolean(LuceneBoolean boolean)
            {
                var required = new List<Expr>();
                var optional = new List<Expr>();
                foreach (var (occur, query) in boolean.Clauses)
                {
                    var condition = Lower(query);
                    switch (occur)
                    {
                        case LuceneOccur.Must:
                            required.Add(condition);
                            break;
                        case LuceneOccur.MustNot:
                            required.Add(new NotExpr(default, condition));
                            break;
                        default:
                            optional.Add(condition);
                            break;
                    }
                }

                bool hasMust = boolean.Clauses.Exists(clause => clause.Occur == LuceneOccur.Must);
                if (!hasMust && optional.Count > 0)
                {
                    required.Add(Any(optional));
                }

                if (boolean.Clauses.Count == 0)
                {
                    return False;
                }

                return required.Count == 0 ? True : All(required);
            }

            /// <summary>Applies <paramref name="lower"/> to the term's field, or to each default field joined with <c>or</c>.</summary>
            private Expr Fields(string? field, TextRange range, System.Func<string, Expr?> lower)
            {
                if (field is not null)
                {
                    return lower(field) ?? False;
                }

                if (_settings.DefaultFields is not { } fields || fields.Count == 0 || fields.Exists(name => name == "*"))
                {
                    _reader._parser._diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnsupportedFilter, _reader._parser._path, _map(range),
                        "query_string: a term without a field searches every field, which Compiled cannot do; write field:value or set default_field to one field"));
                    return False;
                }

                var alternatives = new List<Expr>();
                foreach (var name in fields)
                {
                    if (lower(name) is { } condition)
                    {
                        alternatives.Add(condition);
                    }
                }

                return alternatives.Count == 0 ? False : Any(alternatives);
            }

            private Expr? Range(LuceneRange range, string field)
            {
                if (field.IndexOf('*') >= 0)
                {
                    Report(range.Range, $"a range on the field pattern '{field}' is not supported; name one field");
                    return null;
                }

                RangeEnd? lower = range.Lower is { } l ? new RangeEnd(l.Text, false, range.IncludeLower, _map(l.Range)) : null;
                RangeEnd? upper = range.Upper is { } u ? new RangeEnd(u.Text, false, range.IncludeUpper, _map(u.Range)) : null;
                return TryOffset(field, out int offsetMinutes)
                    ? _reader.RangeCondition(field, lower, upper, format: null, offsetMinutes, _map(range.Range))
                    : null;
            }

            private Expr? Term(LuceneTerm term, string field)
            {
                var span = _map(term.Range);
                if (field.IndexOf('*') >= 0)
                {
                    if (term.Pattern is not null)
                    {
                        Report(term.Range, $"a wildcard value on the field pattern '{field}' is not supported; name one field");
                        return null;
                    }

                    // The binder expands the pattern over the known fields.
                    var parts = field.Split('*');
                    var pattern = new KqlField(default, field, parts.ToEquatableArray());
                    return _reader.Bind(new KqlFieldValue(default, pattern, Value(term.Text, term.IsQuoted)), span);
                }

                var info = _reader._types.Resolve(field);
                if (term.Pattern is { } wildcard)
                {
                    return Wildcard(term, info, wildcard);
                }

                if (info.Kind == KqlFieldKind.Date)
                {
                    // Elasticsearch runs a date term as a range from the start to the end of the date's span, in
                    // the time_zone, and reads date math in it too.
                    var end = new RangeEnd(term.Text, false, true, span);
                    return TryOffset(field, out int offsetMinutes)
                        ? _reader.RangeCondition(field, end, end, format: null, offsetMinutes, span)
                        : null;
                }

                // A Lucene term on a keyword field is exact, also where Kibana's KQL would rewrite a number.
                // NOTE: an unquoted term that a text field's analyzer splits into several words matches when any
                // word does. Under default_operator AND, Elasticsearch requires every word.
                bool quoted = term.IsQuoted || info.Kind == KqlFieldKind.Keyword;
                var kqlField = new KqlField(default, field, new[] { field }.ToEquatableArray());
                return _reader.Bind(new KqlFieldValue(default, kqlField, Value(term.Text, quoted)), span);
            }

            private Expr? Wildcard(LuceneTerm term, KqlFieldInfo field, string pattern)
            {
                switch (field.Kind)
                {
                    case KqlFieldKind.Keyword:
                        return new KqlMatchExpr(default, field.SourceField, KqlMatchKind.KeywordWildcard, new[] { pattern }.ToEquatableArray(), default);
                    case KqlFieldKind.Text:
                        if (_settings.AnalyzeWildcard && SplitsIntoTokens(pattern))
                        {
                            Report(term.Range, $"with analyze_wildcard the pattern '{pattern}' on the text field '{field.Name}' splits into several words, which is not supported; use a pattern of one word");
                            return null;
                        }

                        return new KqlMatchExpr(default, field.SourceField, KqlMatchKind.TextWildcard, new[] { pattern.ToLowerInvariant() }.ToEquatableArray(), default);
                    default:
                        _reader._parser._diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.InvalidKqlValue, _reader._parser._path, _map(term.Range), pattern, field.Name, field.Type,
                            "Elasticsearch runs wildcard queries only on keyword and text fields"));
                        return null;
                }
            }

            /// <summary>True when the literal characters of a pattern include one that the standard tokenizer splits words at.</summary>
            private static bool SplitsIntoTokens(string pattern)
            {
                for (int i = 0; i < pattern.Length; i++)
                {
                    char c = pattern[i];
                    if (c == '\\')
                    {
                        i++;
                        if (i < pattern.Length && !char.IsLetterOrDigit(pattern[i]))
                        {
                            return true;
                        }

                        continue;
                    }

                    if (c is not ('*' or '?') && !char.IsLetterOrDigit(c) && c != '_')
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>Returns the time_zone offset for a date field, or reports a time_zone that is not a fixed offset.</summary>
            private bool TryOffset(string field, out int offsetMinutes)
            {
                offsetMinutes = _settings.OffsetMinutes ?? 0;
                if (_settings.OffsetMinutes is not null || _reader._types.Resolve(field).Kind != KqlFieldKind.Date)
                {
                    return true;
                }

                _reader.Unsupported(_settings.TimeZone!, $"the time_zone '{_settings.TimeZone!.Value}' of a date in the query_string must be a fixed offset such as \"+01:00\" or \"UTC\"; region names such as Europe/Paris are not supported");
                return false;
            }

            private static KqlValue Value(string text, bool quoted) =>
                new(default, text, quoted, new[] { text }.ToEquatableArray());

            private static Expr Any(List<Expr> conditions)
            {
                Expr result = conditions[0];
                for (int i = 1; i < conditions.Count; i++)
                {
                    result = new BinaryExpr(default, BinaryOperator.Or, result, conditions[i]);
                }

                return result;
            }

            private void Report(TextRange range, string reason) =>
                _reader._parser._diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedFilter, _reader._parser._path, _map(range), "query_string: " + reason));
        }
    }
}
