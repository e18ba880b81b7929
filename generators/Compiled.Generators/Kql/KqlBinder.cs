using System;
using System.Collections.Generic;
using System.Globalization;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Kql;

/// <summary>
/// Lowers a parsed KQL query into the condition model the emitter compiles. <c>and</c>, <c>or</c> and
/// <c>not</c> become EQL's nodes, and each field test becomes a <see cref="KqlMatchExpr"/> chosen by
/// the field's mapping type. A value the field's type cannot hold is reported where it is written.
/// </summary>
internal sealed class KqlBinder
{
    private readonly KqlFieldTypes _types;
    private readonly EqlBinder.Report _report;

    /// <summary>True while a wildcard field name is expanded: invalid values then skip the field silently.</summary>
    private bool _quiet;

    private KqlBinder(KqlFieldTypes types, EqlBinder.Report report)
    {
        _types = types;
        _report = report;
    }

    public static Expr Bind(KqlNode query, KqlFieldTypes types, EqlBinder.Report report) =>
        new KqlBinder(types, report).Lower(query);

    private Expr Lower(KqlNode node)
    {
        switch (node)
        {
            case KqlOr or:
                return Either(or.Range, Lower(or.Left), Lower(or.Right));
            case KqlAnd and:
                return new BinaryExpr(and.Range, BinaryOperator.And, Lower(and.Left), Lower(and.Right));
            case KqlNot not:
                return new NotExpr(not.Range, Lower(not.Operand));
            case KqlMatchAll all:
                return True(all.Range);
            case KqlNested nested:
                return new KqlNestedExpr(nested.Range, nested.Path.Name, Lower(nested.Inner));
            case KqlFieldValue fieldValue:
                return Fields(fieldValue.Range, fieldValue.Field, info => FieldValue(fieldValue, info));
            case KqlRange range:
                return Fields(range.Range, range.Field, info => Range(range, info));
            case KqlFreeText free:
                _report(DiagnosticDescriptors.KqlSyntaxError, free.Range,
                    $"the value '{free.Value.Text}' has no field name; Kibana would search every field, which Compiled cannot do, so write field:value");
                return False(free.Range);
            default:
                throw new NotSupportedException("Unknown KQL node " + node.GetType().Name);
        }
    }

    /// <summary>
    /// Joins two conditions with <c>or</c>. Keyword terms, lowercase keyword terms or ip terms on the same field merge into one test
    /// with several values, so <c>field:(a or b or c)</c> becomes one lookup.
    /// </summary>
    private static Expr Either(TextRange range, Expr left, Expr right)
    {
        if (left is KqlMatchExpr first && right is KqlMatchExpr second && first.Field == second.Field &&
            first.Pattern == second.Pattern && first.Kind == second.Kind && first.Kind is KqlMatchKind.Keyword or KqlMatchKind.KeywordLowercase or KqlMatchKind.Ip)
        {
            var values = new List<string>(first.Values);
            values.AddRange(second.Values);
            return first with { Range = range, Values = values.ToEquatableArray() };
        }

        return new BinaryExpr(range, BinaryOperator.Or, left, right);
    }

    private static LiteralExpr True(TextRange range) => new(range, LiteralKind.Boolean, "true");

    private static LiteralExpr False(TextRange range) => new(range, LiteralKind.Boolean, "false");

