using System;
using System.Collections.Generic;
using System.Text;
using Compiled.Generators.Eql;

namespace Compiled.Generators.Filters;

/// <summary>How a clause of a Lucene boolean query takes part in a match.</summary>
internal enum LuceneOccur
{
    Must,
    Should,
    MustNot,
}

/// <summary>A node of a parsed <c>query_string</c> query. Ranges are offsets into the query text.</summary>
internal abstract class LuceneNode
{
    protected LuceneNode(TextRange range) => Range = range;

    public TextRange Range { get; }
}

/// <summary>A boolean query: its clauses in order, each with how it must occur.</summary>
internal sealed class LuceneBoolean : LuceneNode
{
    public LuceneBoolean(TextRange range, List<(LuceneOccur Occur, LuceneNode Query)> clauses)
        : base(range) => Clauses = clauses;

    public List<(LuceneOccur Occur, LuceneNode Query)> Clauses { get; }
}

/// <summary>
/// A term or phrase on a field, or on the default field when <see cref="Field"/> is null. <see cref="Text"/>
/// is the value with escapes removed. <see cref="Pattern"/> is the value in Elasticsearch's wildcard syntax when
/// it contains an unescaped <c>*</c> or <c>?</c>, and null otherwise.
/// </summary>
internal sealed class LuceneTerm : LuceneNode
{
    public LuceneTerm(TextRange range, string? field, TextRange fieldRange, string text, bool quoted, string? pattern)
        : base(range)
    {
        Field = field;
        FieldRange = fieldRange;
        Text = text;
        IsQuoted = quoted;
        Pattern = pattern;
    }

    public string? Field { get; }

    public TextRange FieldRange { get; }

    public string Text { get; }

    public bool IsQuoted { get; }

    public string? Pattern { get; }
}

/// <summary>A range such as <c>field:[1 TO 5}</c> or <c>field:&gt;=1</c>. A null bound is open.</summary>
internal sealed class LuceneRange : LuceneNode
{
    public LuceneRange(TextRange range, string? field, (string Text, TextRange Range)? lower, bool includeLower, (string Text, TextRange Range)? upper, bool includeUpper)
        : base(range)
    {
        Field = field;
        Lower = lower;
        IncludeLower = includeLower;
        Upper = upper;
        IncludeUpper = includeUpper;
    }

    public string? Field { get; }

    public (string Text, TextRange Range)? Lower { get; }

    public bool IncludeLower { get; }

    public (string Text, TextRange Range)? Upper { get; }

    public bool IncludeUpper { get; }
}

/// <summary><c>_exists_:field</c> or <c>field:*</c>.</summary>
internal sealed class LuceneExists : LuceneNode
{
    public LuceneExists(TextRange range, string field)
        : base(range) => Field = field;

    public string Field { get; }
}

/// <summary><c>*:*</c>, which matches every document.</summary>
internal sealed class LuceneMatchAll : LuceneNode
{
    public LuceneMatchAll(TextRange range)
        : base(range)
    {
    }
}

/// <summary>A <c>query_string</c> syntax error, or syntax Compiled does not support, at a range of the query.</summary>
internal sealed class LuceneSyntaxException : Exception
{
    public LuceneSyntaxException(TextRange range, string message)
        : base(message) => Range = range;

    public TextRange Range { get; }
}

/// <summary>
/// Parses the query of an Elasticsearch <c>query_string</c> query: Lucene's classic query syntax with
/// <c>AND</c>, <c>OR</c>, <c>NOT</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>!</c>, <c>+</c>, <c>-</c>, groups, field groups,
/// phrases, <c>*</c> and <c>?</c> wildcards, <c>[a TO b]</c> and <c>{a TO b}</c> ranges, <c>&gt;</c>, <c>&gt;=</c>,
/// <c>&lt;</c>, <c>&lt;=</c>, <c>_exists_</c> and boosts, which do not change matching. Regular expressions,
/// fuzzy terms and proximity are rejected with a <see cref="LuceneSyntaxException"/> that names them.
/// </summary>
/// <remarks>
/// Clauses combine as Lucene's <c>QueryParserBase.addClause</c> combines them. <c>AND</c> makes the clauses on
/// both sides required. Under the default operator OR, a clause without an operator is optional, and under
/// AND it is required unless <c>OR</c> introduces it. <c>NOT</c> and <c>-</c> prohibit a clause.
/// </remarks>
internal sealed class LuceneQueryParser
{
    /// <summary>The maximum depth of nested groups, which keeps the recursive parser within the stack.</summary>
    private const int MaxGroupDepth = 256;

