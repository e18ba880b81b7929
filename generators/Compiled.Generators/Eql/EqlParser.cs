using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Eql;

/// <summary>
/// A recursive-descent parser for Elasticsearch EQL. Precedence from loosest to tightest:
/// <c>or</c>, <c>and</c>, <c>not</c>, comparisons and predicates (<c>in</c>, <c>:</c>, <c>like</c>,
/// <c>regex</c>), <c>+ -</c>, <c>* / %</c>, unary minus.
/// </summary>
internal sealed class EqlParser
{
    private static readonly HashSet<string> ReservedWords = new()
    {
        "and", "or", "not", "in", "like", "regex", "where", "sequence", "sample", "join", "by", "with", "until",
        "true", "false", "null", "of",
    };

    /// <summary>The maximum nesting of parentheses, function calls and unary operators.</summary>
    public const int MaxNesting = 100;

    /// <summary>The maximum depth of the expression tree, which long and/or chains also build up.</summary>
    public const int MaxDepth = 1000;

    private readonly List<Token> _tokens;
    private int _position;
    private int _nesting;

    private EqlParser(List<Token> tokens) => _tokens = tokens;

    /// <summary>Parses a whole query; throws <see cref="EqlSyntaxException"/> at the first error.</summary>
    public static EqlQuery Parse(string text)
    {
        var parser = new EqlParser(EqlLexer.Tokenize(text));
        var query = parser.ParseQuery();
        CheckDepth(query);
        return query;
    }

    /// <summary>
    /// Rejects expression trees deeper than <see cref="MaxDepth"/>, walking them without recursion, so that
    /// the recursive checks and emitters that follow cannot overflow the stack.
    /// </summary>
    private static void CheckDepth(EqlQuery query)
    {
        var roots = new List<Expr>();
        switch (query)
        {
            case EventQuery eventQuery:
                roots.Add(eventQuery.Filter.Condition);
                break;
            case SequenceQuery sequence:
                foreach (var stage in sequence.Stages)
                {
                    roots.Add(stage.Filter.Condition);
                }

                if (sequence.Until is { } until)
                {
                    roots.Add(until.Filter.Condition);
                }

                break;
            case SampleQuery sample:
                foreach (var filter in sample.Filters)
                {
                    roots.Add(filter.Filter.Condition);
                }

                break;
        }

        var pending = new Stack<(Expr Node, int Depth)>();
        foreach (var root in roots)
        {
            pending.Push((root, 1));
        }

        while (pending.Count > 0)
        {
            var (node, depth) = pending.Pop();
            if (depth > MaxDepth)
            {
                throw new EqlSyntaxException($"the expression is more than {MaxDepth} operators deep; split long and/or chains into an 'in' list or several rules", node.Range);
            }

            foreach (var child in Children(node))
            {
                pending.Push((child, depth + 1));
            }
        }
    }

    private static IEnumerable<Expr> Children(Expr node)
    {
        switch (node)
        {
            case BinaryExpr binary:
                yield return binary.Left;
                yield return binary.Right;
                break;
            case NotExpr not:
                yield return not.Operand;
                break;
            case NegateExpr negate:
                yield return negate.Operand;
                break;
            case InExpr inExpr:
                yield return inExpr.Value;
                foreach (var item in inExpr.Items)
                {
                    yield return item;
                }

                break;
            case PatternExpr pattern:
                yield return pattern.Value;
                break;
            case CallExpr call:
                foreach (var argument in call.Arguments)
                {
                    yield return argument;
                }

                break;
        }
    }

    private Token Current => _tokens[_position];

    private Token Peek(int offset) => _tokens[System.Math.Min(_position + offset, _tokens.Count - 1)];

    private Token Advance() => _tokens[_position++];