    /// <summary>
    /// Applies <paramref name="lower"/> to the field. For a wildcard name, Kibana queries every field the
    /// index maps that matches it. Here the known fields that are not keywords (ECS fields and the rule's
    /// <c>required_fields</c>) are tested with their own type, and every other path present in the event
    /// that matches the pattern is tested as a keyword, as Elastic's dynamic mapping indexes strings.
    /// </summary>
    private Expr Fields(TextRange range, KqlField field, Func<KqlFieldInfo, Expr?> lower)
    {
        if (!field.HasWildcard)
        {
            return lower(_types.Resolve(field.Name)) ?? False(range);
        }

        var names = _types.Expand(field);
        if (names.Count == 0)
        {
            _report(DiagnosticDescriptors.KqlFieldPatternMatchesNothing, field.Range, field.Name);
        }

        Expr? result = null;
        var excluded = new List<string>();
        foreach (var name in names)
        {
            var info = _types.Resolve(name);
            if (info.Kind == KqlFieldKind.Keyword && info.SourceField == name)
            {
                // The pattern's keyword test below reads this field from the event.
                continue;
            }

            if (info.SourceField == name)
            {
                excluded.Add(name);
            }

            // Fields of different types share one value, so a value that one field's type cannot hold
            // skips that field instead of failing the rule.
            _quiet = true;
            Expr? leaf;
            try
            {
                leaf = lower(info);
            }
            finally
            {
                _quiet = false;
            }

            if (leaf is not null)
            {
                result = result is null ? leaf : Either(range, result, leaf);
            }
        }

        var pattern = new KqlFieldPattern(field.Parts, excluded.ToEquatableArray());
        var keyword = lower(new KqlFieldInfo(field.Name, field.Name, "keyword", KqlFieldKind.Keyword));
        if (keyword is KqlMatchExpr match)
        {
            keyword = match with { Pattern = pattern };
            result = result is null ? keyword : Either(range, result, keyword);
        }

        return result ?? False(range);
    }

    private Expr? FieldValue(KqlFieldValue node, KqlFieldInfo field)
    {
        var value = node.Value;
        if (value.IsExistence)
        {
            return Match(node.Range, field, KqlMatchKind.Exists);
        }

        switch (field.Kind)
        {
            case KqlFieldKind.Text:
                if (value.IsQuoted)
                {
                    return Match(node.Range, field, KqlMatchKind.TextPhrase, value.Text);
                }

                return value.HasWildcard
                    ? Match(node.Range, field, KqlMatchKind.TextWildcard, WildcardSyntax(value.Parts).ToLowerInvariant())
                    : Match(node.Range, field, KqlMatchKind.Text, value.Text);
            case KqlFieldKind.Ip:
                if (value.HasWildcard || !CidrSyntax.IsValid(value.Text))
                {
                    return Invalid(value, field, "an ip field takes an IPv4 or IPv6 address or a CIDR block such as 10.0.0.0/8, without wildcards");
                }

                return Match(node.Range, field, KqlMatchKind.Ip, value.Text);
            case KqlFieldKind.Number:
                if (value.HasWildcard || !TryNumber(value.Text, out string number))
                {
                    return Invalid(value, field, "a numeric field takes a number, without wildcards");
                }

                return Match(node.Range, field, KqlMatchKind.Number, number);
            case KqlFieldKind.Date:
                if (value.HasWildcard || !DateLiteral.TryParse(value.Text, out long first, out long last))
                {
                    return Invalid(value, field, DateHelp(value.Text));
                }

                return Match(node.Range, field, KqlMatchKind.Date, Long(first), Long(last));
            case KqlFieldKind.Caseless:
                // Elasticsearch lowercases the query value with the field's normalizer, for wildcards too.
                return value.HasWildcard
                    ? Match(node.Range, field, KqlMatchKind.KeywordWildcardIgnoreCase, WildcardSyntax(value.Parts))
                    : Match(node.Range, field, KqlMatchKind.KeywordLowercase,
                        (value.IsQuoted ? value.Text : KibanaTermText(value.Text)).ToLowerInvariant());
            case KqlFieldKind.Boolean:
                if (value.HasWildcard || (value.Text != "true" && value.Text != "false"))
                {
                    return Invalid(value, field, "a boolean field takes true or false");
                }

                return Match(node.Range, field, KqlMatchKind.Boolean, value.Text);
            default:
                return value.HasWildcard
                    ? Match(node.Range, field, KqlMatchKind.KeywordWildcard, WildcardSyntax(value.Parts))
                    : Match(node.Range, field, KqlMatchKind.Keyword, value.IsQuoted ? value.Text : KibanaTermText(value.Text));
        }
    }

