using System.Collections.Generic;
using System.Linq;
using Compiled.Generators.Eql;
using Compiled.Generators.Kql;

namespace Compiled.Generators.Emission;

/// <summary>One term of a rule's dispatch description: a field's values, prefixes and suffixes, as the runtime's <c>DispatchTerm</c>.</summary>
internal sealed record DispatchTermSpec(string Field, bool IgnoreCase, List<string> Values, List<string> Prefixes, List<string> Suffixes);

/// <summary>
/// Derives the terms a host dispatches rules by, from the conjuncts at the top of each filter. A term
/// must hold for every event the filter matches, so only a conjunct that the rest of the condition
/// cannot overrule gives one (never one under <c>not</c>), and only where the emitted test compares the
/// field's text the same way the runtime index does. A conjunct that is an <c>or</c> splits the filter
/// into one branch per alternative. An event that the filter matches makes one side of the <c>or</c>
/// true, so it passes the terms of that side's branch. The host runs a rule when any branch passes.
/// </summary>
internal sealed class DispatchEmitter
{
    private const string Runtime = "global::Compiled.Runtime.Rules";

    /// <summary>The most branches one filter splits into. An <c>or</c> that would make more gives no terms.</summary>
    private const int MaxBranchesPerFilter = 16;

    private readonly List<List<DispatchTermSpec>> _branches = new();

    /// <summary>The index in <see cref="_branches"/> of the first branch of the current filter.</summary>
    private int _filterStart;

    /// <summary>True while the terms added belong to a filter that gives no branch.</summary>
    private bool _ignoring;

    /// <summary>
    /// Starts the branch of one query, stage or filter. The terms added next belong to it. With
    /// <paramref name="used"/> false, the filter gives no branch and its terms are dropped.
    /// </summary>
    public void StartBranch(bool used = true)
    {
        _ignoring = !used;
        if (used)
        {
            _filterStart = _branches.Count;
            _branches.Add(new List<DispatchTermSpec>());
        }
    }

    /// <summary>
    /// Adds the terms that <paramref name="clause"/> implies, if any. <paramref name="emittedTest"/> is the
    /// C# that rejects the event when the clause is not True, which shows the runtime test the clause uses.
    /// <paramref name="testOf"/> returns the C# emitted for a part of an <c>or</c> clause, or null.
    /// </summary>
    public void AddConjunct(Expr clause, string emittedTest, ICollection<string> dateFields, System.Func<Expr, string?> testOf)
    {
        if (_branches.Count == 0 || _ignoring)
        {
            return;
        }

        if (Derive(clause, emittedTest, dateFields) is { } term)
        {
            for (int i = _filterStart; i < _branches.Count; i++)
            {
                _branches[i].Add(term);
            }

            return;
        }

        var current = _branches.GetRange(_filterStart, _branches.Count - _filterStart);
        if (Split(current, clause, dateFields, testOf) is { } split)
        {
            _branches.RemoveRange(_filterStart, current.Count);
            _branches.AddRange(split);
        }
    }

    /// <summary>
    /// Returns <paramref name="branches"/> split at <paramref name="clause"/> when it is an <c>or</c>. Each branch
    /// appears once per way the <c>or</c> can be true, with that way's terms added. Returns null for any other
    /// clause, or when the split would make more than <see cref="MaxBranchesPerFilter"/> branches.
    /// </summary>
    private static List<List<DispatchTermSpec>>? Split(List<List<DispatchTermSpec>> branches, Expr clause, ICollection<string> dateFields, System.Func<Expr, string?> testOf)
    {
        if (clause is not BinaryExpr { Operator: BinaryOperator.Or } ||
            Alternatives(clause, dateFields, testOf) is not { } alternatives ||
            branches.Count * alternatives.Count > MaxBranchesPerFilter)
        {
            return null;
        }

        return WithoutSubsumed(branches.SelectMany(branch => alternatives.Select(alternative => branch.Concat(alternative).ToList())));
    }