    private EqlQuery ParseQuery()
    {
        var first = Current;
        EqlQuery query;
        if (first.IsKeyword("sequence"))
        {
            query = ParseSequence();
        }
        else if (first.IsKeyword("sample"))
        {
            query = ParseSample();
        }
        else if (first.IsKeyword("join"))
        {
            throw new EqlSyntaxException("'join' is an Endgame EQL query that Elasticsearch does not support; use 'sequence'", first.Range);
        }
        else
        {
            var filter = ParseEventFilter();
            query = new EventQuery(filter.Range, filter, EquatableArray<PipeSyntax>.Empty);
        }

        var pipes = ParsePipes();
        if (Current.Kind != TokenKind.End)
        {
            throw Unexpected("the end of the query");
        }

        return query switch
        {
            EventQuery e => e with { Pipes = pipes, Range = TextRange.FromTo(first.Range, Previous().Range) },
            SequenceQuery s => s with { Pipes = pipes, Range = TextRange.FromTo(first.Range, Previous().Range) },
            SampleQuery s => s with { Pipes = pipes, Range = TextRange.FromTo(first.Range, Previous().Range) },
            _ => query,
        };
    }

    private Token Previous() => _tokens[System.Math.Max(0, _position - 1)];

    private SequenceQuery ParseSequence()
    {
        var start = Advance();
        var by = EquatableArray<FieldExpr>.Empty;
        Duration? maxspan = null;
        for (int clause = 0; clause < 2; clause++)
        {
            if (Current.IsKeyword("by") && by.Count == 0)
            {
                Advance();
                by = ParseJoinKeys();
            }
            else if (Current.IsKeyword("with") && maxspan is null)
            {
                Advance();
                ExpectKeyword("maxspan");
                Expect("=");
                maxspan = ParseDuration();
            }
        }

        var stages = new List<SequenceStage>();
        SequenceStage? until = null;
        while (Current.Is("[") || Current.Is("!"))
        {
            stages.Add(ParseStage(allowMissing: true));
        }

        if (Current.IsKeyword("until"))
        {
            Advance();
            until = ParseStage(allowMissing: false);
        }

        if (stages.Count == 0)
        {
            throw Unexpected("a bracketed stage such as [process where true]");
        }

        return new SequenceQuery(TextRange.FromTo(start.Range, Previous().Range), by, maxspan, stages.ToEquatableArray(), until, EquatableArray<PipeSyntax>.Empty);
    }

    private SampleQuery ParseSample()
    {
        var start = Advance();
        var by = EquatableArray<FieldExpr>.Empty;
        if (Current.IsKeyword("by"))
        {
            Advance();
            by = ParseJoinKeys();
        }

        var filters = new List<SequenceStage>();
        while (Current.Is("["))
        {
            filters.Add(ParseStage(allowMissing: false));
        }

        if (filters.Count == 0)
        {
            throw Unexpected("a bracketed filter such as [process where true]");
        }

        return new SampleQuery(TextRange.FromTo(start.Range, Previous().Range), by, filters.ToEquatableArray(), EquatableArray<PipeSyntax>.Empty);
    }

    private SequenceStage ParseStage(bool allowMissing)
    {
        var start = Current;
        bool missing = false;
        if (Current.Is("!"))
        {
            if (!allowMissing)
            {
                throw new EqlSyntaxException("a missing-event stage ![...] is only allowed inside a sequence", Current.Range);
            }

            missing = true;
            Advance();
        }

        Expect("[");
        var filter = ParseEventFilter();
        Expect("]");
        var by = EquatableArray<FieldExpr>.Empty;
        int runs = 1;
        if (Current.IsKeyword("by"))
        {
            Advance();
            by = ParseJoinKeys();
        }

        if (Current.IsKeyword("with"))
        {
            Advance();
            ExpectKeyword("runs");
            Expect("=");
            var count = Current;
            if (count.Kind != TokenKind.Integer || !int.TryParse(count.Text, NumberStyles.None, CultureInfo.InvariantCulture, out runs) ||
                runs < 1 || runs > 100)
            {
                throw new EqlSyntaxException($"invalid runs value '{count.Text}'; write a whole number from 1 to 100", count.Range);
            }

            Advance();
        }

        return new SequenceStage(TextRange.FromTo(start.Range, Previous().Range), filter, by, runs, missing);
    }

    private EquatableArray<FieldExpr> ParseJoinKeys()
    {
        var keys = new List<FieldExpr> { ParseField() };
        while (Current.Is(","))
        {
            Advance();
            keys.Add(ParseField());
        }

        return keys.ToEquatableArray();
    }

