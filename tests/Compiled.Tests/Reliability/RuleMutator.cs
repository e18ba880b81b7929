using System.Text;
using System.Text.RegularExpressions;

namespace Compiled.Tests.Reliability;

/// <summary>The levels at which <see cref="RuleMutator"/> breaks a rule file.</summary>
public enum MutationLevel
{
    /// <summary>Lines, values, quoting and characters of the TOML text.</summary>
    Toml,

    /// <summary>Tokens of an EQL query: operators, function names and arities, brackets, numbers, escapes.</summary>
    Eql,

    /// <summary>Text of a KQL query, changed without knowledge of its grammar.</summary>
    Kql,
}

/// <summary>
/// Mutates real rule files deterministically: the same text, level and seed give the same mutant,
/// so a failing case can be replayed from its seed.
/// </summary>
public static partial class RuleMutator
{
    private static readonly string[] OddValues =
    [
        "\"text\"", "42", "-0", "true", "3.5", "inf", "nan", "1979-05-27", "1979-05-27T07:32:00Z", "[1, \"a\"]", "{ a = 1 }",
        "9999999999999999999", "''", "[]", "[[[]]]", "\"\\u0000\"", "\"\\uD800\"",
    ];

    private static readonly string[] OddText =
    [
        "\u2028", "\u2029", "\u0000", "\uFEFF", "\uD800", "\uDC00", "é", "😀", "\u202E", "\t", "\r", "\n", "\\", "\"", "'", "'''", "\"\"\"",
        "#", "=", "[", "]", "{", "}", "*/", "/*", "\u00A0", "ǅ", "İ", "ß",
    ];

    private static readonly string[] Operators =
    [
        "==", "!=", "<", "<=", ">", ">=", ":", "like", "like~", "regex", "regex~", "in", "in~", "not", "and", "or", "+", "-", "*", "/", "%",
        "~", "!", "=", "where", "by", "with", "until", "sequence", "sample", "|", "?", "`", "..", ",",
    ];

    private static readonly string[] FunctionNames =
    [
        "add", "between", "cidrMatch", "concat", "divide", "endsWith", "indexOf", "length", "modulo", "multiply", "number", "startsWith",
        "string", "stringContains", "substring", "subtract", "wildcard", "arrayContains", "noSuchFunction", "CONCAT", "startswith~", "length~",
    ];

    private static readonly string[] OddNumbers =
    [
        "99999999999999999999999999", "1e400", "-1e400", "-9223372036854775809", "9223372036854775807", "2147483648", "0x10", "1.",
        ".5", "00", "-0", "1e-400", "NaN", "Infinity", "1_000",
    ];

    private static readonly string[] OddEscapes =
    [
        "\\u{110000}", "\\u{}", "\\u{D800}", "\\u{0}", "\\x", "\\", "\\\\", "\\\"", "\\t", "\\r\\n", "\\u0041", "\\q", "\\u{FFFFFFFFF}", "\\'",
    ];

    private static readonly string[] SequenceParts =
    [
        " with maxspan=0s", " with maxspan=99999999999d", " with maxspan=1x", " with maxspan=-1m", " with runs=0", " with runs=99999",
        " with runs=-1", " by ", " until ", " | head 0", " | tail 99999999999", " | filter true", " [any where true]", " ![any where true]",
    ];

    private static readonly string[] KqlText =
    [
        ":", "*", "(", ")", "\"", "\\", "{", "}", "<", ">", "<=", ">=", " and ", " or ", " not ", " : * ", "\\*", "@", "\u2028", "\u0000",
    ];

