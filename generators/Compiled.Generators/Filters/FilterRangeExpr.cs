using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Filters;

/// <summary>How a range filter compares the values of its field, chosen from the field's mapping type.</summary>
internal enum FilterRangeKind
{
    /// <summary>Numbers, as doubles.</summary>
    Number,

    /// <summary>Keyword terms, by Unicode code point.</summary>
    Keyword,

    /// <summary>Values of Elasticsearch's <c>version</c> type, by version order.</summary>
    Version,

    /// <summary>IPv4 and IPv6 addresses, as 128-bit numbers.</summary>
    Ip,

    /// <summary>A <c>date</c> field, compared in whole milliseconds.</summary>
    Date,

    /// <summary>A <c>date_nanos</c> field, compared in nanoseconds.</summary>
    DateNanos,
}

/// <summary>
/// One bound of a range. <see cref="Value"/> is the number in round-trip form, the keyword, version or
/// address text, or for a date the anchor instant in nanoseconds since the epoch. A date bound with
/// <see cref="FromNow"/> starts from the event's time instead of an anchor, and <see cref="Steps"/>
/// contains its date math, such as <c>-1d</c> and <c>/d</c>.
/// </summary>
internal sealed record FilterRangeBound(
    string Value,
    bool Inclusive,
    bool FromNow,
    bool RoundUp,
    int OffsetMinutes,
    EquatableArray<string> Steps)
{
    public static FilterRangeBound Plain(string value, bool inclusive) =>
        new(value, inclusive, FromNow: false, RoundUp: false, OffsetMinutes: 0, EquatableArray<string>.Empty);
}

/// <summary>
/// A range on one field, from a Kibana filter's <c>range</c> query or a <c>query_string</c> range. Like a
/// KQL test it is never null: an event without the field gives False. <see cref="NowField"/> and
/// <see cref="NowFallbackField"/> name the rule's timestamp field, whose value is used as <c>now</c>.
/// </summary>
internal sealed record FilterRangeExpr(
    TextRange Range,
    string Field,
    FilterRangeKind Kind,
    FilterRangeBound? Lower,
    FilterRangeBound? Upper,
    string NowField,
    string? NowFallbackField)
    : Expr(Range);
