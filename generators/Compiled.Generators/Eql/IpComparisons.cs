using System;
using System.Collections.Generic;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Eql;

/// <summary>
/// Finds the fields of <c>ip</c> type that an EQL query compares with strings through <c>==</c>, <c>!=</c>,
/// <c>in</c> or <c>in~</c>. Elasticsearch runs these comparisons as term queries on the <c>ip</c> field, which
/// match by address and take a CIDR block as well, so the emitter compares such a field by address and not as text.
/// </summary>
internal static class IpComparisons
{
    /// <summary>
    /// Returns the paths of the <c>ip</c> fields compared with strings, in ordinal order, and reports each
    /// string that is not an address or CIDR block, because Elasticsearch rejects such a term query.
    /// </summary>
    public static EquatableArray<string> Find(EqlQuery query, Func<string, bool> isIp, EqlBinder.Report report)
    {
        var fields = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var filter in Filters(query))
        {
            Visit(filter.Condition, isIp, report, fields);
        }

        return new List<string>(fields).ToEquatableArray();
    }

    private static IEnumerable<EventFilter> Filters(EqlQuery query)
    {
        switch (query)
        {
            case EventQuery eventQuery:
                yield return eventQuery.Filter;
                break;
            case SequenceQuery sequence:
                foreach (var stage in sequence.Stages)
                {
                    yield return stage.Filter;
                }

                if (sequence.Until is { } until)
                {
                    yield return until.Filter;
                }

                break;
            case SampleQuery sample:
                foreach (var stage in sample.Filters)
                {
                    yield return stage.Filter;
                }

                break;
        }
    }

    private static void Visit(Expr expression, Func<string, bool> isIp, EqlBinder.Report report, SortedSet<string> fields)
    {
        switch (expression)
        {
            case BinaryExpr { Operator: BinaryOperator.Equal or BinaryOperator.NotEqual, Left: FieldExpr field, Right: LiteralExpr { Kind: LiteralKind.String } literal }:
                Check(field, new[] { literal }, isIp, report, fields);
                break;
            case BinaryExpr { Operator: BinaryOperator.Equal or BinaryOperator.NotEqual, Left: LiteralExpr { Kind: LiteralKind.String } literal, Right: FieldExpr field }:
                Check(field, new[] { literal }, isIp, report, fields);
                break;
            case BinaryExpr binary:
                Visit(binary.Left, isIp, report, fields);
                Visit(binary.Right, isIp, report, fields);
                break;
            case NotExpr not:
                Visit(not.Operand, isIp, report, fields);
                break;
            case InExpr { Value: FieldExpr field } inExpr when inExpr.Items.Count > 0 && AllStrings(inExpr.Items):
                var literals = new List<LiteralExpr>();
                foreach (var item in inExpr.Items)
                {
                    literals.Add((LiteralExpr)item);
                }

                Check(field, literals, isIp, report, fields);
                break;
        }
    }

    private static bool AllStrings(EquatableArray<Expr> items)
    {
        foreach (var item in items)
        {
            if (item is not LiteralExpr { Kind: LiteralKind.String })
            {
                return false;
            }
        }

        return true;
    }

    private static void Check(FieldExpr field, IEnumerable<LiteralExpr> literals, Func<string, bool> isIp, EqlBinder.Report report, SortedSet<string> fields)
    {
        if (!isIp(field.Path))
        {
            return;
        }

        fields.Add(field.Path);
        foreach (var literal in literals)
        {
            if (!CidrSyntax.IsValid(literal.Value))
            {
                report(DiagnosticDescriptors.InvalidCidr, literal.Range, literal.Value);
            }
        }
    }
}