    private readonly string _text;
    private readonly bool _defaultAnd;
    private int _position;
    private int _depth;

    private LuceneQueryParser(string text, bool defaultAnd)
    {
        _text = text;
        _defaultAnd = defaultAnd;
    }

    private enum Conjunction
    {
        None,
        And,
        Or,
    }

    private enum Modifier
    {
        None,
        Required,
        Prohibited,
    }

    /// <param name="text">The query.</param>
    /// <param name="defaultAnd">True when <c>default_operator</c> is AND.</param>
    public static LuceneNode Parse(string text, bool defaultAnd)
    {
        var parser = new LuceneQueryParser(text, defaultAnd);
        parser.SkipSpace();
        if (parser._position == text.Length)
        {
            // Elasticsearch matches no document for an empty query_string.
            return new LuceneBoolean(new TextRange(0, 0), new List<(LuceneOccur, LuceneNode)>());
        }

        var query = parser.Query(null);
        if (parser._position < text.Length)
        {
            char extra = text[parser._position];
            throw parser.Error(parser._position, 1, extra == ')' ? "unmatched ')'" : $"unexpected '{extra}' after the query");
        }

        return query;
    }

    private LuceneNode Query(string? field)
    {
        int start = _position;
        var clauses = new List<(LuceneOccur Occur, LuceneNode Query)>();
        LuceneNode? single = null;
        bool first = true;
        while (true)
        {
            SkipSpace();
            if (_position >= _text.Length || _text[_position] == ')')
            {
                break;
            }

            var conjunction = first ? Conjunction.None : ReadConjunction();
            var modifier = ReadModifier();
            var clause = Clause(field);
            AddClause(clauses, conjunction, modifier, clause);
            if (first && modifier == Modifier.None)
            {
                single = clause;
            }

            first = false;
        }

        if (clauses.Count == 0)
        {
            throw Error(start, Math.Max(1, _position - start), "expected a query");
        }

        return clauses.Count == 1 && single is not null ? single : new LuceneBoolean(new TextRange(start, _position - start), clauses);
    }

    private void AddClause(List<(LuceneOccur Occur, LuceneNode Query)> clauses, Conjunction conjunction, Modifier modifier, LuceneNode query)
    {
        int last = clauses.Count - 1;
        if (last >= 0 && conjunction == Conjunction.And && clauses[last].Occur != LuceneOccur.MustNot)
        {
            clauses[last] = (LuceneOccur.Must, clauses[last].Query);
        }

        if (last >= 0 && _defaultAnd && conjunction == Conjunction.Or && clauses[last].Occur != LuceneOccur.MustNot)
        {
            clauses[last] = (LuceneOccur.Should, clauses[last].Query);
        }

        bool prohibited = modifier == Modifier.Prohibited;
        bool required;
        if (_defaultAnd)
        {
            required = !prohibited && conjunction != Conjunction.Or;
        }
        else
        {
            required = modifier == Modifier.Required || (conjunction == Conjunction.And && !prohibited);
        }

        var occur = LuceneOccur.Should;
        if (prohibited)
        {
            occur = LuceneOccur.MustNot;
        }
        else if (required)
        {
            occur = LuceneOccur.Must;
        }

        clauses.Add((occur, query));
    }

    private Conjunction ReadConjunction()
    {
        if (TryWord("AND") || TrySymbol("&&"))
        {
            return Conjunction.And;
        }

        if (TryWord("OR") || TrySymbol("||"))
        {
            return Conjunction.Or;
        }

        return Conjunction.None;
    }

    private Modifier ReadModifier()
    {
        SkipSpace();
        if (TrySymbol("+"))
        {
            return Modifier.Required;
        }

        if (TrySymbol("-") || TrySymbol("!") || TryWord("NOT"))
        {
            return Modifier.Prohibited;
        }

        return Modifier.None;
    }

