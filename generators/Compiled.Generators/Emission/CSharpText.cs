using System.Globalization;
using System.Text;

namespace Compiled.Generators.Emission;

/// <summary>
/// Writes text from rule files into generated C# so that it can never change the meaning of the code:
/// strings become escaped literals and comments are split on every character C# treats as a line end.
/// </summary>
internal static class CSharpText
{
    /// <summary>Returns <paramref name="value"/> as a regular C# string literal with every risky character escaped.</summary>
    public static string Literal(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var builder = new StringBuilder(value.Length + 2);
        builder.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\0': builder.Append("\\0"); break;
                default:
                    if (NeedsEscape(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
        return builder.ToString();
    }

    /// <summary>
    /// Returns <paramref name="text"/> as a single-line raw string literal (<c>"""..."""</c>), which
    /// keeps JSON readable in generated code. Text with a character that <see cref="NeedsEscape"/> flags,
    /// or that starts or ends with a quote, becomes a regular literal instead.
    /// </summary>
    public static string RawLiteral(string text)
    {
        int longestRun = 0;
        int run = 0;
        foreach (char c in text)
        {
            if (NeedsEscape(c))
            {
                return Literal(text);
            }

            run = c == '"' ? run + 1 : 0;
            longestRun = System.Math.Max(longestRun, run);
        }

        if (text.Length == 0 || text[0] == '"' || text[text.Length - 1] == '"')
        {
            return Literal(text);
        }

        string quotes = new('"', System.Math.Max(3, longestRun + 1));
        return quotes + text + quotes;
    }

    /// <summary>
    /// Splits text into lines that are safe after <c>//</c>: no line terminator of any kind survives,
    /// and control and format characters are shown as <c>\uXXXX</c>.
    /// </summary>
    public static string[] CommentLines(string text)
    {
        var lines = new System.Collections.Generic.List<string>();
        var line = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\r' or '\n' or '\u2028' or '\u2029' or '\u0085')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                lines.Add(line.ToString());
                line.Clear();
                continue;
            }

            if (c == '\t')
            {
                line.Append("    ");
            }
            else if (NeedsEscape(c))
            {
                line.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                line.Append(c);
            }
        }

        lines.Add(line.ToString());
        return lines.ToArray();
    }

    /// <summary>Escapes text for an XML documentation comment.</summary>
    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Collapses whitespace runs (line breaks included) to single spaces, for one-line comments.</summary>
    public static string OneLine(string text, int maxLength = 160)
    {
        var builder = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || c is '\u2028' or '\u2029' or '\u0085')
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        string result = builder.ToString();
        return result.Length <= maxLength ? result : result.Substring(0, maxLength - 3) + "...";
    }

    /// <summary>True for a character that generated code writes as <c>\uXXXX</c>: controls, line and paragraph separators, surrogates and format characters.</summary>
    internal static bool NeedsEscape(char c)
    {
        if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || char.IsSurrogate(c))
        {
            return true;
        }

        if (c < 0x80)
        {
            return false;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(c);
        return category is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Control;
    }
}
