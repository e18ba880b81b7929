using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Compiled.Generators.Eql;

internal enum TokenKind
{
    Identifier,
    QuotedIdentifier,
    String,
    Integer,
    Decimal,
    Symbol,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, TextRange Range)
{
    public bool Is(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    public bool IsKeyword(string keyword) => Kind == TokenKind.Identifier && Text == keyword;
}

/// <summary>An EQL syntax error at a range of the query text.</summary>
internal sealed class EqlSyntaxException : Exception
{
    public EqlSyntaxException(string message, TextRange range)
        : base(message)
    {
        Range = range;
    }

    public TextRange Range { get; }
}

/// <summary>
/// Splits EQL text into tokens. Strings are decoded here: <c>"..."</c> with backslash escapes
/// (including <c>\u{...}</c>) and <c>"""..."""</c> raw strings. Comments are <c>//</c> to the end of the
/// line and <c>/* ... */</c>.
/// </summary>
internal static class EqlLexer
{
    private static readonly string[] Symbols = { "==", "!=", "<=", ">=", "<", ">", ":", "~", "(", ")", "[", "]", ",", "!", "?", "|", "+", "-", "*", "/", "%", "=", "." };

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (true)
        {
            i = SkipTrivia(text, i);
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, string.Empty, new TextRange(text.Length, 0)));
                return tokens;
            }

            char c = text[i];
            int start = i;
            if (IsIdentifierStart(c))
            {
                while (i < text.Length && IsIdentifierPart(text[i]))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text.Substring(start, i - start), new TextRange(start, i - start)));
            }
            else if (IsAsciiDigit(c))
            {
                tokens.Add(ReadNumber(text, ref i));
            }
            else if (c == '"')
            {
                tokens.Add(ReadString(text, ref i));
            }
            else if (c == '`')
            {
                tokens.Add(ReadQuotedIdentifier(text, ref i));
            }
            else if (c == '\'')
            {
                throw new EqlSyntaxException(
                    "single quotes do not delimit strings in Elasticsearch EQL; use double quotes", new TextRange(i, 1));
            }
            else
            {
                string? symbol = null;
                foreach (var candidate in Symbols)
                {
                    if (string.CompareOrdinal(text, i, candidate, 0, candidate.Length) == 0)
                    {
                        symbol = candidate;
                        break;
                    }
                }

                if (symbol is null)
                {
                    throw new EqlSyntaxException($"unexpected character '{c}'", new TextRange(i, 1));
                }

                i += symbol.Length;
                tokens.Add(new Token(TokenKind.Symbol, symbol, new TextRange(start, symbol.Length)));
            }
        }
    }

    private static int SkipTrivia(string text, int i)
    {
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n' && text[i] != '\r')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                int close = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new EqlSyntaxException("unterminated /* comment", new TextRange(i, 2));
                }

                i = close + 2;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    // char.IsDigit accepts every Unicode decimal digit, which neither Elasticsearch nor C# reads as a number.
    private static bool IsAsciiDigit(char c) => c >= '0' && c <= '9';

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_' || c == '@';

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';

    private static Token ReadNumber(string text, ref int i)
    {
        int start = i;
        while (i < text.Length && IsAsciiDigit(text[i]))
        {
            i++;
        }

        bool isDecimal = false;
        if (i + 1 < text.Length && text[i] == '.' && IsAsciiDigit(text[i + 1]))
        {
            isDecimal = true;
            i++;
            while (i < text.Length && IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            int exponent = i + 1;
            if (exponent < text.Length && (text[exponent] == '+' || text[exponent] == '-'))
            {
                exponent++;
            }

            if (exponent < text.Length && IsAsciiDigit(text[exponent]))
            {
                isDecimal = true;
                i = exponent;
                while (i < text.Length && IsAsciiDigit(text[i]))
                {
                    i++;
                }
            }
        }

        var kind = isDecimal ? TokenKind.Decimal : TokenKind.Integer;
        return new Token(kind, text.Substring(start, i - start), new TextRange(start, i - start));
    }

    private static Token ReadQuotedIdentifier(string text, ref int i)
    {
        int start = i;
        var name = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= text.Length)
            {
                throw new EqlSyntaxException("unterminated backtick-quoted field name", new TextRange(start, text.Length - start));
            }

            if (text[i] == '`')
            {
                // Two backticks stand for one backtick inside the name.
                if (i + 1 < text.Length && text[i + 1] == '`')
                {
                    name.Append('`');
                    i += 2;
                    continue;
                }

                i++;
                break;
            }

            name.Append(text[i]);
            i++;
        }

        return new Token(TokenKind.QuotedIdentifier, name.ToString(), new TextRange(start, i - start));
    }

    private static Token ReadString(string text, ref int i)
    {
        int start = i;
        if (string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0)
        {
            int close = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new EqlSyntaxException("unterminated \"\"\" string", new TextRange(start, 3));
            }

            // A raw string may end with extra quotes, which belong to its value: """a"""" is a".
            while (close + 3 < text.Length && text[close + 3] == '"')
            {
                close++;
            }

            i = close + 3;
            return new Token(TokenKind.String, text.Substring(start + 3, close - start - 3), new TextRange(start, i - start));
        }

        var value = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= text.Length || text[i] == '\n' || text[i] == '\r')
            {
                throw new EqlSyntaxException("unterminated string; close it with \"", new TextRange(start, i - start));
            }

            char c = text[i];
            if (c == '"')
            {
                i++;
                break;
            }

            if (c != '\\')
            {
                value.Append(c);
                i++;
                continue;
            }

            ReadEscape(text, ref i, value);
        }

        return new Token(TokenKind.String, value.ToString(), new TextRange(start, i - start));
    }

    private static void ReadEscape(string text, ref int i, StringBuilder value)
    {
        int start = i;
        if (i + 1 >= text.Length)
        {
            throw new EqlSyntaxException("unterminated escape sequence", new TextRange(start, 1));
        }

        char e = text[i + 1];
        i += 2;
        switch (e)
        {
            case '"': value.Append('"'); return;
            case '\'': value.Append('\''); return;
            case '\\': value.Append('\\'); return;
            case 'n': value.Append('\n'); return;
            case 'r': value.Append('\r'); return;
            case 't': value.Append('\t'); return;
            case 'b': value.Append('\b'); return;
            case 'f': value.Append('\f'); return;
            case '0': value.Append('\0'); return;
            case 'u':
                if (i < text.Length && text[i] == '{')
                {
                    int close = text.IndexOf('}', i);
                    string digits = close < 0 ? string.Empty : text.Substring(i + 1, close - i - 1);
                    if (close < 0 || digits.Length < 2 || digits.Length > 8 ||
                        !int.TryParse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code) ||
                        code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                    {
                        throw new EqlSyntaxException(
                            "invalid \\u{...} escape; write 2 to 8 hex digits of a Unicode code point, such as \\u{1F600}",
                            new TextRange(start, (close < 0 ? i : close + 1) - start));
                    }

                    value.Append(char.ConvertFromUtf32(code));
                    i = close + 1;
                    return;
                }

                throw new EqlSyntaxException("invalid \\u escape; write \\u{XXXX} with the code point in braces", new TextRange(start, 2));
            default:
                throw new EqlSyntaxException($"invalid escape sequence '\\{e}'", new TextRange(start, 2));
        }
    }
}
