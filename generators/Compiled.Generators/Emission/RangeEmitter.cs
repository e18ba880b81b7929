using System.Collections.Generic;
using System.Globalization;
using Compiled.Generators.Filters;

namespace Compiled.Generators.Emission;

/// <summary>Emits the runtime call for a filter range. Each range becomes one static bounds object, whose test returns True or False.</summary>
internal static class RangeEmitter
{
    private const string Matching = "global::Compiled.Runtime.Matching";

    public static string Predicate(RuleScope scope, FilterRangeExpr range)
    {
        string slot = scope.Slot(range.Field);
        switch (range.Kind)
        {
            case FilterRangeKind.Number:
                string numbers = scope.AddStatic(range.Field, "Range", $"{Matching}.NumberRange",
                    $"new({NumberBound(range.Lower, lower: true)}, {Inclusive(range.Lower)}, {NumberBound(range.Upper, lower: false)}, {Inclusive(range.Upper)})");
                return $"{numbers}.Test(ev, {slot})";
            case FilterRangeKind.Keyword:
            case FilterRangeKind.Version:
            case FilterRangeKind.Ip:
                string type = range.Kind switch
                {
                    FilterRangeKind.Keyword => "TermRange",
                    FilterRangeKind.Version => "VersionRange",
                    _ => "IpRange",
                };
                string terms = scope.AddStatic(range.Field, "Range", $"{Matching}.{type}",
                    $"new({TextBound(range.Lower)}, {Inclusive(range.Lower)}, {TextBound(range.Upper)}, {Inclusive(range.Upper)})");
                return $"{terms}.Test(ev, {slot})";
            default:
                bool milliseconds = range.Kind == FilterRangeKind.Date;
                string dates = scope.AddStatic(range.Field, "Range", $"{Matching}.DateRange",
                    $"new({DateBound(range.Lower)}, {DateBound(range.Upper)}, milliseconds: {(milliseconds ? "true" : "false")})");
                string fallback = range.NowFallbackField is { } field ? scope.Slot(field) : "-1";
                return $"{dates}.Test(ev, {slot}, {scope.Slot(range.NowField)}, {fallback})";
        }
    }

    private static string Inclusive(FilterRangeBound? bound) => bound is null || bound.Inclusive ? "true" : "false";

    private static string NumberBound(FilterRangeBound? bound, bool lower)
    {
        if (bound is null)
        {
            return lower ? "double.NegativeInfinity" : "double.PositiveInfinity";
        }

        string text = bound.Value;
        return text.IndexOf('E') >= 0 || text.IndexOf('.') >= 0 ? text + "d" : text + ".0";
    }

    private static string TextBound(FilterRangeBound? bound) => bound is null ? "null" : CSharpText.Literal(bound.Value);

    private static string DateBound(FilterRangeBound? bound)
    {
        if (bound is null)
        {
            return "null";
        }

        var arguments = new List<string>
        {
            bound.FromNow ? "0L" : bound.Value + "L",
            bound.FromNow ? "fromNow: true" : "fromNow: false",
            bound.Inclusive ? "inclusive: true" : "inclusive: false",
            bound.RoundUp ? "roundUp: true" : "roundUp: false",
            "offsetMinutes: " + bound.OffsetMinutes.ToString(CultureInfo.InvariantCulture),
        };
        foreach (string step in bound.Steps)
        {
            char operation = step[0];
            char unit = step[step.Length - 1];
            string amount = operation == '/' ? "0" : step.Substring(1, step.Length - 2);
            arguments.Add($"new {Matching}.DateMathStep('{operation}', {amount}, '{unit}')");
        }

        return $"new {Matching}.DateBound({string.Join(", ", arguments)})";
    }
}