    private LuceneNode Clause(string? field)
    {
        SkipSpace();
        int start = _position;
        TextRange fieldRange = default;
        if (field is null && TryFieldName(out string? name, out fieldRange))
        {
            field = name;
        }

        SkipSpace();
        if (Peek() == '(')
        {
            int groupStart = _position++;
            if (++_depth > MaxGroupDepth)
            {
                throw Error(groupStart, 1, $"groups nest deeper than {MaxGroupDepth} levels");
            }

            var inner = Query(field);
            _depth--;
            SkipSpace();
            if (Peek() != ')')
            {
                throw Error(groupStart, 1, "the group opened here is not closed with ')'");
            }

            _position++;
            SkipBoost();
            return inner;
        }

        return Term(start, field, fieldRange);
    }

    /// <summary>Reads <c>name:</c> when the text at the position is a field name followed by a colon.</summary>
    private bool TryFieldName(out string? name, out TextRange range)
    {
        name = null;
        range = default;
        int start = _position;
        if (Peek() is '"' or '(' or '[' or '{' or '/' or '>' or '<')
        {
            return false;
        }

        var (text, _, _) = ReadTermText();
        int end = _position;

        // Lucene skips white space between tokens, so "field : value" names a field too.
        SkipSpace();
        if (text.Length == 0 || Peek() != ':')
        {
            _position = start;
            return false;
        }

        range = new TextRange(start, end - start);
        _position++;
        name = text;
        return true;
    }

    private LuceneNode Term(int start, string? field, TextRange fieldRange)
    {
        char next = Peek();
        LuceneNode node;
        if (next == '"')
        {
            string phrase = ReadQuoted();
            if (Peek() == '~')
            {
                throw Error(_position, 1, "proximity searches (\"...\"~N) are not supported");
            }

            node = new LuceneTerm(new TextRange(start, _position - start), field, fieldRange, phrase, quoted: true, pattern: null);
        }
        else if (next is '[' or '{')
        {
            node = BracketRange(start, field);
        }
        else if (next is '>' or '<')
        {
            node = Comparison(start, field);
        }
        else if (next == '/')
        {
            throw Error(_position, 1, "regular expressions (/.../) are not supported");
        }
        else
        {
            int valueStart = _position;
            var (text, pattern, hasWildcard) = ReadTermText();
            if (text.Length == 0 && !hasWildcard)
            {
                if (_position >= _text.Length)
                {
                    throw Error(valueStart, 1, "expected a term, but the query ends");
                }

                throw Error(valueStart, 1, $"expected a term, found '{_text[_position]}'");
            }

            if (Peek() == '~')
            {
                throw Error(_position, 1, $"fuzzy searches ({text}~) are not supported");
            }

            var range = new TextRange(start, _position - start);
            if (field == "_exists_")
            {
                node = new LuceneExists(range, text);
            }
            else if (hasWildcard && pattern == "*")
            {
                node = field is null or "*" ? new LuceneMatchAll(range) : new LuceneExists(range, field);
            }
            else
            {
                node = new LuceneTerm(range, field, fieldRange, text, quoted: false, hasWildcard ? pattern : null);
            }
        }

        SkipBoost();
        return node;
    }

    private LuceneNode BracketRange(int start, string? field)
    {
        bool includeLower = _text[_position] == '[';
        _position++;
        var lower = RangeBound();
        SkipSpace();
        if (!TryWord("TO"))
        {
            throw Error(_position, 1, "a range needs 'TO' between its bounds, as in [1 TO 5]");
        }

        var upper = RangeBound();
        SkipSpace();
        char close = Peek();
        if (close is not (']' or '}'))
        {
            throw Error(start, _position - start, "the range is not closed with ']' or '}'");
        }

        _position++;
        return new LuceneRange(new TextRange(start, _position - start), field, lower, includeLower, upper, close == ']');
    }

    private (string Text, TextRange Range)? RangeBound()
    {
        SkipSpace();
        int start = _position;
        string text;
        if (Peek() == '"')
        {
            text = ReadQuoted();
        }
        else
        {
            var builder = new StringBuilder();
            while (_position < _text.Length && !char.IsWhiteSpace(_text[_position]) && _text[_position] is not (']' or '}'))
            {
                if (_text[_position] == '\\' && _position + 1 < _text.Length)
                {
                    _position++;
                }

                builder.Append(_text[_position++]);
            }

            text = builder.ToString();
            if (text.Length == 0)
            {
                throw Error(start, 1, "expected a range bound");
            }

            if (text == "*")
            {
                return null;
            }
        }

        return (text, new TextRange(start, _position - start));
    }

