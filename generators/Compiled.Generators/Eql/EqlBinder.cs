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
                CheckSample(sample, report);
                break;
        }
    }

    private static void CheckSequence(SequenceQuery sequence, Report report)
    {
        int positiveStages = 0;
        foreach (var stage in sequence.Stages)
        {
            if (stage.IsMissing && sequence.Maxspan is null)
            {
                report(DiagnosticDescriptors.EqlSyntaxError, stage.Range,
                    "a sequence with a missing-event stage ![...] needs 'with maxspan=...', as Elasticsearch requires");
            }

            if (!stage.IsMissing)
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

        bool hasMissing = false;
        foreach (var stage in sequence.Stages)
        {
            hasMissing |= stage.IsMissing;
        }

        // Elasticsearch needs two positive stages, or one when the sequence also has missing-event stages.
        if (positiveStages < (hasMissing ? 1 : 2))
        {
            report(DiagnosticDescriptors.EqlSyntaxError, sequence.Range,
                hasMissing
                    ? "a sequence needs at least one stage that is not a missing-event stage ![...]"
                    : "a sequence needs at least two stages; add a stage or use 'with runs=N' on the only one");
        }
    }

    /// <summary>The most filters Elasticsearch allows in a sample query.</summary>
    private const int MaxSampleFilters = 5;

    private static void CheckSample(SampleQuery sample, Report report)
    {
        if (sample.Filters.Count > MaxSampleFilters)
        {
            report(DiagnosticDescriptors.EqlSyntaxError, sample.Filters[MaxSampleFilters].Range,
                $"a sample query takes at most {MaxSampleFilters} filters, as Elasticsearch allows");
        }

        foreach (var filter in sample.Filters)
        {
            if (filter.Runs != 1)
            {
                report(DiagnosticDescriptors.EqlSyntaxError, filter.Range, "'with runs' is not allowed in a sample query");
            }

            if (filter.By.Count != sample.Filters[0].By.Count)
            {
                report(DiagnosticDescriptors.EqlSyntaxError, filter.Range,
                    $"every filter must have the same number of 'by' keys: the first filter has {sample.Filters[0].By.Count}, this one has {filter.By.Count}");
            }

            CheckExpression(filter.Filter.Condition, report);
        }

        if (sample.Pipes.Count > 0)
        {
            report(DiagnosticDescriptors.EqlSyntaxError, sample.Pipes[0].Range, "pipes are not allowed after a sample query");
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

    /// <summary>Checks every node of an expression; a problem in one branch does not hide problems in others.</summary>
    private static void CheckExpression(Expr expression, Report report)
    {
        switch (expression)
        {
            case BinaryExpr binary:
                // Elasticsearch rejects a comparison of two fields, except when one of them is optional (?field).
                if (IsComparison(binary.Operator) && binary.Left is FieldExpr { IsOptional: false } && binary.Right is FieldExpr { IsOptional: false })
                {
                    report(DiagnosticDescriptors.EqlSyntaxError, binary.Range,
                        "Elasticsearch cannot compare a field to another field; compare the field to a literal value");
                }

                CheckExpression(binary.Left, report);
                CheckExpression(binary.Right, report);
                break;
            case NotExpr not:
                CheckExpression(not.Operand, report);
                break;
            case NegateExpr negate:
                CheckExpression(negate.Operand, report);
                break;
            case InExpr inExpr:
                CheckExpression(inExpr.Value, report);
                foreach (var item in inExpr.Items)
                {
                    if (item is not LiteralExpr)
                    {
                        report(DiagnosticDescriptors.EqlSyntaxError, item.Range,
                            "Elasticsearch allows only literal values in an 'in' list; compare with '==' instead");
                    }
                }

                break;
            case PatternExpr pattern:
                CheckPattern(pattern, report);
                break;
            case CallExpr call:
                CheckCall(call, report);
                break;
        }
    }

    private static void CheckPattern(PatternExpr pattern, Report report)
    {
        CheckExpression(pattern.Value, report);
        foreach (var item in pattern.Patterns)
        {
            if (item is not LiteralExpr { Kind: LiteralKind.String } literal)
            {
                report(DiagnosticDescriptors.EqlSyntaxError, item.Range, "a pattern must be a string literal");
            }
            else if (pattern.Kind == PatternKind.Regex)
            {
                if (!LuceneRegex.TryTranslate(literal.Value, pattern.IsCaseInsensitive, out string translated, out string? error, out _))
                {
                    report(DiagnosticDescriptors.InvalidRegex, literal.Range, literal.Value, error ?? "the pattern does not parse");
                }
                else if (LuceneRegex.UsesAutomatonOperators(translated) && !FitsAutomaton(translated, out string? tooComplex))
                {
                    report(DiagnosticDescriptors.InvalidRegex, literal.Range, literal.Value, tooComplex!);
                }
            }
        }
    }

    /// <summary>Builds the automaton of a pattern with '~' or '&amp;', which Elasticsearch rejects past its state limit.</summary>
    private static bool FitsAutomaton(string translated, out string? error)
    {
        try
        {
            _ = new Compiled.Runtime.Matching.RegexAutomaton(translated);
            error = null;
            return true;
        }
        catch (ArgumentException exception)
        {
            error = exception.Message;
            return false;
        }
    }

    private static void CheckCall(CallExpr call, Report report)
    {
        foreach (var argument in call.Arguments)
        {
            CheckExpression(argument, report);
        }

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
            report(DiagnosticDescriptors.InvalidArgument, call.NameRange, "The '~' form", function.Name,
                $"'{function.Name}' has no case-insensitive '~' form; remove the '~'");
            return;
        }

        for (int i = 0; i < call.Arguments.Count; i++)
        {
            CheckArgument(function, i, call.Arguments[i], report);
        }
    }

    /// <summary>
    /// Reports literal arguments of the wrong type, and non-literal arguments where Elasticsearch requires a
    /// literal: the CIDR blocks of cidrMatch, the base of number and the greedy flag of between.
    /// </summary>
    private static void CheckArgument(EqlFunction function, int index, Expr argument, Report report)
    {
        string position = "Argument " + (index + 1).ToString(CultureInfo.InvariantCulture);
        var expected = EqlFunctions.KindOfArgument(function.Name, index);
        bool mustBeLiteral = (function.Name == "cidrMatch" && index > 0)
            || (function.Name == "number" && index == 1)
            || (function.Name == "between" && index == 3);
        if (mustBeLiteral && argument is not LiteralExpr)
        {
            report(DiagnosticDescriptors.InvalidArgument, argument.Range, position, function.Name, $"it must be a literal, {Describe(expected)}");
            return;
        }

        if (argument is not LiteralExpr literal || literal.Kind == LiteralKind.Null)
        {
            return;
        }

        bool matches = expected switch
        {
            ArgumentKind.String => literal.Kind == LiteralKind.String,
            ArgumentKind.Number => literal.Kind is LiteralKind.Integer or LiteralKind.Decimal,
            ArgumentKind.Integer => literal.Kind == LiteralKind.Integer,
            ArgumentKind.Boolean => literal.Kind == LiteralKind.Boolean,
            _ => true,
        };
        if (!matches)
        {
            report(DiagnosticDescriptors.InvalidArgument, argument.Range, position, function.Name, $"'{literal.Value}' is not {Describe(expected)}");
            return;
        }

        if (function.Name == "cidrMatch" && index > 0 && !CidrSyntax.IsValid(literal.Value))
        {
            report(DiagnosticDescriptors.InvalidCidr, argument.Range, literal.Value);
        }
    }

    private static string Describe(ArgumentKind kind) => kind switch
    {
        ArgumentKind.String => "a string",
        ArgumentKind.Number => "a number",
        ArgumentKind.Integer => "a whole number",
        ArgumentKind.Boolean => "a boolean",
        _ => "a value",
    };

    private static bool IsComparison(BinaryOperator op) =>
        op is BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.LessThan or BinaryOperator.LessThanOrEqual
            or BinaryOperator.GreaterThan or BinaryOperator.GreaterThanOrEqual;
}
