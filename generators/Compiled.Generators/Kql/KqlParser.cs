using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Compiled.Generators.Eql;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Kql;

/// <summary>
/// Parses Kibana Query Language as Kibana's kuery grammar defines it. <c>not</c> binds tighter than
/// <c>and</c>, and <c>and</c> tighter than <c>or</c>. Keywords match in any letter case and need
/// whitespace on both sides. An unquoted value runs up to a special character (<c>\ ( ) : &lt; &gt; " { }</c>)
/// or a keyword with its whitespace, may contain spaces and is trimmed. <c>*</c> in it is a wildcard.
/// A quoted value is a phrase in which <c>*</c> is literal.
/// </summary>
internal sealed class KqlParser
{
    private const string SpecialCharacters = "\\():<>\"*{}";

    private readonly string _text;
    private int _position;

    private KqlParser(string text) => _text = text;

    /// <summary>Parses a whole query; throws <see cref="KqlSyntaxException"/> at the first error.</summary>
    public static KqlNode Parse(string text)
    {
        var parser = new KqlParser(text);
        parser.SkipSpace();
        if (parser.AtEnd)
        {
            return new KqlMatchAll(new TextRange(0, text.Length));
        }

        var query = parser.ParseOr(null);
        parser.SkipSpace();
        if (!parser.AtEnd)
        {
            throw parser.Error(parser.Peek() == ')' ? "unmatched ')'" : "expected 'and', 'or' or the end of the query");
        }

        return query;
    }

    private bool AtEnd => _position >= _text.Length;

    private char Peek(int offset = 0) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private void SkipSpace()
    {
        while (!AtEnd && IsSpace(_text[_position]))
        {
            _position++;
        }
    }

    private KqlSyntaxException Error(string message) =>
        new(new TextRange(_position, AtEnd ? 0 : 1), AtEnd ? message + ", but the query ends" : message);

    /// <summary>Matches <c>Space+ keyword Space+</c> at <paramref name="at"/> and returns the offset after it, or -1.</summary>
    private int MatchBinaryKeyword(int at, string keyword)
    {
        int i = at;
        while (i < _text.Length && IsSpace(_text[i]))
        {
            i++;
        }

        if (i == at)
        {
            return -1;
        }

        return MatchWordThenSpace(i, keyword);
    }

    /// <summary>Matches <c>keyword Space+</c> at <paramref name="at"/> and returns the offset after the spaces, or -1.</summary>
    private int MatchWordThenSpace(int at, string keyword)
    {
        if (at + keyword.Length >= _text.Length ||
            string.Compare(_text, at, keyword, 0, keyword.Length, System.StringComparison.OrdinalIgnoreCase) != 0)
        {
            return -1;
        }

        int i = at + keyword.Length;
        if (!IsSpace(_text[i]))
        {
            return -1;
        }

        while (i < _text.Length && IsSpace(_text[i]))
        {
            i++;
        }

        return i;
    }

    private bool IsKeywordAt(int at) =>
        MatchBinaryKeyword(at, "or") >= 0 || MatchBinaryKeyword(at, "and") >= 0 || MatchWordThenSpace(at, "not") >= 0;

    /// <summary>
    /// Parses <c>or</c> chains. With a <paramref name="listField"/>, the operands are values of that field,
    /// as inside <c>field:(a or b)</c>.
    /// </summary>
    private KqlNode ParseOr(KqlField? listField)
    {
        var left = ParseAnd(listField);
        int next;
        while ((next = MatchBinaryKeyword(_position, "or")) >= 0)
        {
            _position = next;
            var right = ParseAnd(listField);
            left = new KqlOr(TextRange.FromTo(left.Range, right.Range), left, right);
        }

        return left;
    }

    private KqlNode ParseAnd(KqlField? listField)
    {
        var left = ParseNot(listField);
        int next;
        while ((next = MatchBinaryKeyword(_position, "and")) >= 0)
        {
            _position = next;
            var right = ParseNot(listField);
            left = new KqlAnd(TextRange.FromTo(left.Range, right.Range), left, right);
        }

        return left;
    }

