using System.Collections.Generic;
using System.Globalization;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Filters;
using Compiled.Generators.Kql;

namespace Compiled.Generators.RuleFiles;

/// <summary>The <c>range</c> query of Kibana filters, which <c>query_string</c> ranges share.</summary>
internal sealed partial class RuleFileParser
{
    /// <summary>
    /// Returns the field whose value is the event's time for the rule (<c>timestamp_override</c>, else
    /// <c>@timestamp</c>) and the field used when it is missing, or null when the rule disables the fallback.
    /// </summary>
    private static (string Field, string? Fallback) TimestampFields(TomlTableNode rule)
    {
        string? timestampOverride = rule.TryGet("timestamp_override", out var entry) && entry.Value is TomlScalarNode { Kind: TomlScalarKind.String } text
            ? (string)text.Value
            : null;
        if (timestampOverride is null)
        {
            return ("@timestamp", null);
        }

        bool fallbackDisabled = rule.TryGet("timestamp_override_fallback_disabled", out var flag) && flag.Value is TomlScalarNode { Value: true };
        return (timestampOverride, fallbackDisabled ? null : "@timestamp");
    }

    private sealed partial class KibanaFilterReader
    {
        private readonly (string Field, string? Fallback) _timestampFields;
        private readonly bool _forIndicators;

        /// <summary>One end of a range as written, with its place in the rule file.</summary>
        private readonly record struct RangeEnd(string Text, bool IsNumber, bool Inclusive, FileSpan Span);

        /// <summary>
        /// Reads <c>range</c>: <c>{ field = { gte = 1, lt = 5 } }</c> with <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>,
        /// the older <c>from</c>, <c>to</c>, <c>include_lower</c> and <c>include_upper</c>, and <c>format</c> and
        /// <c>time_zone</c> for dates.
        /// </summary>
        private Expr? Range(TomlTableNode body)
        {
            var clauses = new List<Expr>();
            foreach (var entry in body.Entries)
            {
                if (entry.Value.Value is not TomlTableNode options)
                {
                    Unsupported(entry.Value.Value, $"'range' on '{entry.Key}' must be a table of bounds such as {{ gte = 1, lt = 5 }}");
                    return null;
                }

                var clause = RangeOptions(entry.Key, options);
                if (clause is null)
                {
                    return null;
                }

                clauses.Add(clause);
            }

            if (clauses.Count == 0)
            {
                Unsupported(body, "'range' names no field");
                return null;
            }

            return All(clauses);
        }

