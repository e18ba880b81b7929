using System;
using System.Collections.Generic;
using System.Globalization;
using Compiled.Generators.Diagnostics;

namespace Compiled.Generators.RuleFiles;

/// <summary>
/// Maps each character of a decoded TOML string to its offset in the file, so an error inside a query
/// string points at the query text itself, across escapes and line breaks.
/// </summary>
internal sealed class TomlStringMap
{
    private readonly int[] _offsets;
    private readonly SourceLines _lines;

    private TomlStringMap(int[] offsets, SourceLines lines)
    {
        _offsets = offsets;
        _lines = lines;
    }

    /// <summary>
    /// Builds the map from the raw token text (quotes included) that starts at <paramref name="tokenStart"/>.
    /// Returns null when the decoded length disagrees with <paramref name="decodedLength"/>, so that a
    /// caller falls back to the whole token instead of pointing at a wrong column.
    /// </summary>
    public static TomlStringMap? Create(string rawToken, int tokenStart, int decodedLength, SourceLines lines)
    {
        var offsets = new List<int>(rawToken.Length);
        bool multiline = rawToken.StartsWith("\"\"\"", System.StringComparison.Ordinal)
            || rawToken.StartsWith("'''", System.StringComparison.Ordinal);
        bool literal = rawToken.Length > 0 && rawToken[0] == '\'';
        int quote = multiline ? 3 : 1;
        int end = rawToken.Length - quote;
        int i = quote;

        // A newline right after the opening delimiter of a multi-line string is not part of the value.
        if (multiline)
        {
            if (i < end && rawToken[i] == '\r' && i + 1 < end && rawToken[i + 1] == '\n')
            {
                i += 2;
            }
            else if (i < end && rawToken[i] == '\n')
            {
                i += 1;
            }
        }

        while (i < end)
        {
            char c = rawToken[i];
            if (literal || c != '\\')
            {
                offsets.Add(tokenStart + i);
                i++;
                continue;
            }

            if (i + 1 >= end)
            {
                return null;
            }

            char e = rawToken[i + 1];
            switch (e)
            {
                case 'u':
                case 'U':
                case 'x':
                    int digits = e switch
                    {
                        'u' => 4,
                        'U' => 8,
                        _ => 2,
                    };
                    if (i + 2 + digits > end ||
                        !int.TryParse(rawToken.Substring(i + 2, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                    {
                        return null;
                    }

                    offsets.Add(tokenStart + i);
                    if (code > 0xFFFF)
                    {
                        offsets.Add(tokenStart + i);
                    }

                    i += 2 + digits;
                    break;
                case ' ':
                case '\t':
                case '\r':
                case '\n':
                    // A line-ending backslash trims all whitespace and newlines up to the next character.
                    i++;
                    while (i < end && (rawToken[i] == ' ' || rawToken[i] == '\t' || rawToken[i] == '\r' || rawToken[i] == '\n'))
                    {
                        i++;
                    }

                    break;
                default:
                    offsets.Add(tokenStart + i);
                    i += 2;
                    break;
            }
        }

        if (offsets.Count != decodedLength)
        {
            return null;
        }

        offsets.Add(tokenStart + end);
        return new TomlStringMap(offsets.ToArray(), lines);
    }

    /// <summary>Returns the file span covering decoded characters [start, start + length).</summary>
    public FileSpan Span(int start, int length)
    {
        int last = _offsets.Length - 1;
        start = Math.Max(0, Math.Min(start, last));
        int endIndex = start + (length < 0 ? 0 : length);
        endIndex = endIndex > last ? last : endIndex;
        int fileStart = _offsets[start];
        int fileEnd = endIndex > start ? _offsets[endIndex - 1] + 1 : fileStart;
        return _lines.Span(fileStart, fileEnd - fileStart);
    }
}
