using System.Globalization;
using System.Text;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Conformance.Cases;

/// <summary>
/// Turns <c>unit/test_string_functions.toml</c>, Elasticsearch's constant-folding tests of string functions,
/// into queries that the generator compiles and the runtime evaluates over one event.
/// </summary>
/// <remarks>
/// Each top-level table has <c>fold.tests</c> (or <c>tests</c>) entries with an <c>expression</c> and an
/// <c>expected</c> value. An entry without <c>expected</c> expects null. A fold test becomes
/// <c>any where EXPRESSION == EXPECTED</c>, where <c>== null</c> is Elasticsearch's IS NULL test, and passes
/// when the event matches. <c>verifier.failures</c> entries are expressions Elasticsearch rejects. Each becomes
/// <c>any where EXPRESSION</c>, where the generator checks a function's arguments, and passes when the
/// generator reports an error.
/// </remarks>
public static class StringFunctionCases
{
    public const string FileName = "unit/test_string_functions.toml";

    /// <summary>The suite's list of fold tests whose expected result Elasticsearch itself does not produce.</summary>
    public const string UnsupportedFileName = "unit/test_unsupported.toml";

    private const string EventId = "dummy";

    /// <summary>The event every case runs over. Its fields play no part in the expressions.</summary>
    private const string EventLine = """{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":"process"},"id":"dummy"}""";

    public static CaseGroup LoadGroup(string suiteFolder) =>
        new(FileName, new EventStream([EventLine], [EventId]), ReadCases(suiteFolder).ToList());

    public static IEnumerable<ConformanceCase> ReadCases(string suiteFolder)
    {
        string path = Path.Combine(suiteFolder, FileName);
        var root = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} is empty.");
        foreach (var (section, value) in root)
        {
            if (value is not TomlTable table)
            {
                continue;
            }

            var foldTests = TableArray(table, "fold", "tests") ?? TableArray(table, "tests");
            int index = 0;
            foreach (var test in foldTests ?? [])
            {
                index++;
                string expression = Expression(test, path, section);
                string expected = test.TryGetValue("expected", out var expectedValue) ? Literal(expectedValue) : "null";
                yield return new ConformanceCase(
                    $"{FileName}/{section}/{index}",
                    $"any where {expression} == {expected}",
                    Expectation.Results([EventId]),
                    ConformanceCase.DefaultMaxResults);
            }

            index = 0;
            foreach (var failure in TableArray(table, "verifier", "failures") ?? [])
            {
                index++;
                yield return new ConformanceCase(
                    $"{FileName}/{section}/verifier/{index}",
                    $"any where {Expression(failure, path, section)}",
                    Expectation.Rejection(),
                    ConformanceCase.DefaultMaxResults);
            }
        }
    }

    /// <summary>
    /// Returns the cases of <see cref="FileName"/> that the suite also lists in <see cref="UnsupportedFileName"/>,
    /// with the reason. The two files quote strings differently, so expressions are compared with ' read as ".
    /// </summary>
    public static IReadOnlyDictionary<string, string> Unsupported(string suiteFolder)
    {
        string path = Path.Combine(suiteFolder, UnsupportedFileName);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return result;
        }

        var unsupported = new HashSet<(string Section, string Expression)>();
        var root = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? [];
        foreach (var (section, value) in root)
        {
            foreach (var test in value is TomlTable table ? TableArray(table, "fold", "tests") ?? [] : [])
            {
                unsupported.Add((section, Normalize(Expression(test, path, section))));
            }
        }

        foreach (var testCase in ReadCases(suiteFolder))
        {
            var parts = testCase.Name.Split('/');
            string section = parts[2];
            string expression = testCase.Query["any where ".Length..];
            int comparison = expression.LastIndexOf(" == ", StringComparison.Ordinal);
            if (comparison > 0 && unsupported.Contains((section, Normalize(expression[..comparison]))))
            {
                result[testCase.Name] = $"listed in the suite's {UnsupportedFileName} as a result Elasticsearch does not produce";
            }
        }

        return result;
    }

    private static string Normalize(string expression) => string.Join(' ', expression.Replace('\'', '"').Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Returns the array of tables under the dotted key <paramref name="keys"/>, or null when there is none.</summary>
    private static TomlTableArray? TableArray(TomlTable table, params string[] keys)
    {
        object current = table;
        foreach (string key in keys)
        {
            if (current is not TomlTable parent || !parent.TryGetValue(key, out current!))
            {
                return null;
            }
        }

        return current as TomlTableArray;
    }

    private static string Expression(TomlTable test, string path, string section) =>
        test.TryGetValue("expression", out var value) && value is string expression
            ? expression
            : throw new InvalidDataException($"A test in [{section}] of {path} has no string 'expression'.");

    /// <summary>Writes an expected value as an EQL literal.</summary>
    private static string Literal(object value) => value switch
    {
        string text => StringLiteral(text),
        bool flag => flag ? "true" : "false",
        long integer => integer.ToString(CultureInfo.InvariantCulture),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        _ => throw new InvalidDataException($"The expected value {value} is a {value.GetType().Name}, which has no EQL literal form."),
    };

    private static string StringLiteral(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (char c in text)
        {
            literal.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }

        return literal.Append('"').ToString();
    }
}