        private Expr? RangeOptions(string field, TomlTableNode options)
        {
            RangeEnd? lower = null;
            RangeEnd? upper = null;
            bool includeLower = true;
            bool includeUpper = true;
            string? format = null;
            int offsetMinutes = 0;
            foreach (var option in options.Entries)
            {
                var node = option.Value.Value;
                switch (option.Key)
                {
                    case "gt":
                    case "gte":
                    case "from":
                    case "lt":
                    case "lte":
                    case "to":
                        if (node is not TomlScalarNode { Kind: TomlScalarKind.String or TomlScalarKind.Integer or TomlScalarKind.Float } scalar)
                        {
                            Unsupported(node, $"the range bound '{option.Key}' on '{field}' must be a string or a number");
                            return null;
                        }

                        bool isLower = option.Key is "gt" or "gte" or "from";
                        if ((isLower ? lower : upper) is not null)
                        {
                            Unsupported(node, $"the range on '{field}' has a second {(isLower ? "lower" : "upper")} bound '{option.Key}'");
                            return null;
                        }

                        var end = new RangeEnd(ScalarText(scalar), scalar.Kind != TomlScalarKind.String, option.Key is "gte" or "lte" or "from" or "to", scalar.Span);
                        if (isLower)
                        {
                            lower = end;
                        }
                        else
                        {
                            upper = end;
                        }

                        break;
                    case "include_lower":
                    case "include_upper":
                        if (node is not TomlScalarNode { Kind: TomlScalarKind.Boolean } flag)
                        {
                            Unsupported(node, $"'{option.Key}' on '{field}' must be true or false");
                            return null;
                        }

                        if (option.Key == "include_lower")
                        {
                            includeLower = (bool)flag.Value;
                        }
                        else
                        {
                            includeUpper = (bool)flag.Value;
                        }

                        break;
                    case "format":
                        format = node is TomlScalarNode { Kind: TomlScalarKind.String } formatText ? (string)formatText.Value : null;
                        if (format is null)
                        {
                            Unsupported(node, $"'format' on '{field}' must be a string such as \"yyyy-MM-dd\"");
                            return null;
                        }

                        break;
                    case "time_zone":
                        if (node is not TomlScalarNode { Kind: TomlScalarKind.String } zone || !DateMathParser.TryParseTimeZone((string)zone.Value, out offsetMinutes))
                        {
                            Unsupported(node, $"the time_zone on '{field}' must be a fixed offset such as \"+01:00\" or \"UTC\"; region names such as Europe/Paris are not supported");
                            return null;
                        }

                        break;
                    case "relation":
                        // The relation of a range to indexed ranges applies to range fields only; ECS has none.
                        if (node is not TomlScalarNode { Kind: TomlScalarKind.String } relation || !((string)relation.Value).Equals("intersects", System.StringComparison.OrdinalIgnoreCase))
                        {
                            Unsupported(node, $"the relation on '{field}' is not supported; only INTERSECTS applies to fields that are not range fields");
                            return null;
                        }

                        break;
                    case "boost":
                    case "_name":
                        // Scoring and naming do not change which events match.
                        break;
                    default:
                        Unsupported(node, $"the range option '{option.Key}' on '{field}' is not supported; use gt, gte, lt, lte, format or time_zone");
                        return null;
                }
            }

            // The older from and to take their inclusiveness from include_lower and include_upper.
            if (lower is { } lowerEnd && IsFromOrTo(options, "from", lowerEnd))
            {
                lower = lowerEnd with { Inclusive = includeLower };
            }

            if (upper is { } upperEnd && IsFromOrTo(options, "to", upperEnd))
            {
                upper = upperEnd with { Inclusive = includeUpper };
            }

            return RangeCondition(field, lower, upper, format, offsetMinutes, options.Span);
        }

        private static bool IsFromOrTo(TomlTableNode options, string key, RangeEnd end) =>
            options.TryGet(key, out var entry) && entry.Value.Span.Equals(end.Span);

        /// <summary>
        /// Builds the range test for <paramref name="fieldName"/> by its mapping type, or returns null after
        /// reporting a bound the type cannot hold. A bound with <c>now</c> is evaluated at the event's time
        /// with the warning CMP041. In <c>threat_filters</c> the range is left out with the warning CMP040
        /// instead, because indicators have no event time.
        /// </summary>
        private Expr? RangeCondition(string fieldName, RangeEnd? lower, RangeEnd? upper, string? format, int offsetMinutes, FileSpan span)
        {
            var field = _types.Resolve(fieldName);
            _description.Add(RangeDescription(fieldName, lower, upper));
            if (lower is null && upper is null)
            {
                // Elasticsearch matches every document that has the field when both bounds are open.
                return FieldValue(fieldName, "*", quoted: false, span);
            }

            FilterRangeKind kind;
            FilterRangeBound? lowerBound = null;
            FilterRangeBound? upperBound = null;
            switch (field.Kind)
            {
                case KqlFieldKind.Number:
                    kind = FilterRangeKind.Number;
                    if (!TryNumberBound(field, lower, out lowerBound) || !TryNumberBound(field, upper, out upperBound))
                    {
                        return null;
                    }

                    break;
                case KqlFieldKind.Keyword:
                    kind = field.Type == "version" ? FilterRangeKind.Version : FilterRangeKind.Keyword;
                    lowerBound = lower is { } l ? FilterRangeBound.Plain(l.Text, l.Inclusive) : null;
                    upperBound = upper is { } u ? FilterRangeBound.Plain(u.Text, u.Inclusive) : null;
                    break;
                case KqlFieldKind.Ip:
                    kind = FilterRangeKind.Ip;
                    if (!TryIpBound(field, lower, out lowerBound) || !TryIpBound(field, upper, out upperBound))
                    {
                        return null;
                    }

                    break;
                case KqlFieldKind.Date:
                    kind = field.Type == "date_nanos" ? FilterRangeKind.DateNanos : FilterRangeKind.Date;
                    if (!TryDateBound(field, lower, format, offsetMinutes, roundUp: lower is { Inclusive: false }, out lowerBound) ||
                        !TryDateBound(field, upper, format, offsetMinutes, roundUp: upper is { Inclusive: true }, out upperBound))
                    {
                        return null;
                    }

                    if (lowerBound is { FromNow: true } || upperBound is { FromNow: true })
                    {
                        var nowSpan = lowerBound is { FromNow: true } ? lower!.Value.Span : upper!.Value.Span;
                        string nowText = lowerBound is { FromNow: true } ? lower!.Value.Text : upper!.Value.Text;
                        if (_forIndicators)
                        {
                            _parser._diagnostics.Add(DiagnosticInfo.Create(
                                DiagnosticDescriptors.ThreatQueryNotApplied, _parser._path, nowSpan, $"The range on '{fieldName}' in the threat_filters",
                                $"'{nowText}' uses date math, and a scan has no query time, so every indicator loaded counts as current"));
                            return new LiteralExpr(default, LiteralKind.Boolean, "true");
                        }

                        _parser._diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.FilterDateMathAtEventTime, _parser._path, nowSpan, nowText, _timestampFields.Field));
                    }