    private KqlNode ParseNot(KqlField? listField)
    {
        int start = _position;
        int next = MatchWordThenSpace(_position, "not");
        if (next >= 0)
        {
            _position = next;
            var operand = listField is null ? ParseSubQuery() : ParseListOfValues(listField);
            return new KqlNot(new TextRange(start, operand.Range.End - start), operand);
        }

        return listField is null ? ParseSubQuery() : ParseListOfValues(listField);
    }

    private KqlNode ParseSubQuery()
    {
        if (Peek() == '(')
        {
            return ParseGroup(null);
        }

        return ParseExpression();
    }

    /// <summary>Parses <c>( query )</c>, or a value list <c>( a or b )</c> when <paramref name="listField"/> is set.</summary>
    private KqlNode ParseGroup(KqlField? listField)
    {
        int open = _position;
        _position++;
        SkipSpace();
        if (Peek() == ')')
        {
            throw Error("expected a query inside the parentheses");
        }

        var inner = ParseOr(listField);
        SkipSpace();
        if (Peek() != ')')
        {
            throw AtEnd
                ? new KqlSyntaxException(new TextRange(open, 1), "the '(' is never closed")
                : Error("expected ')', 'and' or 'or'");
        }

        _position++;
        return inner with { Range = new TextRange(open, _position - open) };
    }

    private KqlNode ParseExpression()
    {
        int start = _position;
        var literal = ParseLiteral("a field name or a value");
        SkipSpaceIfFollowedBy(':', '<', '>');
        char c = Peek();
        if (c == ':')
        {
            var field = ToField(literal);
            _position++;
            SkipSpace();
            if (Peek() == '{')
            {
                return ParseNested(start, field);
            }

            var values = ParseListOfValues(field);
            return values with { Range = new TextRange(start, values.Range.End - start) };
        }

        if (c is '<' or '>')
        {
            var field = ToField(literal);
            KqlRangeOperator op;
            if (Peek(1) == '=')
            {
                op = c == '<' ? KqlRangeOperator.LessThanOrEqual : KqlRangeOperator.GreaterThanOrEqual;
                _position += 2;
            }
            else
            {
                op = c == '<' ? KqlRangeOperator.LessThan : KqlRangeOperator.GreaterThan;
                _position++;
            }

            SkipSpace();
            var value = ParseLiteral("a value after the range operator");
            return new KqlRange(new TextRange(start, value.Range.End - start), field, op, value);
        }

        return new KqlFreeText(literal.Range, literal);
    }

    /// <summary>Skips whitespace only when one of <paramref name="expected"/> follows it, so spaces before a keyword stay.</summary>
    private void SkipSpaceIfFollowedBy(params char[] expected)
    {
        int i = _position;
        while (i < _text.Length && IsSpace(_text[i]))
        {
            i++;
        }

        if (i < _text.Length && System.Array.IndexOf(expected, _text[i]) >= 0)
        {
            _position = i;
        }
    }

    /// <summary>Parses <c>field:{ query }</c>; the inner query's field names are relative to <paramref name="field"/>.</summary>
    private KqlNode ParseNested(int start, KqlField field)
    {
        int open = _position;
        _position++;
        SkipSpace();
        var inner = ParseOr(null);
        SkipSpace();
        if (Peek() != '}')
        {
            throw AtEnd
                ? new KqlSyntaxException(new TextRange(open, 1), "the '{' is never closed")
                : Error("expected '}', 'and' or 'or'");
        }

        _position++;
        var range = new TextRange(start, _position - start);
        var prefixed = Prefix(inner, field, range);

        // NOTE: a path with a wildcard, such as a*:{ b:x }, is not a nested query. The inner field names
        // are prefixed and tested over every object.
        return field.HasWildcard ? prefixed : new KqlNested(range, field, prefixed);
    }