    /// <summary>
    /// Drops each branch whose terms include all terms of another. Every event that passes the larger branch
    /// passes the smaller one's terms too, so the larger would only make the host run the rule more often.
    /// </summary>
    private static List<List<DispatchTermSpec>> WithoutSubsumed(IEnumerable<List<DispatchTermSpec>> branches)
    {
        var minimal = new List<List<DispatchTermSpec>>();
        foreach (var branch in branches)
        {
            if (minimal.Any(smaller => smaller.All(branch.Contains)))
            {
                continue;
            }

            minimal.RemoveAll(larger => branch.All(larger.Contains));
            minimal.Add(branch);
        }

        return minimal;
    }

    /// <summary>
    /// Returns the terms of each way <paramref name="expression"/> can be true: one list per side of each
    /// <c>or</c>, holding the terms of that side's conjuncts. Returns null past <see cref="MaxBranchesPerFilter"/> lists.
    /// </summary>
    private static List<List<DispatchTermSpec>>? Alternatives(Expr expression, ICollection<string> dateFields, System.Func<Expr, string?> testOf)
    {
        if (expression is BinaryExpr { Operator: BinaryOperator.Or } or)
        {
            var left = Alternatives(or.Left, dateFields, testOf);
            var right = left is null ? null : Alternatives(or.Right, dateFields, testOf);
            if (left is null || right is null || left.Count + right.Count > MaxBranchesPerFilter)
            {
                return null;
            }

            return WithoutSubsumed(left.Concat(right));
        }

        var result = new List<List<DispatchTermSpec>> { new() };
        foreach (var clause in ConditionEmitter.Conjuncts(expression))
        {
            if (testOf(clause) is { } test && Derive(clause, test, dateFields) is { } term)
            {
                foreach (var alternative in result)
                {
                    alternative.Add(term);
                }
            }
            else if (Split(result, clause, dateFields, testOf) is { } split)
            {
                result = split;
            }
        }

        return result;
    }

    /// <summary>
    /// Writes the <c>DispatchBranches</c> override, or nothing when some branch has no term, since such
    /// a rule needs every event of its categories anyway.
    /// </summary>
    public void Write(SourceWriter writer, RuleScope scope)
    {
        if (_branches.Count == 0 || _branches.Any(branch => branch.Count == 0))
        {
            return;
        }

        string field = scope.Unique("s_dispatchBranches");
        writer.Line("/// <summary>Terms every event this rule uses passes, one branch per filter, for the host's dispatch.</summary>");
        writer.Line($"private static readonly {Runtime}.DispatchBranch[] {field} = {Runtime}.DispatchBranchJson.Read(");
        writer.Line($"    {CSharpText.RawLiteral(BranchesJson())});");
        writer.Line();
        writer.Line($"public override global::System.Collections.Generic.IReadOnlyList<{Runtime}.DispatchBranch> DispatchBranches => {field};");
        writer.Line();
    }

    /// <summary>
    /// Returns the branches as the JSON that <c>DispatchBranchJson.Read</c> takes: an array of branches,
    /// each an array of terms. One string constant compiles faster than the nested <c>new</c> expressions.
    /// </summary>
    private string BranchesJson()
    {
        var json = new JsonTextWriter();
        json.StartArray();
        foreach (var branch in _branches)
        {
            json.StartArray();
            foreach (var term in branch)
            {
                json.StartObject();
                json.String("field", term.Field);
                if (term.IgnoreCase)
                {
                    json.True("ignore_case");
                }

                json.Strings("values", term.Values);
                json.Strings("prefixes", term.Prefixes);
                json.Strings("suffixes", term.Suffixes);
                json.EndObject();
            }

            json.EndArray();
        }

        json.EndArray();
        return json.ToString();
    }