    private Duration ParseDuration()
    {
        var number = Current;
        if (number.Kind != TokenKind.Integer)
        {
            throw new EqlSyntaxException($"invalid maxspan '{number.Text}'; write a whole number and a unit (ms, s, m, h or d), such as 5m", number.Range);
        }

        Advance();
        var unit = Current;
        long factor = unit.Kind == TokenKind.Identifier ? unit.Text switch
        {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => 0,
        } : 0;

        var range = TextRange.FromTo(number.Range, unit.Kind == TokenKind.Identifier ? unit.Range : number.Range);
        if (factor == 0)
        {
            throw new DurationException(number.Text + (unit.Kind == TokenKind.Identifier ? unit.Text : string.Empty), range);
        }

        Advance();
        if (!long.TryParse(number.Text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value == 0 || value > long.MaxValue / factor / 1_000_000)
        {
            throw new DurationException(number.Text + unit.Text, range);
        }

        return new Duration(range, value * factor, number.Text + unit.Text);
    }

    private EventFilter ParseEventFilter()
    {
        var categoryToken = Current;
        string? category;
        if (categoryToken.IsKeyword("any"))
        {
            category = null;
        }
        else if (categoryToken.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier or TokenKind.String && !IsReserved(categoryToken))
        {
            category = categoryToken.Text;
        }
        else
        {
            throw Unexpected("an event category such as 'process' or 'any'");
        }

        Advance();
        ExpectKeyword("where");
        var condition = ParseExpression();
        return new EventFilter(TextRange.FromTo(categoryToken.Range, condition.Range), category, categoryToken.Range, condition);
    }

    private EquatableArray<PipeSyntax> ParsePipes()
    {
        var pipes = new List<PipeSyntax>();
        while (Current.Is("|"))
        {
            var bar = Advance();
            var name = Current;
            if (name.Kind != TokenKind.Identifier)
            {
                throw Unexpected("a pipe name such as head or tail");
            }

            Advance();
            var arguments = new List<Expr>();
            while (Current.Kind != TokenKind.End && !Current.Is("|"))
            {
                arguments.Add(ParsePrimary());
                if (Current.Is(","))
                {
                    Advance();
                }
            }

            pipes.Add(new PipeSyntax(TextRange.FromTo(bar.Range, Previous().Range), name.Text, arguments.ToEquatableArray()));
        }

        return pipes.ToEquatableArray();
    }

    private Expr ParseExpression()
    {
        if (++_nesting > MaxNesting)
        {
            throw new EqlSyntaxException($"the expression is nested more than {MaxNesting} levels deep; simplify it", Current.Range);
        }

        try
        {
            return ParseOr();
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsKeyword("or"))
        {
            Advance();
            var right = ParseAnd();
            left = new BinaryExpr(TextRange.FromTo(left.Range, right.Range), BinaryOperator.Or, left, right);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsKeyword("and"))
        {
            Advance();
            var right = ParseNot();
            left = new BinaryExpr(TextRange.FromTo(left.Range, right.Range), BinaryOperator.And, left, right);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsKeyword("not"))
        {
            var not = Advance();
            var operand = Nested(ParseNot);
            return new NotExpr(TextRange.FromTo(not.Range, operand.Range), operand);
        }

        return ParsePredicate();
    }

    /// <summary>Runs a recursive step and counts it against <see cref="MaxNesting"/>.</summary>
    private Expr Nested(System.Func<Expr> parse)
    {
        if (++_nesting > MaxNesting)
        {
            throw new EqlSyntaxException($"the expression is nested more than {MaxNesting} levels deep; simplify it", Current.Range);
        }

        try
        {
            return parse();
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParsePredicate()
    {
        var value = ParseAdditive();
        var token = Current;
        if (token.Kind == TokenKind.Symbol)
        {
            BinaryOperator? comparison = token.Text switch
            {
                "==" => BinaryOperator.Equal,
                "!=" => BinaryOperator.NotEqual,
                "<" => BinaryOperator.LessThan,
                "<=" => BinaryOperator.LessThanOrEqual,
                ">" => BinaryOperator.GreaterThan,
                ">=" => BinaryOperator.GreaterThanOrEqual,
                _ => null,
            };
            if (comparison is { } op)
            {
                Advance();
                var right = ParseAdditive();
                return new BinaryExpr(TextRange.FromTo(value.Range, right.Range), op, value, right);
            }

            if (token.Is("="))
            {
                throw new EqlSyntaxException("'=' is not an Elasticsearch EQL operator; use '==' for equality", token.Range);
            }

            if (token.Is(":"))
            {
                Advance();
                var patterns = ParsePatternList();
                return new PatternExpr(TextRange.FromTo(value.Range, Previous().Range), value, PatternKind.Colon, true, patterns);
            }
        }

        if (token.IsKeyword("not") && Peek(1).IsKeyword("in"))
        {
            Advance();
            return ParseIn(value, negated: true);
        }

        if (token.IsKeyword("in"))
        {
            return ParseIn(value, negated: false);
        }

        if (token.IsKeyword("like") || token.IsKeyword("regex"))
        {
            Advance();
            bool insensitive = ConsumeTilde(token);
            var patterns = ParsePatternList();
            var kind = token.Text == "like" ? PatternKind.Like : PatternKind.Regex;
            return new PatternExpr(TextRange.FromTo(value.Range, Previous().Range), value, kind, insensitive, patterns);
        }

        return value;
    }

    private InExpr ParseIn(Expr value, bool negated)
    {
        var inToken = Advance();
        bool insensitive = ConsumeTilde(inToken);
        Expect("(");
        var items = ParseExpressionList();
        Expect(")");
        return new InExpr(TextRange.FromTo(value.Range, Previous().Range), value, items, negated, insensitive);
    }

    /// <summary>Consumes a <c>~</c> written right after <paramref name="keyword"/>, as in <c>like~</c>.</summary>
    private bool ConsumeTilde(Token keyword)
    {
        if (Current.Is("~") && Current.Range.Start == keyword.Range.End)
        {
            Advance();
            return true;
        }

        return false;
    }

    private EquatableArray<Expr> ParsePatternList()
    {
        if (Current.Is("("))
        {
            Advance();
            var items = ParseExpressionList();
            Expect(")");
            return items;
        }

        return ImmutableArray.Create(ParseAdditive()).ToEquatableArray();
    }

    private EquatableArray<Expr> ParseExpressionList()
    {
        var items = new List<Expr>();
        if (Current.Is(")"))
        {
            throw Unexpected("at least one value");
        }

        items.Add(ParseExpression());
        while (Current.Is(","))
        {
            Advance();

            // A trailing comma before the closing parenthesis is accepted, as in many corpus rules' lists.
            if (Current.Is(")"))
            {
                break;
            }

            items.Add(ParseExpression());
        }

        return items.ToEquatableArray();
    }

    private Expr ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Current.Is("+") || Current.Is("-"))
        {
            var op = Advance().Text == "+" ? BinaryOperator.Add : BinaryOperator.Subtract;
            var right = ParseMultiplicative();
            left = new BinaryExpr(TextRange.FromTo(left.Range, right.Range), op, left, right);
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParseUnary();
        while (Current.Is("*") || Current.Is("/") || Current.Is("%"))
        {
            var op = Advance().Text switch
            {
                "*" => BinaryOperator.Multiply,
                "/" => BinaryOperator.Divide,
                _ => BinaryOperator.Modulo,
            };
            var right = ParseUnary();
            left = new BinaryExpr(TextRange.FromTo(left.Range, right.Range), op, left, right);
        }

        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Is("-"))
        {
            var minus = Advance();
            var operand = Nested(ParseUnary);
            if (operand is LiteralExpr { Kind: LiteralKind.Integer or LiteralKind.Decimal } number)
            {
                // A double negation such as "- -5" folds to "5", so the value stays a plain number literal.
                string negated = number.Value.Length > 0 && number.Value[0] == '-' ? number.Value.Substring(1) : "-" + number.Value;
                return number with { Range = TextRange.FromTo(minus.Range, number.Range), Value = negated };
            }

            return new NegateExpr(TextRange.FromTo(minus.Range, operand.Range), operand);
        }

        if (Current.Is("+"))
        {
            Advance();
            return Nested(ParseUnary);
        }

        return ParsePrimary();
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.String:
                Advance();
                return new LiteralExpr(token.Range, LiteralKind.String, token.Text);
            case TokenKind.Integer:
            case TokenKind.Decimal:
                // Elasticsearch parses numbers as doubles and rejects an infinite one, such as 1e400, with this message.
                if (!double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || double.IsInfinity(number))
                {
                    throw new EqlSyntaxException($"Number [{token.Text}] is too large", token.Range);
                }

                Advance();
                return new LiteralExpr(token.Range, token.Kind == TokenKind.Integer ? LiteralKind.Integer : LiteralKind.Decimal, token.Text);
            case TokenKind.Symbol when token.Is("("):
                Advance();
                var inner = ParseExpression();
                Expect(")");
                return inner;
            case TokenKind.Symbol when token.Is("?"):
                return ParseField();
            case TokenKind.QuotedIdentifier:
                return ParseField();
            case TokenKind.Identifier:
                if (token.Text is "true" or "false")
                {
                    Advance();
                    return new LiteralExpr(token.Range, LiteralKind.Boolean, token.Text);
                }

                if (token.Text == "null")
                {
                    Advance();
                    return new LiteralExpr(token.Range, LiteralKind.Null, "null");
                }

                if (Peek(1).Is("(") || (Peek(1).Is("~") && Peek(2).Is("(")))
                {
                    return ParseCall();
                }

                return ParseField();
            default:
                throw Unexpected("a value, field or function call");
        }
    }

