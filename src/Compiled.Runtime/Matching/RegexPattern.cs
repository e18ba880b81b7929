using System.Text.RegularExpressions;
using Compiled.Generators.Eql;

namespace Compiled.Runtime.Matching;

/// <summary>
/// A pattern for EQL's <c>regex</c> and <c>regex~</c>: Lucene regular-expression syntax, matched against the whole
/// value. <see cref="LuceneRegex"/> translates it and .NET's non-backtracking engine runs it, so matching time grows
/// linearly with the length of the value and no pattern can backtrack catastrophically. A pattern with Lucene's
/// complement <c>~</c> or intersection <c>&amp;</c> runs on a <see cref="RegexAutomaton"/> instead.
/// </summary>
public sealed class RegexPattern
{
    /// <summary>The time limit of one match on the backtracking engine, used only for patterns too large for the other.</summary>
    public static readonly TimeSpan FallbackTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Regex? _regex;
    private readonly RegexAutomaton? _automaton;

    /// <param name="pattern">The Lucene regular expression as written in the rule.</param>
    /// <param name="ignoreCase">
    /// Whether literal characters also match their case variants, as <c>regex~</c> requires. Ranges and the
    /// predefined classes keep their case, as in Lucene.
    /// </param>
    /// <exception cref="ArgumentException">The pattern is invalid or uses an unsupported operator.</exception>
    public RegexPattern(string pattern, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (!LuceneRegex.TryTranslate(pattern, ignoreCase, out string translated, out string? error, out int errorIndex))
        {
            throw new ArgumentException(
                $"Invalid regular expression \"{pattern}\" at index {errorIndex}: {error}.", nameof(pattern));
        }

        Pattern = pattern;
        IgnoreCase = ignoreCase;
        if (LuceneRegex.UsesAutomatonOperators(translated))
        {
            _automaton = new RegexAutomaton(translated);
            return;
        }

        try
        {
            // The translation writes case variants into the pattern, because RegexOptions.IgnoreCase would also
            // fold ranges such as [a-z], which Lucene does not.
            _regex = new Regex(translated, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            // NOTE: a valid pattern too large for the non-backtracking engine, such as .{0,4000}, runs on the
            // backtracking engine instead, with a time limit per match; a match that runs out of time counts as
            // no match. The generator cannot reject such patterns at build time, because netstandard2.0 has no
            // non-backtracking engine to ask.
            _regex = new Regex(translated, RegexOptions.CultureInvariant, FallbackTimeout);
            UsesFallback = true;
        }
    }

    /// <summary>The pattern as written in the rule.</summary>
    public string Pattern { get; }

    public bool IgnoreCase { get; }

    /// <summary>True when the pattern was too large for the non-backtracking engine and runs with a time limit.</summary>
    public bool UsesFallback { get; }

    /// <summary>
    /// Returns whether the whole value matches. The engine builds its automaton lazily, so a call allocates only
    /// when it needs automaton states that earlier calls did not.
    /// </summary>
    public bool IsMatch(ReadOnlySpan<char> value)
    {
        if (_automaton is not null)
        {
            return _automaton.IsMatch(value);
        }

        if (!UsesFallback)
        {
            return _regex!.IsMatch(value);
        }

        try
        {
            return _regex!.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