    private LuceneNode Comparison(int start, string? field)
    {
        bool greater = _text[_position] == '>';
        _position++;
        bool inclusive = Peek() == '=';
        if (inclusive)
        {
            _position++;
        }

        int valueStart = _position;
        string text = Peek() == '"' ? ReadQuoted() : ReadTermText().Text;
        if (text.Length == 0)
        {
            throw Error(valueStart, 1, "expected a value after the comparison");
        }

        var bound = (text, new TextRange(valueStart, _position - valueStart));
        var range = new TextRange(start, _position - start);
        return greater
            ? new LuceneRange(range, field, bound, inclusive, null, true)
            : new LuceneRange(range, field, null, true, bound, inclusive);
    }

    /// <summary>
    /// Reads an unquoted term. Returns its text without escapes, the same text in Elasticsearch's wildcard
    /// syntax (unescaped <c>*</c> and <c>?</c> kept, literal ones escaped), and whether it has a wildcard.
    /// </summary>
    private (string Text, string Pattern, bool HasWildcard) ReadTermText()
    {
        var text = new StringBuilder();
        var pattern = new StringBuilder();
        bool wildcard = false;
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (c == '\\')
            {
                if (_position + 1 >= _text.Length)
                {
                    throw Error(_position, 1, "the query ends with an escape character '\\'");
                }

                char escaped = _text[_position + 1];
                text.Append(escaped);
                if (escaped is '*' or '?' or '\\')
                {
                    pattern.Append('\\');
                }

                pattern.Append(escaped);
                _position += 2;
                continue;
            }

            if (char.IsWhiteSpace(c) || c is '(' or ')' or ':' or '^' or '[' or ']' or '"' or '{' or '}' or '~' or '/' ||
                (text.Length == 0 && !wildcard && c is '+' or '-' or '!'))
            {
                break;
            }

            if (c is '*' or '?')
            {
                wildcard = true;
            }
            else
            {
                text.Append(c);
            }

            pattern.Append(c);
            _position++;
        }

        return (wildcard ? pattern.ToString() : text.ToString(), pattern.ToString(), wildcard);
    }

    private string ReadQuoted()
    {
        int start = _position;
        _position++;
        var text = new StringBuilder();
        while (_position < _text.Length && _text[_position] != '"')
        {
            if (_text[_position] == '\\' && _position + 1 < _text.Length)
            {
                _position++;
            }

            text.Append(_text[_position++]);
        }

        if (_position >= _text.Length)
        {
            throw Error(start, _text.Length - start, "the quoted phrase is not closed with '\"'");
        }

        _position++;
        return text.ToString();
    }

    /// <summary>Skips <c>^2</c> or <c>^0.5</c>: a boost changes the score, not which documents match.</summary>
    private void SkipBoost()
    {
        if (Peek() != '^')
        {
            return;
        }

        int start = _position++;
        while (_position < _text.Length && (char.IsDigit(_text[_position]) || _text[_position] == '.'))
        {
            _position++;
        }

        if (_position == start + 1)
        {
            throw Error(start, 1, "a boost '^' needs a number, as in ^2");
        }
    }

    private bool TryWord(string word)
    {
        SkipSpace();
        if (string.CompareOrdinal(_text, _position, word, 0, word.Length) != 0)
        {
            return false;
        }

        int end = _position + word.Length;
        if (end < _text.Length && !char.IsWhiteSpace(_text[end]) && _text[end] is not ('(' or '"'))
        {
            return false;
        }

        _position = end;
        return true;
    }

    private bool TrySymbol(string symbol)
    {
        SkipSpace();
        if (string.CompareOrdinal(_text, _position, symbol, 0, symbol.Length) != 0)
        {
            return false;
        }

        _position += symbol.Length;
        return true;
    }

    private void SkipSpace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private LuceneSyntaxException Error(int start, int length, string message) =>
        new(new TextRange(start, Math.Max(0, Math.Min(length, _text.Length - start))), message);
}
