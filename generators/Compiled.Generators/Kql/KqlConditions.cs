using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Kql;

/// <summary>How a KQL leaf matches the values of its field, chosen from the field's mapping type.</summary>
internal enum KqlMatchKind
{
    /// <summary><c>field:*</c>: the field has a value.</summary>
    Exists,

    /// <summary>Keyword equality with any of the values: exact and case-sensitive.</summary>
    Keyword,

    /// <summary>
    /// Keyword wildcard in Elasticsearch's wildcard syntax (<c>*</c>, <c>?</c>, <c>\</c> escapes), case-sensitive.
    /// KQL values escape their literal <c>?</c> and <c>\</c>, so only their <c>*</c> is a wildcard.
    /// </summary>
    KeywordWildcard,

    /// <summary>A wildcard filter with <c>case_insensitive</c>.</summary>
    KeywordWildcardIgnoreCase,

    /// <summary>
    /// Keyword equality on a field with a lowercase normalizer: the lowercased value equals any of the
    /// values, which are lowercased as Elasticsearch normalizes a term query's value.
    /// </summary>
    KeywordLowercase,

    /// <summary>Keyword order comparison by UTF-16 code unit.</summary>
    KeywordRange,

    /// <summary>Analyzed text, unquoted: any token of the value matches.</summary>
    Text,

    /// <summary>Analyzed text, quoted: the value's tokens appear in order, next to each other.</summary>
    TextPhrase,

    /// <summary>Analyzed text with a wildcard: the lowercased pattern, in wildcard syntax, matches one token.</summary>
    TextWildcard,

    /// <summary>Addresses or CIDR blocks on an <c>ip</c> field; any of them may contain the value.</summary>
    Ip,

    Number,
    NumberRange,

    /// <summary>A date that names a span at its own precision; <see cref="KqlMatchExpr.Values"/> contains its first and last nanosecond.</summary>
    Date,
    DateRange,

    Boolean,
}

/// <summary>
/// One KQL field test, lowered from <c>field:value</c>, <c>field:*</c> or a range. Unlike an EQL predicate it
/// is never null: a missing field gives False, so <c>not field:value</c> matches events without the field,
/// as Elasticsearch's <c>must_not</c> does. With a <see cref="Pattern"/>, <see cref="Field"/> is the
/// pattern's text and the test reads every event field that the pattern matches.
/// </summary>
internal sealed record KqlMatchExpr(
    TextRange Range,
    string Field,
    KqlMatchKind Kind,
    EquatableArray<string> Values,
    KqlRangeOperator Operator,
    KqlFieldPattern? Pattern = null)
    : Expr(Range);

/// <summary>
/// A field name with <c>*</c> wildcards that is matched against the paths present in each event.
/// <see cref="Parts"/> is the text between the wildcards, and <see cref="Excluded"/> lists the paths that
/// the rule tests with their own mapping type instead.
/// </summary>
internal sealed record KqlFieldPattern(EquatableArray<string> Parts, EquatableArray<string> Excluded);

/// <summary>
/// A KQL nested query: <see cref="Inner"/> must hold with the values of one object at <see cref="Path"/>,
/// such as one element of an array of objects.
/// </summary>
internal sealed record KqlNestedExpr(TextRange Range, string Path, Expr Inner) : Expr(Range);

/// <summary>A condition that came from outside the query text, such as a Kibana filter, with its own description for comments.</summary>
internal sealed record DescribedExpr(TextRange Range, Expr Condition, string Description) : Expr(Range);
