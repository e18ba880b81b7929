using System;
using System.Globalization;
using Compiled.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace Compiled.Generators.Eql;

/// <summary>
/// Checks a parsed query against the rules Elasticsearch applies when it verifies a query, and against
/// what the emitter can compile. Reports each problem at the range of the offending text.
/// </summary>
internal static class EqlBinder
{
    public delegate void Report(DiagnosticDescriptor descriptor, TextRange range, params string[] arguments);

    public static void Check(EqlQuery query, Report report)
    {
        foreach (var pipe in query.Pipes)
        {
            if (pipe.Name is "head" or "tail")
            {
                if (pipe.Arguments.Count != 1 || pipe.Arguments[0] is not LiteralExpr { Kind: LiteralKind.Integer } count ||
                    !int.TryParse(count.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < 1)
                {
                    report(DiagnosticDescriptors.EqlSyntaxError, pipe.Range,
                        $"the '{pipe.Name}' pipe takes one positive whole number, such as '| {pipe.Name} 10'");
                }
            }
            else
            {
                report(DiagnosticDescriptors.EqlSyntaxError, pipe.Range,
                    $"the '{pipe.Name}' pipe is Endgame EQL and Elasticsearch does not support it; only head and tail are allowed");
            }
        }

        switch (query)
        {
            case EventQuery eventQuery:
                CheckExpression(eventQuery.Filter.Condition, report);
                break;
            case SequenceQuery sequence:
                CheckSequence(sequence, report);
                break;
            case SampleQuery sample:
                report(DiagnosticDescriptors.UnsupportedEqlConstruct, sample.Range, "A sample query");
                break;
        }
    }

    private static void CheckSequence(SequenceQuery sequence, Report report)
    {
        int positiveStages = 0;
        foreach (var stage in sequence.Stages)
        {
            if (stage.IsMissing)
            {
                report(DiagnosticDescriptors.UnsupportedEqlConstruct, stage.Range, "A missing-event stage ![...]");
            }
            else
            {
                positiveStages += stage.Runs;
            }

            CheckJoinKeyCount(sequence, stage, report);
            CheckExpression(stage.Filter.Condition, report);
        }

        if (sequence.Until is { } until)
        {
            CheckJoinKeyCount(sequence, until, report);
            CheckExpression(until.Filter.Condition, report);
        }

        if (positiveStages < 2)
        {
            report(DiagnosticDescriptors.EqlSyntaxError, sequence.Range,
                "a sequence needs at least two stages; add a stage or use 'with runs=N' on the only one");
        }
    }

    private static void CheckJoinKeyCount(SequenceQuery sequence, SequenceStage stage, Report report)
    {
        var first = sequence.Stages[0];
        if (stage.By.Count != first.By.Count)
        {
            report(DiagnosticDescriptors.EqlSyntaxError, stage.Range,
                $"every stage must have the same number of 'by' keys: the first stage has {first.By.Count}, this one has {stage.By.Count}");
        }
    }

    private static void CheckExpression(Expr expression, Report report)
    {
        switch (expression)
        {
            case BinaryExpr { Operator: BinaryOperator.And or BinaryOperator.Or } logical:
                CheckExpression(logical.Left, report);
                CheckExpression(logical.Right, report);
                break;
            case NotExpr not:
                CheckExpression(not.Operand, report);
                break;
            case BinaryExpr comparison when IsComparison(comparison.Operator):
                CheckComparison(comparison, report);
                break;
            case InExpr inExpr:
                RequireField(inExpr.Value, "the left side of 'in'", report);
                foreach (var item in inExpr.Items)
                {
                    RequireLiteral(item, "a value in an 'in' list", report);
                }

                break;
            case PatternExpr pattern:
                CheckPattern(pattern, report);
                break;
            case CallExpr call:
                CheckCall(call, report);
                break;
            case FieldExpr:
            case LiteralExpr { Kind: LiteralKind.Boolean }:
                break;
            default:
                CheckOperands(expression, report);
                report(DiagnosticDescriptors.UnsupportedEqlConstruct, expression.Range, $"'{Describe(expression)}' as a condition");
                break;
        }
    }

    private static void CheckComparison(BinaryExpr comparison, Report report)
    {
        if (comparison.Left is FieldExpr && comparison.Right is FieldExpr)
        {
            report(DiagnosticDescriptors.EqlSyntaxError, comparison.Range,
                "Elasticsearch cannot compare a field to another field; compare the field to a literal value");
            return;
        }

        bool fieldAndLiteral = (comparison.Left is FieldExpr && comparison.Right is LiteralExpr)
            || (comparison.Left is LiteralExpr && comparison.Right is FieldExpr);
        if (!fieldAndLiteral)
        {
            CheckOperands(comparison, report);
            report(DiagnosticDescriptors.UnsupportedEqlConstruct, comparison.Range, "A comparison that is not between a field and a literal");
        }
    }

    private static void CheckPattern(PatternExpr pattern, Report report)
    {
        if (pattern.Kind == PatternKind.Regex)
        {
            report(DiagnosticDescriptors.UnsupportedEqlConstruct, pattern.Range, "The 'regex' operator");
            return;
        }

        RequireField(pattern.Value, "the left side of a pattern match", report);
        foreach (var item in pattern.Patterns)
        {
            if (item is not LiteralExpr { Kind: LiteralKind.String })
            {
                report(DiagnosticDescriptors.EqlSyntaxError, item.Range, "a pattern must be a string literal");
            }
        }
    }

    private static void CheckCall(CallExpr call, Report report)
    {
        var function = EqlFunctions.Find(call.Name);
        if (function is null)
        {
            report(DiagnosticDescriptors.UnknownFunction, call.NameRange, call.Name, EqlFunctions.Names);
            return;
        }

        if (call.Arguments.Count < function.MinArguments || call.Arguments.Count > function.MaxArguments)
        {
            string expected = function.MaxArguments == int.MaxValue
                ? $"at least {function.MinArguments}"
                : function.MinArguments == function.MaxArguments
                    ? function.MinArguments.ToString(CultureInfo.InvariantCulture)
                    : $"{function.MinArguments} to {function.MaxArguments}";
            report(DiagnosticDescriptors.WrongArgumentCount, call.Range, function.Name, expected, call.Arguments.Count.ToString(CultureInfo.InvariantCulture));
            return;
        }

        if (call.IsCaseInsensitive && !function.HasCaseInsensitiveForm)
        {
            report(DiagnosticDescriptors.InvalidArgument, call.NameRange, "0", function.Name,
                $"'{function.Name}' has no case-insensitive '~' form; remove the '~'");
            return;
        }

        if (!string.Equals(function.Name, "cidrMatch", StringComparison.Ordinal))
        {
            report(DiagnosticDescriptors.UnsupportedEqlConstruct, call.Range, $"The function '{function.Name}' in a condition");
            return;
        }

        RequireField(call.Arguments[0], "the first argument of cidrMatch", report);
        for (int i = 1; i < call.Arguments.Count; i++)
        {
            var argument = call.Arguments[i];
            if (argument is not LiteralExpr { Kind: LiteralKind.String } literal)
            {
                report(DiagnosticDescriptors.InvalidArgument, argument.Range, (i + 1).ToString(CultureInfo.InvariantCulture), "cidrMatch",
                    "the CIDR blocks of cidrMatch must be string literals such as \"10.0.0.0/8\"");
            }
            else if (!CidrSyntax.IsValid(literal.Value))
            {
                report(DiagnosticDescriptors.InvalidCidr, argument.Range, literal.Value);
            }
        }
    }

    private static void RequireField(Expr expression, string role, Report report)
    {
        if (expression is not FieldExpr)
        {
            report(DiagnosticDescriptors.UnsupportedEqlConstruct, expression.Range, $"An expression other than a field as {role}");
        }
    }

    private static void RequireLiteral(Expr expression, string role, Report report)
    {
        if (expression is not LiteralExpr)
        {
            report(DiagnosticDescriptors.UnsupportedEqlConstruct, expression.Range, $"An expression other than a literal as {role}");
        }
    }

    /// <summary>Reports unknown functions and wrong argument counts inside operands that are not compiled yet.</summary>
    private static void CheckOperands(Expr expression, Report report)
    {
        switch (expression)
        {
            case CallExpr call:
                if (EqlFunctions.Find(call.Name) is null)
                {
                    report(DiagnosticDescriptors.UnknownFunction, call.NameRange, call.Name, EqlFunctions.Names);
                }

                foreach (var argument in call.Arguments)
                {
                    CheckOperands(argument, report);
                }

                break;
            case BinaryExpr binary:
                CheckOperands(binary.Left, report);
                CheckOperands(binary.Right, report);
                break;
            case NegateExpr negate:
                CheckOperands(negate.Operand, report);
                break;
        }
    }

    private static bool IsComparison(BinaryOperator op) =>
        op is BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.LessThan or BinaryOperator.LessThanOrEqual
            or BinaryOperator.GreaterThan or BinaryOperator.GreaterThanOrEqual;

    private static string Describe(Expr expression) => expression switch
    {
        LiteralExpr literal => literal.Value,
        FieldExpr field => field.Path,
        CallExpr call => call.Name + "(...)",
        _ => "this expression",
    };
}