    private static DispatchTermSpec? Derive(Expr clause, string emittedTest, ICollection<string> dateFields)
    {
        switch (clause)
        {
            case BinaryExpr { Operator: BinaryOperator.Equal } equality
                when emittedTest.StartsWith("Eql.Equal(ev, ", System.StringComparison.Ordinal) && StringComparison(equality, out var field, out var literal) &&
                     !dateFields.Contains(field.Path):
                return new DispatchTermSpec(field.Path, false, new List<string> { literal.Value }, new List<string>(), new List<string>());

            case InExpr { IsNegated: false, Value: FieldExpr field } inExpr
                when (emittedTest.StartsWith("Eql.In(ev, ", System.StringComparison.Ordinal) || emittedTest.StartsWith("Eql.InIgnoreCase(ev, ", System.StringComparison.Ordinal)) &&
                     inExpr.Items.Count > 0 && inExpr.Items.All(item => item is LiteralExpr { Kind: LiteralKind.String }):
                var values = inExpr.Items.Select(item => ((LiteralExpr)item).Value).Distinct().ToList();
                return new DispatchTermSpec(field.Path, inExpr.IsCaseInsensitive, values, new List<string>(), new List<string>());

            case KqlMatchExpr or DescribedExpr or KqlNestedExpr or BinaryExpr { Operator: BinaryOperator.Or }:
                return DeriveKql(clause);

            case PatternExpr { Kind: not PatternKind.Regex, Value: FieldExpr field } pattern
                when emittedTest.StartsWith("Eql.Like(ev, ", System.StringComparison.Ordinal) &&
                     pattern.Patterns.Count > 0 && pattern.Patterns.All(item => item is LiteralExpr { Kind: LiteralKind.String }):
                bool ignoreCase = pattern.Kind == PatternKind.Colon || pattern.IsCaseInsensitive;
                return FromPatterns(field.Path, ignoreCase, pattern.Patterns.Select(item => ((LiteralExpr)item).Value));

            default:
                return null;
        }
    }

    /// <summary>
    /// Derives the term of a KQL condition with Elasticsearch's semantics: a keyword term is exact and
    /// case-sensitive, and a keyword wildcard gives the fixed text at its start or end. Terms on a
    /// <c>.caseless</c> field ignore case, and give a term only when every value is fold-safe. Analyzed text, numbers,
    /// dates, ip addresses, booleans, ranges, existence and wildcard field names give no term. An <c>or</c>
    /// gives a term only when both sides give one on the same field, and a nested query gives the first
    /// term of its inner conjuncts.
    /// </summary>
    private static DispatchTermSpec? DeriveKql(Expr clause)
    {
        switch (clause)
        {
            case DescribedExpr described:
                return DeriveKql(described.Condition);
            case KqlNestedExpr nested:
                // The object that matches is part of the event, so a term of one of its conjuncts holds for the event.
                return ConditionEmitter.Conjuncts(nested.Inner).Select(DeriveKql).FirstOrDefault(term => term is not null);
            case BinaryExpr { Operator: BinaryOperator.Or } or:
                if (DeriveKql(or.Left) is not { } left || DeriveKql(or.Right) is not { } right ||
                    left.Field != right.Field || left.IgnoreCase != right.IgnoreCase)
                {
                    return null;
                }

                return new DispatchTermSpec(
                    left.Field,
                    left.IgnoreCase,
                    left.Values.Concat(right.Values).Distinct().ToList(),
                    left.Prefixes.Concat(right.Prefixes).Distinct().ToList(),
                    left.Suffixes.Concat(right.Suffixes).Distinct().ToList());
            case KqlMatchExpr { Pattern: null, Kind: KqlMatchKind.Keyword } keyword when keyword.Values.Count > 0:
                return new DispatchTermSpec(keyword.Field, false, keyword.Values.Distinct().ToList(), new List<string>(), new List<string>());
            case KqlMatchExpr { Pattern: null, Kind: KqlMatchKind.KeywordLowercase } lowercase when lowercase.Values.Count > 0 &&
                lowercase.Values.All(IsFoldSafe):
                return new DispatchTermSpec(lowercase.Field, true, lowercase.Values.Distinct().ToList(), new List<string>(), new List<string>());
            case KqlMatchExpr { Pattern: null, Kind: KqlMatchKind.KeywordWildcard } wildcard:
                return FromKqlWildcard(wildcard.Field, wildcard.Values[0]);
            default:
                return null;
        }
    }

    /// <summary>
    /// Returns the term for a case-sensitive pattern in Elasticsearch's wildcard syntax, where <c>*</c> and
    /// <c>?</c> are wildcards and a backslash escapes the next character. The longer of the fixed start and
    /// the fixed end becomes a prefix or suffix, a pattern without wildcards is an exact value, and a pattern
    /// with nothing fixed at either end gives no term.
    /// </summary>
    private static DispatchTermSpec? FromKqlWildcard(string field, string pattern)
    {
        var prefix = new System.Text.StringBuilder();
        var suffix = new System.Text.StringBuilder();
        bool seenWildcard = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                c = pattern[++i];
            }
            else if (c is '*' or '?')
            {
                seenWildcard = true;
                suffix.Clear();
                continue;
            }

