namespace Compiled.Runtime.Rules;

/// <summary>
/// A test that an event must pass for a rule to match it: some value of <see cref="Field"/>, by its text,
/// equals one of <see cref="Values"/>, starts with one of <see cref="Prefixes"/> or ends with one of
/// <see cref="Suffixes"/>. With <see cref="IgnoreCase"/> the comparison is
/// <see cref="StringComparison.OrdinalIgnoreCase"/>, otherwise ordinal. A generator emits a term only for
/// a condition that implies it, such as <c>process.name : ("a.exe", "b*")</c> at the top of a query.
/// </summary>
public sealed record DispatchTerm(
    string Field,
    bool IgnoreCase,
    IReadOnlyList<string> Values,
    IReadOnlyList<string> Prefixes,
    IReadOnlyList<string> Suffixes);

/// <summary>
/// One way a rule can use an event, such as one stage of a sequence: the event must pass every term.
/// An empty list of terms accepts every event.
/// </summary>
public sealed record DispatchBranch(IReadOnlyList<DispatchTerm> Terms);
