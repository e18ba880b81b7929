using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Kql;

/// <summary>A node of a parsed KQL query. Ranges are offsets into the query text.</summary>
internal abstract record KqlNode(TextRange Range);

internal sealed record KqlOr(TextRange Range, KqlNode Left, KqlNode Right) : KqlNode(Range);

internal sealed record KqlAnd(TextRange Range, KqlNode Left, KqlNode Right) : KqlNode(Range);

internal sealed record KqlNot(TextRange Range, KqlNode Operand) : KqlNode(Range);

/// <summary>The empty query, which matches every event.</summary>
internal sealed record KqlMatchAll(TextRange Range) : KqlNode(Range);

/// <summary>
/// A field name as written, after escapes. <see cref="Parts"/> contains the text between <c>*</c> wildcards,
/// so a name without wildcards has one part.
/// </summary>
internal sealed record KqlField(TextRange Range, string Name, EquatableArray<string> Parts)
{
    public bool HasWildcard => Parts.Count > 1;
}

/// <summary>
/// A value: quoted (a phrase, with <c>*</c> literal) or unquoted. For an unquoted value,
/// <see cref="Parts"/> contains the text between <c>*</c> wildcards, so a plain value has one part and
/// <c>*</c> by itself has two empty parts.
/// </summary>
internal sealed record KqlValue(TextRange Range, string Text, bool IsQuoted, EquatableArray<string> Parts)
{
    public bool HasWildcard => Parts.Count > 1;

    /// <summary>True for an unquoted <c>*</c> by itself, which tests that the field exists.</summary>
    public bool IsExistence => !IsQuoted && Parts.Count == 2 && Parts[0].Length == 0 && Parts[1].Length == 0;
}

/// <summary><c>field:value</c>; a value list such as <c>field:(a or b)</c> becomes one of these per value.</summary>
internal sealed record KqlFieldValue(TextRange Range, KqlField Field, KqlValue Value) : KqlNode(Range);

internal enum KqlRangeOperator
{
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
}

/// <summary><c>field &lt; value</c> and the other range operators.</summary>
internal sealed record KqlRange(TextRange Range, KqlField Field, KqlRangeOperator Operator, KqlValue Value) : KqlNode(Range);

/// <summary>
/// <c>path:{ query }</c>, Elasticsearch's nested query: the inner query, whose field names already start
/// with <see cref="Path"/>, must hold for one object at the path.
/// </summary>
internal sealed record KqlNested(TextRange Range, KqlField Path, KqlNode Inner) : KqlNode(Range);

/// <summary>A value without a field, which Kibana searches in every field.</summary>
internal sealed record KqlFreeText(TextRange Range, KqlValue Value) : KqlNode(Range);

/// <summary>A KQL syntax error at a range of the query text.</summary>
internal sealed class KqlSyntaxException : System.Exception
{
    public KqlSyntaxException(TextRange range, string message)
        : base(message)
    {
        Range = range;
    }

    public TextRange Range { get; }
}