            (seenWildcard ? suffix : prefix).Append(c);
        }

        var term = new DispatchTermSpec(field, false, new List<string>(), new List<string>(), new List<string>());
        if (!seenWildcard)
        {
            term.Values.Add(prefix.ToString());
        }
        else if (prefix.Length == 0 && suffix.Length == 0)
        {
            return null;
        }
        else if (prefix.Length >= suffix.Length)
        {
            term.Prefixes.Add(prefix.ToString());
        }
        else
        {
            term.Suffixes.Add(suffix.ToString());
        }

        return term;
    }

    private static bool StringComparison(BinaryExpr comparison, out FieldExpr field, out LiteralExpr literal)
    {
        if (comparison.Left is FieldExpr left && comparison.Right is LiteralExpr { Kind: LiteralKind.String } right)
        {
            (field, literal) = (left, right);
            return true;
        }

        if (comparison.Right is FieldExpr rightField && comparison.Left is LiteralExpr { Kind: LiteralKind.String } leftLiteral)
        {
            (field, literal) = (rightField, leftLiteral);
            return true;
        }

        (field, literal) = (null!, null!);
        return false;
    }

    /// <summary>
    /// Classifies wildcard patterns as the runtime's <c>LikePatterns</c> does: no wildcard is an exact value,
    /// <c>abc*</c> a prefix, <c>*abc</c> a suffix, <c>ab*yz</c> the longer of its prefix and suffix. A
    /// pattern with <c>?</c> or several <c>*</c> gives the text before its first wildcard or after its
    /// last. A pattern with nothing fixed at either end, such as <c>*abc*</c>, leaves the list without a term.
    /// </summary>
    private static DispatchTermSpec? FromPatterns(string path, bool ignoreCase, IEnumerable<string> patterns)
    {
        var term = new DispatchTermSpec(path, ignoreCase, new List<string>(), new List<string>(), new List<string>());
        foreach (var pattern in patterns.Distinct())
        {
            int first = pattern.IndexOfAny(new[] { '*', '?' });
            if (first < 0)
            {
                term.Values.Add(pattern);
                continue;
            }

            int last = pattern.LastIndexOfAny(new[] { '*', '?' });
            string prefix = pattern.Substring(0, first);
            string suffix = pattern.Substring(last + 1);
            bool general = pattern.IndexOf('?') >= 0 || first != last;
            if (general && ignoreCase)
            {
                // The general matcher folds case with ToLowerInvariant, and the index with OrdinalIgnoreCase;
                // they agree on ASCII text without 'i' and 'k', which U+0130 and the Kelvin sign lower to.
                prefix = prefix.Substring(0, SafeLength(prefix, fromEnd: false));
                suffix = suffix.Substring(suffix.Length - SafeLength(suffix, fromEnd: true));
            }

            if (prefix.Length == 0 && suffix.Length == 0)
            {
                return null;
            }

            if (prefix.Length >= suffix.Length)
            {
                term.Prefixes.Add(prefix);
            }
            else
            {
                term.Suffixes.Add(suffix);
            }
        }

        return term;
    }

    /// <summary>The length of the run of case-safe characters at the start or the end of <paramref name="text"/>.</summary>
    /// <summary>
    /// True when the ignore-case index, which uses <c>OrdinalIgnoreCase</c>, finds every value that
    /// lowercases to <paramref name="lowered"/>: ASCII text without 'i' and 'k' (see <see cref="SafeLength"/>).
    /// </summary>
    private static bool IsFoldSafe(string lowered) => SafeLength(lowered, fromEnd: false) == lowered.Length;

    private static int SafeLength(string text, bool fromEnd)
    {
        for (int n = 0; n < text.Length; n++)
        {
            char c = fromEnd ? text[text.Length - 1 - n] : text[n];
            if (c > 0x7F || c is 'i' or 'I' or 'k' or 'K')
            {
                return n;
            }
        }

        return text.Length;
    }
}