    private Expr? Range(KqlRange node, KqlFieldInfo field)
    {
        var value = node.Value;
        if (value.HasWildcard)
        {
            return Invalid(value, field, "a range takes a value without wildcards");
        }

        switch (field.Kind)
        {
            case KqlFieldKind.Number:
                if (!TryNumber(value.Text, out string number))
                {
                    return Invalid(value, field, "a numeric field takes a number");
                }

                return new KqlMatchExpr(node.Range, field.SourceField, KqlMatchKind.NumberRange, new[] { number }.ToEquatableArray(), node.Operator);
            case KqlFieldKind.Date:
                if (!DateLiteral.TryParse(value.Text, out long first, out long last))
                {
                    return Invalid(value, field, DateHelp(value.Text));
                }

                return new KqlMatchExpr(node.Range, field.SourceField, KqlMatchKind.DateRange, new[] { Long(first), Long(last) }.ToEquatableArray(), node.Operator);
            case KqlFieldKind.Keyword:
                return new KqlMatchExpr(node.Range, field.SourceField, KqlMatchKind.KeywordRange, new[] { value.Text }.ToEquatableArray(), node.Operator);
            case KqlFieldKind.Caseless:
                // NOTE: Elasticsearch compares the lowercased value with lowercased bounds; Compiled rejects the range.
                return Invalid(value, field, "Compiled does not run ranges on a lowercase-normalized .caseless field");
            default:
                // NOTE: Elasticsearch also runs ranges on ip, text and boolean fields; Compiled rejects them.
                return Invalid(value, field, "Compiled runs ranges only on keyword, numeric and date fields");
        }
    }

    private static string DateHelp(string text) =>
        text.StartsWith("now", StringComparison.Ordinal) || text.Contains("||")
            ? "Compiled does not evaluate date math, because a scan has no query time; write an absolute date such as 2024-01-31T12:00:00Z"
            : "a date field takes a date such as 2024-01-31 or 2024-01-31T12:00:00Z";

    private Expr? Invalid(KqlValue value, KqlFieldInfo field, string help)
    {
        if (_quiet)
        {
            return null;
        }

        _report(DiagnosticDescriptors.InvalidKqlValue, value.Range, value.Text, field.Name, field.Type, help);
        return null;
    }

    private static KqlMatchExpr Match(TextRange range, KqlFieldInfo field, KqlMatchKind kind, params string[] values) =>
        new(range, field.SourceField, kind, values.ToEquatableArray(), default);

    /// <summary>Joins the parts of a KQL value with <c>*</c>, escaping the characters Elasticsearch's wildcard syntax treats specially.</summary>
    internal static string WildcardSyntax(EquatableArray<string> parts)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                text.Append('*');
            }

            foreach (char c in parts[i])
            {
                if (c is '*' or '?' or '\\')
                {
                    text.Append('\\');
                }

                text.Append(c);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Returns the term Kibana sends for an unquoted value. Kibana turns a value that looks like a decimal
    /// number (no leading zero, no exponent) into a JavaScript number, so <c>10.0</c> is sent as 10 and
    /// <c>1.50</c> as 1.5, and a keyword field then compares with that text.
    /// </summary>
    private static string KibanaTermText(string text)
    {
        if (!LooksLikeKibanaNumber(text) ||
            !double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
        {
            return text;
        }

        // NOTE: beyond 2^53, or where JavaScript would print an exponent, the text is kept as written.
        string shortest = number.ToString("R", CultureInfo.InvariantCulture);
        return Math.Abs(number) < 9007199254740992d && shortest.IndexOf('E') < 0 ? shortest : text;
    }

    /// <summary>Kibana's number shape: an optional minus, then <c>0</c>, or digits without a leading zero, or <c>0.</c> and digits.</summary>
    private static bool LooksLikeKibanaNumber(string text)
    {
        int i = text.StartsWith("-", StringComparison.Ordinal) ? 1 : 0;
        if (i == text.Length)
        {
            return false;
        }

        int dot = text.IndexOf('.');
        string whole = dot < 0 ? text.Substring(i) : text.Substring(i, dot - i);
        string fraction = dot < 0 ? string.Empty : text.Substring(dot + 1);
        if (!AllDigits(whole) || !AllDigits(fraction) || (dot >= 0 && fraction.Length == 0))
        {
            return false;
        }

        return whole.Length == 0 ? dot >= 0 : whole[0] != '0' || whole.Length == 1;
    }

    private static bool AllDigits(string text)
    {
        foreach (char c in text)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static string Long(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool TryNumber(string text, out string number)
    {
        number = string.Empty;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ||
            double.IsNaN(value) || double.IsInfinity(value))
        {
            return false;
        }

        number = value.ToString("R", CultureInfo.InvariantCulture);
        return true;
    }
}
