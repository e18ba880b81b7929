using System.Collections.Generic;
using Compiled.Generators.Kql;

namespace Compiled.Generators.Emission;

/// <summary>Emits the runtime call for one KQL field test; every call returns True or False, never Null.</summary>
internal static class KqlEmitter
{
    private const string Kql = "global::Compiled.Runtime.Matching.Kql";
    private const string Matching = "global::Compiled.Runtime.Matching";

    /// <summary>Keyword lists longer than this are hashed.</summary>
    private const int InListInlineLimit = 8;

    public static string Predicate(RuleScope scope, KqlMatchExpr match)
    {
        string slot = match.Pattern is { } fieldPattern ? scope.PatternSlot(match.Field, fieldPattern) : scope.Slot(match.Field);
        string first = match.Values.Count > 0 ? match.Values[0] : string.Empty;
        switch (match.Kind)
        {
            case KqlMatchKind.Exists:
                return $"{Kql}.Exists(ev, {slot})";
            case KqlMatchKind.Keyword:
                return Keywords(scope, match, slot);
            case KqlMatchKind.KeywordLowercase:
                return LowercaseKeywords(scope, match, slot);
            case KqlMatchKind.KeywordWildcard:
            case KqlMatchKind.KeywordWildcardIgnoreCase:
                bool ignoreCase = match.Kind == KqlMatchKind.KeywordWildcardIgnoreCase;
                string pattern = scope.AddStatic(match.Field, "Pattern", $"{Matching}.KqlWildcard",
                    $"new({CSharpText.Literal(first)}, ignoreCase: {(ignoreCase ? "true" : "false")})");
                return $"{Kql}.Wildcard(ev, {slot}, {pattern})";
            case KqlMatchKind.KeywordRange:
                return $"{Kql}.Compare(ev, {slot}, Comparison.{OperatorName(match.Operator)}, {CSharpText.Literal(first)})";
            case KqlMatchKind.Text:
            case KqlMatchKind.TextPhrase:
                bool phrase = match.Kind == KqlMatchKind.TextPhrase;
                string text = scope.AddStatic(match.Field, phrase ? "Phrase" : "Terms", $"{Matching}.KqlText",
                    $"new({CSharpText.Literal(first)}, phrase: {(phrase ? "true" : "false")})");
                return $"{Kql}.Match(ev, {slot}, {text})";
            case KqlMatchKind.TextWildcard:
                string tokenPattern = scope.AddStatic(match.Field, "TokenPattern", $"{Matching}.KqlWildcard",
                    $"new({CSharpText.Literal(first)}, ignoreCase: true)");
                return $"{Kql}.MatchToken(ev, {slot}, {tokenPattern})";
            case KqlMatchKind.Ip:
                string blocks = scope.AddStatic(match.Field, "Blocks", $"{Matching}.CidrSet", $"new({Literals(match)})");
                return $"{Kql}.Ip(ev, {slot}, {blocks})";
            case KqlMatchKind.Number:
                return $"{Kql}.Equal(ev, {slot}, {first}d)";
            case KqlMatchKind.NumberRange:
                return $"{Kql}.Compare(ev, {slot}, Comparison.{OperatorName(match.Operator)}, {first}d)";
            case KqlMatchKind.Date:
                return $"{Kql}.DateEqual(ev, {slot}, {first}L, {match.Values[1]}L)";
            case KqlMatchKind.DateRange:
                return $"{Kql}.CompareDate(ev, {slot}, Comparison.{OperatorName(match.Operator)}, {first}L, {match.Values[1]}L)";
            case KqlMatchKind.Boolean:
                return $"{Kql}.Equal(ev, {slot}, {(first == "true" ? "true" : "false")})";
            default:
                throw new System.NotSupportedException("Unknown KQL match kind " + match.Kind.ToString());
        }
    }

    private static string Keywords(RuleScope scope, KqlMatchExpr match, string slot)
    {
        if (match.Values.Count == 1)
        {
            return $"{Kql}.Equal(ev, {slot}, {CSharpText.Literal(match.Values[0])})";
        }

        // A long list is hashed once, so each value costs one lookup instead of a scan of the list.
        string values = match.Values.Count > InListInlineLimit
            ? scope.AddStatic(match.Field, "Values", $"{Matching}.StringSet", $"new(false, {Literals(match)})")
            : scope.AddStatic(match.Field, "Values", "string[]", $"{{ {Literals(match)} }}");
        return $"{Kql}.In(ev, {slot}, {values})";
    }

    private static string LowercaseKeywords(RuleScope scope, KqlMatchExpr match, string slot)
    {
        string values = match.Values.Count > InListInlineLimit
            ? scope.AddStatic(match.Field, "Lowercase", $"{Matching}.StringSet", $"new(false, {Literals(match)})")
            : scope.AddStatic(match.Field, "Lowercase", "string[]", $"{{ {Literals(match)} }}");
        return $"{Kql}.InLowercase(ev, {slot}, {values})";
    }

    private static string Literals(KqlMatchExpr match)
    {
        var literals = new List<string>();
        foreach (var value in match.Values)
        {
            literals.Add(CSharpText.Literal(value));
        }

        return string.Join(", ", literals);
    }

    private static string OperatorName(KqlRangeOperator op) => op switch
    {
        KqlRangeOperator.LessThan => "LessThan",
        KqlRangeOperator.LessThanOrEqual => "LessThanOrEqual",
        KqlRangeOperator.GreaterThan => "GreaterThan",
        _ => "GreaterThanOrEqual",
    };
}