    private static KqlNode Prefix(KqlNode node, KqlField parent, TextRange outer)
    {
        KqlField Join(KqlField inner)
        {
            var parts = new List<string>(parent.Parts);
            parts[parts.Count - 1] += "." + inner.Parts[0];
            for (int i = 1; i < inner.Parts.Count; i++)
            {
                parts.Add(inner.Parts[i]);
            }

            return new KqlField(inner.Range, parent.Name + "." + inner.Name, parts.ToEquatableArray());
        }

        return node switch
        {
            KqlOr or => new KqlOr(or.Range, Prefix(or.Left, parent, outer), Prefix(or.Right, parent, outer)),
            KqlAnd and => new KqlAnd(and.Range, Prefix(and.Left, parent, outer), Prefix(and.Right, parent, outer)),
            KqlNot not => new KqlNot(not.Range, Prefix(not.Operand, parent, outer)),
            KqlFieldValue value => value with { Field = Join(value.Field) },
            KqlRange range => range with { Field = Join(range.Field) },
            KqlNested nested => nested with { Path = Join(nested.Path), Inner = Prefix(nested.Inner, parent, outer) },
            KqlFreeText free => throw new KqlSyntaxException(free.Range, "a value inside a nested query needs a field name"),
            _ => node,
        };
    }

    private KqlNode ParseListOfValues(KqlField field)
    {
        if (Peek() == '(')
        {
            return ParseGroup(field);
        }

        var value = ParseLiteral("a value");
        return new KqlFieldValue(new TextRange(field.Range.Start, value.Range.End - field.Range.Start), field, value);
    }

    private static KqlField ToField(KqlValue literal) =>
        new(literal.Range, literal.Text, literal.IsQuoted ? new[] { literal.Text }.ToEquatableArray() : literal.Parts);

    /// <summary>Parses a quoted or unquoted literal.</summary>
    private KqlValue ParseLiteral(string expected)
    {
        if (Peek() == '"')
        {
            return ParseQuoted();
        }

        return ParseUnquoted(expected);
    }

    private KqlValue ParseQuoted()
    {
        int start = _position;
        _position++;
        var text = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw new KqlSyntaxException(new TextRange(start, 1), "the quoted value is never closed");
            }

            char c = _text[_position];
            if (c == '"')
            {
                _position++;
                break;
            }

            if (c == '\\' && TryEscapedWhitespaceOrUnicode(text, quoted: true))
            {
                continue;
            }

            if (c == '\\' && Peek(1) is '\\' or '"')
            {
                text.Append(Peek(1));
                _position += 2;
                continue;
            }