    /// <summary>Applies <paramref name="count"/> mutations of <paramref name="level"/> to <paramref name="text"/>.</summary>
    public static string Mutate(string text, MutationLevel level, int seed, int count, List<string>? log = null)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            text = level switch
            {
                MutationLevel.Toml => MutateToml(text, random, log),
                MutationLevel.Eql => MutateQuery(text, random, log, MutateEql),
                _ => MutateQuery(text, random, log, MutateKql),
            };
        }

        return text;
    }

    private static string MutateToml(string text, Random random, List<string>? log)
    {
        var lines = text.Split('\n').ToList();
        int index = random.Next(lines.Count);
        switch (random.Next(8))
        {
            case 0:
                log?.Add($"delete line {index + 1}");
                lines.RemoveAt(index);
                break;
            case 1:
                log?.Add($"duplicate line {index + 1}");
                lines.Insert(index, lines[index]);
                break;
            case 2:
                int end = random.Next(text.Length + 1);
                log?.Add($"truncate the file at {end}");
                return text[..end];
            case 3:
                int cut = random.Next(lines[index].Length + 1);
                log?.Add($"truncate line {index + 1} at {cut}");
                lines[index] = lines[index][..cut];
                break;
            case 4:
                var assignments = lines.Select((line, i) => (line, i)).Where(entry => AssignmentPattern().IsMatch(entry.line)).ToList();
                if (assignments.Count > 0)
                {
                    var (line, at) = assignments[random.Next(assignments.Count)];
                    string value = Pick(random, OddValues);
                    log?.Add($"set line {at + 1} to {value}");
                    lines[at] = line[..(line.IndexOf('=') + 1)] + " " + value;
                }

                break;
            case 5:
                int quote = text.IndexOfAny(['"', '\''], random.Next(text.Length + 1));
                if (quote >= 0)
                {
                    log?.Add($"remove the quote at {quote}");
                    return text.Remove(quote, 1);
                }

                break;
            default:
                int position = random.Next(text.Length + 1);
                string inserted = Pick(random, OddText);
                log?.Add($"insert {Escape(inserted)} at {position}");
                return text.Insert(position, inserted);
        }

        return string.Join('\n', lines);
    }

    /// <summary>Mutates the text of the <c>query</c> value, or the whole file when it has no multi-line query.</summary>
    private static string MutateQuery(string text, Random random, List<string>? log, Func<string, Random, List<string>?, string> mutate)
    {
        var match = QueryPattern().Match(text);
        if (!match.Success)
        {
            return MutateToml(text, random, log);
        }

        var query = match.Groups["query"];
        return text[..query.Index] + mutate(query.Value, random, log) + text[(query.Index + query.Length)..];
    }

    private static string MutateEql(string query, Random random, List<string>? log)
    {
        var tokens = TokenPattern().Matches(query).ToList();
        if (tokens.Count == 0)
        {
            return query + Pick(random, Operators);
        }

        var token = tokens[random.Next(tokens.Count)];
        string replacement;
        switch (random.Next(9))
        {
            case 0:
                replacement = "";
                break;
            case 1:
                replacement = Pick(random, Operators);
                break;
            case 2:
                var call = tokens.Where(candidate => query.AsSpan(candidate.Index + candidate.Length).TrimStart().StartsWith("(")).ToList();
                token = call.Count > 0 ? call[random.Next(call.Count)] : token;
                replacement = Pick(random, FunctionNames);
                break;
            case 3:
                int open = query.IndexOf('(', token.Index);
                if (open < 0)
                {
                    replacement = token.Value + "(";
                    break;
                }

                // Adds or removes an argument of the call at the next parenthesis.
                log?.Add($"change the arity at {open}");
                return random.Next(2) == 0
                    ? query.Insert(open + 1, Pick(random, ["\"x\", ", "1, ", "null, ", "process.name, "]))
                    : RemoveFirstArgument(query, open);
            case 4:
                replacement = token.Value + Pick(random, ["(", ")", "[", "]", "((", "]]", "\"", "'", "`"]);
                break;
            case 5:
                var numbers = tokens.Where(candidate => char.IsAsciiDigit(candidate.Value[0])).ToList();
                token = numbers.Count > 0 ? numbers[random.Next(numbers.Count)] : token;
                replacement = Pick(random, OddNumbers);
                break;
            case 6:
                var strings = tokens.Where(candidate => candidate.Value[0] == '"').ToList();
                token = strings.Count > 0 ? strings[random.Next(strings.Count)] : token;
                int inside = Math.Min(token.Value.Length - 1, 1 + random.Next(Math.Max(1, token.Value.Length - 1)));
                replacement = token.Value[..inside] + Pick(random, OddEscapes) + token.Value[inside..];
                break;
            case 7:
                replacement = token.Value + Pick(random, SequenceParts);
                break;
            default:
                replacement = token.Value + " " + token.Value;
                break;
        }

        log?.Add($"replace {Escape(token.Value)} at {token.Index} with {Escape(replacement)}");
        return query[..token.Index] + replacement + query[(token.Index + token.Length)..];
    }

    private static string MutateKql(string query, Random random, List<string>? log)
    {
        int position = random.Next(query.Length + 1);
        switch (random.Next(5))
        {
            case 0:
                int length = Math.Min(query.Length - position, random.Next(1, 12));
                log?.Add($"delete {length} characters at {position}");
                return query.Remove(position, length);
            case 1:
                string inserted = Pick(random, KqlText);
                log?.Add($"insert {Escape(inserted)} at {position}");
                return query.Insert(position, inserted);
            case 2:
                var words = TokenPattern().Matches(query).ToList();
                if (words.Count == 0)
                {
                    return query;
                }

                var word = words[random.Next(words.Count)];
                log?.Add($"duplicate {Escape(word.Value)} at {word.Index}");
                return query.Insert(word.Index, word.Value + " ");
            case 3:
                log?.Add($"insert a number at {position}");
                return query.Insert(position, Pick(random, OddNumbers));
            default:
                log?.Add($"cut the query at {position}");
                return query[..position];
        }
    }

    private static string RemoveFirstArgument(string query, int open)
    {
        int comma = query.IndexOf(',', open);
        int close = query.IndexOf(')', open);
        int end = comma >= 0 && (close < 0 || comma < close) ? comma + 1 : close;
        return end < 0 ? query.Remove(open + 1) : query.Remove(open + 1, end - open - 1);
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    public static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text)
        {
            builder.Append(c < ' ' || c > '~' ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"^\s*[A-Za-z_][A-Za-z0-9_.-]*\s*=")]
    private static partial Regex AssignmentPattern();

    [GeneratedRegex(@"^query\s*=\s*(?<quote>'''|""""""|""|')(?<query>.*?)\k<quote>", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex QueryPattern();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|[A-Za-z_@][A-Za-z0-9_.~@]*|\d+(?:\.\d+)?|==|!=|<=|>=|[<>:()\[\],+\-*/%!|]")]
    private static partial Regex TokenPattern();
}
