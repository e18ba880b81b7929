using Compiled.Generators.Helpers;

namespace Compiled.Generators.Eql;

/// <summary>A character range inside the query text; the rule file reader maps it to a line and column.</summary>
internal readonly record struct TextRange(int Start, int Length)
{
    public int End => Start + Length;

    public static TextRange FromTo(TextRange first, TextRange last) => new(first.Start, last.End - first.Start);
}

/// <summary>The root of a parsed EQL query.</summary>
internal abstract record EqlQuery(TextRange Range, EquatableArray<PipeSyntax> Pipes);

/// <summary><c>category where condition</c>; <see cref="EventFilter.Category"/> is null for <c>any</c>.</summary>
internal sealed record EventQuery(TextRange Range, EventFilter Filter, EquatableArray<PipeSyntax> Pipes)
    : EqlQuery(Range, Pipes);

/// <summary><c>sequence [by keys] [with maxspan=T] stage stage ... [until stage]</c>.</summary>
internal sealed record SequenceQuery(
    TextRange Range,
    EquatableArray<FieldExpr> By,
    Duration? Maxspan,
    EquatableArray<SequenceStage> Stages,
    SequenceStage? Until,
    EquatableArray<PipeSyntax> Pipes)
    : EqlQuery(Range, Pipes);

/// <summary><c>sample by keys [filter] [filter] ...</c>.</summary>
internal sealed record SampleQuery(
    TextRange Range,
    EquatableArray<FieldExpr> By,
    EquatableArray<SequenceStage> Filters,
    EquatableArray<PipeSyntax> Pipes)
    : EqlQuery(Range, Pipes);

/// <summary>One bracketed stage of a sequence or sample, with its own join keys, runs and missing flag.</summary>
internal sealed record SequenceStage(TextRange Range, EventFilter Filter, EquatableArray<FieldExpr> By, int Runs, bool IsMissing);

/// <summary>The event category and condition of one query or stage.</summary>
internal sealed record EventFilter(TextRange Range, string? Category, TextRange CategoryRange, Expr Condition);

/// <summary>A time span written as a number and a unit, such as <c>maxspan=1m</c>.</summary>
internal sealed record Duration(TextRange Range, long Milliseconds, string Text);

/// <summary>A pipe such as <c>| head 5</c>.</summary>
internal sealed record PipeSyntax(TextRange Range, string Name, EquatableArray<Expr> Arguments);

/// <summary>An EQL expression.</summary>
internal abstract record Expr(TextRange Range);

/// <summary>A field reference; <see cref="IsOptional"/> is true for <c>?field</c>.</summary>
internal sealed record FieldExpr(TextRange Range, string Path, bool IsOptional) : Expr(Range);

internal enum LiteralKind
{
    Null,
    Boolean,
    Integer,
    Decimal,
    String,
}

/// <summary>A literal; <see cref="Value"/> is the decoded string, or the number or boolean as written.</summary>
internal sealed record LiteralExpr(TextRange Range, LiteralKind Kind, string Value) : Expr(Range);

internal sealed record NotExpr(TextRange Range, Expr Operand) : Expr(Range);

internal enum BinaryOperator
{
    And,
    Or,
    Equal,
    NotEqual,
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

internal sealed record BinaryExpr(TextRange Range, BinaryOperator Operator, Expr Left, Expr Right) : Expr(Range);

/// <summary>Unary minus.</summary>
internal sealed record NegateExpr(TextRange Range, Expr Operand) : Expr(Range);

/// <summary><c>value in (...)</c>, <c>not in</c>, <c>in~</c> and <c>not in~</c>.</summary>
internal sealed record InExpr(TextRange Range, Expr Value, EquatableArray<Expr> Items, bool IsNegated, bool IsCaseInsensitive)
    : Expr(Range);

internal enum PatternKind
{
    /// <summary><c>:</c>, which matches wildcards case-insensitively.</summary>
    Colon,

    /// <summary><c>like</c> and <c>like~</c>.</summary>
    Like,

    /// <summary><c>regex</c> and <c>regex~</c>.</summary>
    Regex,
}

/// <summary><c>value : pattern</c>, <c>like</c>, <c>regex</c> and their lists and <c>~</c> forms.</summary>
internal sealed record PatternExpr(TextRange Range, Expr Value, PatternKind Kind, bool IsCaseInsensitive, EquatableArray<Expr> Patterns)
    : Expr(Range);

/// <summary>A function call; <see cref="IsCaseInsensitive"/> is true for the <c>name~(...)</c> form.</summary>
internal sealed record CallExpr(TextRange Range, string Name, TextRange NameRange, bool IsCaseInsensitive, EquatableArray<Expr> Arguments)
    : Expr(Range);