            // Any other backslash is itself, so "a\*b" is the three characters a, \, * and b.
            text.Append(c);
            _position++;
        }

        string value = text.ToString();
        return new KqlValue(new TextRange(start, _position - start), value, true, new[] { value }.ToEquatableArray());
    }

    /// <summary>
    /// Decodes <c>\t</c>, <c>\r</c>, <c>\n</c> and <c>\uXXXX</c> at the current backslash. Inside quotes,
    /// a <c>\u</c> without four hexadecimal digits is not an escape, so the backslash stays literal (as in
    /// the Windows path <c>"C:\Program Files\WinRAR\uninstall.exe"</c>); outside quotes it is a syntax error.
    /// </summary>
    private bool TryEscapedWhitespaceOrUnicode(StringBuilder into, bool quoted)
    {
        char e = Peek(1);
        switch (e)
        {
            case 't':
                into.Append('\t');
                _position += 2;
                return true;
            case 'r':
                into.Append('\r');
                _position += 2;
                return true;
            case 'n':
                into.Append('\n');
                _position += 2;
                return true;
            case 'u':
                if (TryHexEscape(_position, out char code))
                {
                    if (!char.IsSurrogate(code))
                    {
                        into.Append(code);
                        _position += 6;
                        return true;
                    }

                    // A character above U+FFFF is written as two escapes, high surrogate then low. Half a pair is
                    // no character, and the generated code could not hold it.
                    if (char.IsHighSurrogate(code) && TryHexEscape(_position + 6, out char low) && char.IsLowSurrogate(low))
                    {
                        into.Append(code).Append(low);
                        _position += 12;
                        return true;
                    }

                    throw new KqlSyntaxException(new TextRange(_position, 6),
                        $"'{_text.Substring(_position, 6)}' is half of a surrogate pair; write a character above U+FFFF as a high and a low surrogate escape in a row, such as \\uD83D\\uDE00");
                }

                if (quoted)
                {
                    return false;
                }

                throw new KqlSyntaxException(new TextRange(_position, 2), "'\\u' must be followed by four hexadecimal digits");
            default:
                return false;
        }
    }

    /// <summary>Reads the four hexadecimal digits of a <c>\uXXXX</c> escape that starts at <paramref name="at"/>.</summary>
    private bool TryHexEscape(int at, out char code)
    {
        code = '\0';
        if (at + 6 > _text.Length || _text[at] != '\\' || _text[at + 1] != 'u' ||
            !int.TryParse(_text.Substring(at + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
        {
            return false;
        }

        code = (char)value;
        return true;
    }

    private KqlValue ParseUnquoted(string expected)
    {
        int start = _position;
        var parts = new List<string>();
        var current = new StringBuilder();

        while (!AtEnd)
        {
            char c = _text[_position];
            if (c == '\\')
            {
                if (TryEscapedWhitespaceOrUnicode(current, quoted: false))
                {
                    continue;
                }

                char e = Peek(1);
                if (SpecialCharacters.IndexOf(e) >= 0 && e != '\0')
                {
                    current.Append(e);
                    _position += 2;
                    continue;
                }

                string? keyword = EscapedKeyword();
                if (keyword is not null)
                {
                    current.Append(keyword);
                    _position += 1 + keyword.Length;
                    continue;
                }

                throw new KqlSyntaxException(new TextRange(_position, e == '\0' ? 1 : 2),
                    e == '\0'
                        ? "the query ends with a lone '\\'; write '\\\\' for a backslash"
                        : $"'\\{e}' is not a KQL escape; escape only \\ ( ) : < > \" * {{ }}, the keywords and, or, not, and \\t \\r \\n \\uXXXX");
            }

            if (c == '*')
            {
                parts.Add(current.ToString());
                current.Clear();
                _position++;
                continue;
            }

            if (SpecialCharacters.IndexOf(c) >= 0 || IsKeywordAt(_position))
            {
                break;
            }

            current.Append(c);
            _position++;
        }

        parts.Add(current.ToString());
        int end = _position;
        // Whitespace written literally is trimmed from both ends; escaped whitespace is kept. Trim the whitespace written before the first and after the last character.
        while (end > start && IsSpace(_text[end - 1]))
        {
            end--;
        }

        int first = start;
        while (first < end && IsSpace(_text[first]))
        {
            first++;
        }

        parts[0] = TrimStartWritten(parts[0], first - start);
        parts[parts.Count - 1] = TrimEndWritten(parts[parts.Count - 1], _position - end);
        if (end == first)
        {
            if (AtEnd)
            {
                // Point at the last character written, not past the end of the query.
                int last = start - 1;
                while (last > 0 && IsSpace(_text[last]))
                {
                    last--;
                }

                throw new KqlSyntaxException(new TextRange(System.Math.Max(last, 0), 1), $"expected {expected}, but the query ends");
            }

            throw new KqlSyntaxException(new TextRange(start, 1), "expected " + expected);
        }

        _position = end;
        string text = string.Join("*", parts);
        return new KqlValue(new TextRange(first, end - first), text, false, parts.ToEquatableArray());
    }

    private static string TrimStartWritten(string part, int count) => count > 0 && part.Length >= count ? part.Substring(count) : part;

    private static string TrimEndWritten(string part, int count) => count > 0 && part.Length >= count ? part.Substring(0, part.Length - count) : part;

    private string? EscapedKeyword()
    {
        foreach (var keyword in new[] { "or", "and", "not" })
        {
            if (_position + 1 + keyword.Length <= _text.Length &&
                string.Compare(_text, _position + 1, keyword, 0, keyword.Length, System.StringComparison.OrdinalIgnoreCase) == 0)
            {
                return _text.Substring(_position + 1, keyword.Length);
            }
        }

        return null;
    }
}
