using System;
using System.Collections.Generic;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Eql;

/// <summary>
/// Rewrites EQL references to <c>X.caseless</c>, the multi-field that Elastic's integrations add to
/// keyword fields with a lowercase normalizer. Events carry only <c>X</c>, so each reference reads
/// <c>X</c>. Elasticsearch normalizes the query value of a term or wildcard query on such a field, so
/// <c>==</c>, <c>!=</c>, <c>in</c>, <c>like</c> and functions with a <c>~</c> form become their
/// case-insensitive forms.
/// </summary>
internal static class CaselessFields
{
    private const string Suffix = ".caseless";

    /// <summary>Returns the query with every <c>.caseless</c> reference rewritten.</summary>
    public static EqlQuery Rewrite(EqlQuery query) => query switch
    {
        EventQuery eventQuery => eventQuery with { Filter = Rewrite(eventQuery.Filter) },
        SequenceQuery sequence => sequence with
        {
            By = Fields(sequence.By),
            Stages = Map<SequenceStage>(sequence.Stages, Rewrite),
            Until = sequence.Until is null ? null : Rewrite(sequence.Until),
        },
        SampleQuery sample => sample with { By = Fields(sample.By), Filters = Map<SequenceStage>(sample.Filters, Rewrite) },
        _ => query,
    };

    private static SequenceStage Rewrite(SequenceStage stage) =>
        stage with { Filter = Rewrite(stage.Filter), By = Fields(stage.By) };

    private static EventFilter Rewrite(EventFilter filter) => filter with { Condition = Rewrite(filter.Condition) };

    private static Expr Rewrite(Expr expression)
    {
        switch (expression)
        {
            case FieldExpr field:
                return Parent(field);
            case BinaryExpr { Operator: BinaryOperator.Equal or BinaryOperator.NotEqual } equality
                when CaselessString(equality, out var field, out var literal):
                return new InExpr(equality.Range, Parent(field), new Expr[] { literal }.ToEquatableArray(),
                    IsNegated: equality.Operator == BinaryOperator.NotEqual, IsCaseInsensitive: true);
            case BinaryExpr binary:
                // NOTE: order comparisons, arithmetic, join keys and functions without a '~' form read a
                // .caseless field's value as the event has it, where Elasticsearch reads it lowercased.
                return binary with { Left = Rewrite(binary.Left), Right = Rewrite(binary.Right) };
            case NotExpr not:
                return not with { Operand = Rewrite(not.Operand) };
            case NegateExpr negate:
                return negate with { Operand = Rewrite(negate.Operand) };
            case InExpr inExpr:
                return inExpr with
                {
                    Value = Rewrite(inExpr.Value),
                    Items = Map<Expr>(inExpr.Items, Rewrite),
                    IsCaseInsensitive = inExpr.IsCaseInsensitive || IsCaseless(inExpr.Value),
                };
            case PatternExpr pattern:
                return pattern with
                {
                    Value = Rewrite(pattern.Value),
                    Patterns = Map<Expr>(pattern.Patterns, Rewrite),
                    IsCaseInsensitive = pattern.IsCaseInsensitive || IsCaseless(pattern.Value),
                };
            case CallExpr call:
                bool hasCaseless = false;
                foreach (var argument in call.Arguments)
                {
                    hasCaseless |= IsCaseless(argument);
                }

                return call with
                {
                    Arguments = Map<Expr>(call.Arguments, Rewrite),
                    IsCaseInsensitive = call.IsCaseInsensitive || (hasCaseless && EqlFunctions.Find(call.Name) is { HasCaseInsensitiveForm: true }),
                };
            default:
                return expression;
        }
    }

    private static bool CaselessString(BinaryExpr comparison, out FieldExpr field, out LiteralExpr literal)
    {
        if (comparison.Left is FieldExpr left && IsCaseless(left) && comparison.Right is LiteralExpr { Kind: LiteralKind.String } right)
        {
            (field, literal) = (left, right);
            return true;
        }

        if (comparison.Right is FieldExpr rightField && IsCaseless(rightField) && comparison.Left is LiteralExpr { Kind: LiteralKind.String } leftLiteral)
        {
            (field, literal) = (rightField, leftLiteral);
            return true;
        }

        (field, literal) = (null!, null!);
        return false;
    }

    private static bool IsCaseless(Expr expression) =>
        expression is FieldExpr field && field.Path.Length > Suffix.Length && field.Path.EndsWith(Suffix, StringComparison.Ordinal);

    private static FieldExpr Parent(FieldExpr field) =>
        IsCaseless(field) ? field with { Path = field.Path.Substring(0, field.Path.Length - Suffix.Length) } : field;

    private static EquatableArray<FieldExpr> Fields(EquatableArray<FieldExpr> fields) => Map(fields, Parent);

    private static EquatableArray<T> Map<T>(EquatableArray<T> items, Func<T, T> rewrite)
        where T : IEquatable<T>
    {
        var result = new List<T>(items.Count);
        foreach (var item in items)
        {
            result.Add(rewrite(item));
        }

        return result.ToEquatableArray();
    }
}