                    break;
                default:
                    Unsupported(span, $"a range on the {field.Type} field '{fieldName}' is not supported; Compiled runs ranges on numeric, date, ip and keyword fields");
                    return null;
            }

            return new FilterRangeExpr(default, field.SourceField, kind, lowerBound, upperBound, _timestampFields.Field, _timestampFields.Fallback);
        }

        private bool TryNumberBound(KqlFieldInfo field, RangeEnd? end, out FilterRangeBound? bound)
        {
            bound = null;
            if (end is not { } value)
            {
                return true;
            }

            if (!double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || double.IsNaN(number) || double.IsInfinity(number))
            {
                InvalidBound(value, field, "a numeric field takes a number");
                return false;
            }

            bound = FilterRangeBound.Plain(number.ToString("R", CultureInfo.InvariantCulture), value.Inclusive);
            return true;
        }

        private bool TryIpBound(KqlFieldInfo field, RangeEnd? end, out FilterRangeBound? bound)
        {
            bound = null;
            if (end is not { } value)
            {
                return true;
            }

            if (value.IsNumber || value.Text.IndexOf('/') >= 0 || !CidrSyntax.IsValid(value.Text))
            {
                InvalidBound(value, field, "a range on an ip field takes IPv4 or IPv6 addresses, without a prefix length");
                return false;
            }

            bound = FilterRangeBound.Plain(value.Text, value.Inclusive);
            return true;
        }

        private bool TryDateBound(KqlFieldInfo field, RangeEnd? end, string? format, int offsetMinutes, bool roundUp, out FilterRangeBound? bound)
        {
            bound = null;
            if (end is not { } value)
            {
                return true;
            }

            // A number on a date field is milliseconds since the epoch unless the format names another unit.
            string? effectiveFormat = format ?? (value.IsNumber ? "epoch_millis" : null);
            if (!DateMathParser.TryParse(value.Text, effectiveFormat, offsetMinutes, value.Inclusive, roundUp, out var parsed, out string error))
            {
                InvalidBound(value, field, error);
                return false;
            }

            bound = parsed;
            return true;
        }

        private void InvalidBound(RangeEnd end, KqlFieldInfo field, string help) =>
            _parser._diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidKqlValue, _parser._path, end.Span, end.Text, field.Name, field.Type, help));

        private static string RangeDescription(string field, RangeEnd? lower, RangeEnd? upper)
        {
            string text = field + " range";
            if (lower is { } l)
            {
                text += (l.Inclusive ? " gte " : " gt ") + l.Text;
            }

            if (upper is { } u)
            {
                text += (u.Inclusive ? " lte " : " lt ") + u.Text;
            }

            return text;
        }

        private void Unsupported(FileSpan span, string reason) =>
            _parser._diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedFilter, _parser._path, span, reason));
    }
}