    private CallExpr ParseCall()
    {
        var name = Advance();
        bool insensitive = ConsumeTilde(name);
        Expect("(");
        var arguments = new List<Expr>();
        if (!Current.Is(")"))
        {
            arguments.Add(ParseExpression());
            while (Current.Is(","))
            {
                Advance();
                arguments.Add(ParseExpression());
            }
        }

        var close = Expect(")");
        return new CallExpr(TextRange.FromTo(name.Range, close.Range), name.Text, name.Range, insensitive, arguments.ToEquatableArray());
    }

    private FieldExpr ParseField()
    {
        var start = Current;
        bool optional = false;
        if (start.Is("?"))
        {
            optional = true;
            Advance();
        }

        var path = new System.Text.StringBuilder();
        path.Append(ReadFieldSegment());
        while (Current.Is(".") && Current.Range.Start == Previous().Range.End)
        {
            Advance();
            path.Append('.');
            path.Append(ReadFieldSegment());
        }

        return new FieldExpr(TextRange.FromTo(start.Range, Previous().Range), path.ToString(), optional);
    }

    private string ReadFieldSegment()
    {
        var token = Current;
        bool segment = token.Kind == TokenKind.QuotedIdentifier
            || (token.Kind == TokenKind.Identifier && !IsReserved(token))
            || (token.Kind == TokenKind.Integer && _position > 0 && Previous().Is("."));
        if (!segment)
        {
            throw Unexpected("a field name");
        }

        Advance();
        return token.Text;
    }

    private static bool IsReserved(Token token) => token.Kind == TokenKind.Identifier && ReservedWords.Contains(token.Text);

    private Token Expect(string symbol)
    {
        if (!Current.Is(symbol))
        {
            throw Unexpected($"'{symbol}'");
        }

        return Advance();
    }

    private void ExpectKeyword(string keyword)
    {
        if (!Current.IsKeyword(keyword))
        {
            throw Unexpected($"'{keyword}'");
        }

        Advance();
    }

    private EqlSyntaxException Unexpected(string expected)
    {
        var token = Current;
        string found = token.Kind == TokenKind.End ? "the end of the query" : $"'{token.Text}'";
        return new EqlSyntaxException($"expected {expected} but found {found}", token.Range);
    }
}

/// <summary>An invalid maxspan, reported as CMP015 instead of a plain syntax error.</summary>
internal sealed class DurationException : System.Exception
{
    public DurationException(string text, TextRange range)
        : base(text)
    {
        Text = text;
        Range = range;
    }

    public string Text { get; }

    public TextRange Range { get; }
}
