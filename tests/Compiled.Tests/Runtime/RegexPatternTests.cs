using System.Text.Json;
using System.Text.RegularExpressions;
using Compiled.Generators.Eql;
using Compiled.Runtime.Matching;
using Compiled.Tests.Support;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Tests.Runtime;

/// <summary>
/// EQL's <c>regex</c> and <c>regex~</c> patterns: Lucene syntax translated by <see cref="LuceneRegex"/> and run by
/// <see cref="RegexPattern"/> on the non-backtracking engine.
/// </summary>
public class RegexPatternTests
{
    private static readonly object[] Matches =
    [
        // The pattern covers the whole value. A .NET pattern ending in '$' would also accept a trailing newline.
        new object[] { "abc", "abc", true },
        new object[] { "abc", "xabc", false },
        new object[] { "abc", "abcx", false },
        new object[] { "b", "abc", false },
        new object[] { "abc", "abc\n", false },
        new object[] { "", "", true },
        new object[] { "", "a", false },
        new object[] { "()", "", true },
        new object[] { "a()b", "ab", true },

        // '.' is one code point, newline and surrogate pairs included.
        new object[] { "a.c", "abc", true },
        new object[] { "a.c", "a\nc", true },
        new object[] { "a.c", "a\r\nc", false },
        new object[] { "a.c", "ac", false },
        new object[] { ".*", "", true },
        new object[] { ".*", "line one\nline two", true },
        new object[] { "a.c", "a\U0001F600c", true },
        new object[] { "a..c", "a\U0001F600c", false },

        // Character classes.
        new object[] { "[abc]+", "cab", true },
        new object[] { "[abc]+", "abd", false },
        new object[] { "[a-f0-9]{4}", "c0de", true },
        new object[] { "[a-f0-9]{4}", "c0dx", false },
        new object[] { "[^a-c]", "d", true },
        new object[] { "[^a-c]", "b", false },
        new object[] { "[^a]", "\n", true },
        new object[] { "[^a]", "\U0001F600", true },
        new object[] { "[^a]{2}", "\U0001F600", false },
        new object[] { "[\U0001F600-\U0001F602]", "\U0001F601", true },
        new object[] { "[\U0001F600-\U0001F602]", "\U0001F603", false },
        new object[] { "[]a]+", "]a]", true },
        new object[] { "[\\]]", "]", true },
        new object[] { "[.*+?(){}|\"@#~&<>]+", ".*+?(){}|\"@#~&<>", true },
        new object[] { "[-a^]+", "^-a", true },
        new object[] { "[-a]", "-", true },
        new object[] { "[\\d-z]+", "5-z", true },
        new object[] { "[\\d-z]", "m", false },

        // Quantifiers, including Lucene's '*?', which is '*' made optional and not a lazy quantifier.
        new object[] { "ab?c", "ac", true },
        new object[] { "ab?c", "abc", true },
        new object[] { "ab?c", "abbc", false },
        new object[] { "ab+c", "ac", false },
        new object[] { "ab+c", "abbbc", true },
        new object[] { "ab*c", "ac", true },
        new object[] { "ab*c", "abbbbc", true },
        new object[] { "a{3}", "aaa", true },
        new object[] { "a{3}", "aa", false },
        new object[] { "a{2,}", "aaaaa", true },
        new object[] { "a{2,}", "a", false },
        new object[] { "a{1,2}", "aaa", false },
        new object[] { "a{0}", "", true },
        new object[] { "a{2}{3}", "aaaaaa", true },
        new object[] { ".*?x.*?", "abxcd", true },
        new object[] { "a+?", "aaa", true },
        new object[] { "a*+", "aaa", true },

        // Numeric intervals: equal-width bounds fix the width, others allow any leading zeros.
        new object[] { "<1-100>", "57", true },
        new object[] { "<1-100>", "100", true },
        new object[] { "<1-100>", "101", false },
        new object[] { "<1-100>", "007", true },
        new object[] { "<1-100>", "0", false },
        new object[] { "<0-5>", "000", false },
        new object[] { "<0-15>", "000", true },
        new object[] { "<01-10>", "07", true },
        new object[] { "<01-10>", "7", false },
        new object[] { "<01-10>", "11", false },
        new object[] { "<10-1>", "5", true },
        new object[] { "port<8000-8099>", "port8080", true },
        new object[] { "port<8000-8099>", "port8100", false },
        new object[] { "<999-1001>", "1000", true },
        new object[] { "<999-1001>", "998", false },

        // Alternation and groups.
        new object[] { "cmd|powershell", "cmd", true },
        new object[] { "cmd|powershell", "powershell", true },
        new object[] { "cmd|powershell", "cmdpowershell", false },
        new object[] { "(net|net1)\\.exe", "net1.exe", true },
        new object[] { "(net|net1)\\.exe", "net2.exe", false },
        new object[] { "x(a|b)*y", "xababy", true },

        // Quoted strings are literal, backslash included.
        new object[] { "\"a.b\"", "a.b", true },
        new object[] { "\"a.b\"", "axb", false },
        new object[] { "\"C:\\\"", "C:\\", true },
        new object[] { "\"ab\"+", "ababab", true },
        new object[] { "\"\"", "", true },

        // A backslash makes the next character literal.
        new object[] { "a\\.b", "a.b", true },
        new object[] { "a\\.b", "axb", false },
        new object[] { "\\\\", "\\", true },
        new object[] { "\\@", "@", true },
        new object[] { "\\#", "#", true },
        new object[] { "\\~", "~", true },
        new object[] { "\\&", "&", true },
        new object[] { "\\<1\\>", "<1>", true },
        new object[] { "\\\"", "\"", true },
        new object[] { "\\ ", " ", true },

        // Lucene 10 defines \d, \s, \w and their complements with ASCII members.
        new object[] { "\\d+", "123", true },
        new object[] { "\\d", "d", false },
        new object[] { "\\d", "\u0663", false },
        new object[] { "\\D", "5", false },
        new object[] { "\\D", "x", true },
        new object[] { "\\s", "\t", true },
        new object[] { "\\s", "\r", true },
        new object[] { "\\s", "\u000B", false },
        new object[] { "\\s", "\u00A0", false },
        new object[] { "\\S+", "ab", true },
        new object[] { "\\w+", "a_Z9", true },
        new object[] { "\\w", "\u00E9", false },
        new object[] { "\\W", "-", true },
        new object[] { "net1\\s+\\w{4,15}\\s+.*", "net1  localgroup admins", true },

        // Characters that .NET reads as syntax but Lucene reads literally.
        new object[] { "^a$", "^a$", true },
        new object[] { "$5", "$5", true },
        new object[] { "a b", "a b", true },
        new object[] { "]", "]", true },
        new object[] { "}", "}", true },
        new object[] { "a,b", "a,b", true },
        new object[] { "*a", "*a", true },
        new object[] { "+", "+", true },
        new object[] { "a|*", "*", true },
        new object[] { ")", ")", true },
        new object[] { "a|)", ")", true },
        new object[] { "&", "&", true },
        new object[] { "(|)", "|", true },

        // Optional operators that Elasticsearch's default flags enable: '@' is any string, '#' matches nothing.
        new object[] { "@", "anything at all", true },
        new object[] { "@", "", true },
        new object[] { "a@", "abc", true },
        new object[] { ".*@example\\.com", "adminexample.com", true },
        new object[] { "#", "", false },
        new object[] { "#", "#", false },
        new object[] { "#|x", "x", true },
        new object[] { "a#", "a", false },

        // Lucene returns an empty automaton unchanged when repeating it, so '#*' rejects even the empty string.
        new object[] { "#*", "", false },
        new object[] { "a#*b", "ab", false },
        new object[] { "(#)*", "", false },
        new object[] { "#{0,}", "", false },
        new object[] { "#+|x", "x", true },
        new object[] { "#?", "", true },
        new object[] { "#{0,2}", "", true },
        new object[] { "a#{0}b", "ab", true },
    ];

    private static readonly object[] CaseInsensitiveMatches =
    [
        new object[] { "ABC", "abc", true },
        new object[] { "net1", "NET1", true },
        new object[] { "\"Net\"", "nEt", true },
        new object[] { "[abc]+", "ABC", true },
        new object[] { "[^a]", "A", false },
        new object[] { "[^a]", "b", true },
        new object[] { "\\W", "A", false },
        new object[] { "k", "\u212A", true },
        new object[] { "\u00E9", "\u00C9", true },
        new object[] { "a.c", "AXC", true },

        // Lucene adds case variants to single characters only, never to ranges.
        new object[] { "[a-z]+", "abc", true },
        new object[] { "[a-z]+", "ABC", false },
        new object[] { "[^a-z]", "A", true },
        new object[] { "[^a-cx]", "X", false },
        new object[] { "[^a-cx]", "B", true },
    ];

    [TestCaseSource(nameof(Matches))]
    public void CaseSensitiveMatch(string pattern, string value, bool expected)
    {
        var regex = new RegexPattern(pattern, ignoreCase: false);

        Assert.That(regex.IsMatch(value), Is.EqualTo(expected));
    }

    [TestCaseSource(nameof(CaseInsensitiveMatches))]
    public void CaseInsensitiveMatch(string pattern, string value, bool expected)
    {
        var regex = new RegexPattern(pattern, ignoreCase: true);

        Assert.That(regex.IsMatch(value), Is.EqualTo(expected));
    }

    [TestCase("ABC", "abc")]
    [TestCase("[ab]", "A")]
    public void IgnoreCaseFlagChangesMatch(string pattern, string value)
    {
        Assert.That(new RegexPattern(pattern, ignoreCase: false).IsMatch(value), Is.False);
        Assert.That(new RegexPattern(pattern, ignoreCase: true).IsMatch(value), Is.True);
    }

    [Test]
    public void TranslationWithoutCaseFlagIsCaseSensitive()
    {
        Assert.That(LuceneRegex.TryTranslate("Ab[c-d]", out string plain, out _, out _), Is.True);
        Assert.That(LuceneRegex.TryTranslate("Ab[c-d]", ignoreCase: false, out string explicitly, out _, out _), Is.True);

        Assert.That(plain, Is.EqualTo(explicitly));
        Assert.That(plain, Is.EqualTo(@"\A(?:Ab[c-d])\z"));
    }

    [TestCase("~a", "", true)]
    [TestCase("~a", "b", true)]
    [TestCase("~a", "aa", true)]
    [TestCase("~a", "a", false)]
    [TestCase("~~a", "a", true)]
    [TestCase("a~b", "a", true)]
    [TestCase("a~b", "ac", true)]
    [TestCase("a~b", "ab", false)]
    [TestCase("~a*", "aa", true)]
    [TestCase("~a*", "a", false)]
    [TestCase("~(.*foo.*)", "bar", true)]
    [TestCase("~(.*foo.*)", "xfoox", false)]
    [TestCase(".*a.*&.*b.*", "xaxbx", true)]
    [TestCase(".*a.*&.*b.*", "ba", true)]
    [TestCase(".*a.*&.*b.*", "aa", false)]
    [TestCase("(a|b)&c", "c", false)]
    [TestCase("[a-z]+&~(admin)", "user", true)]
    [TestCase("[a-z]+&~(admin)", "admin", false)]
    [TestCase("[a-z]+&~(admin)", "USER", false)]
    [TestCase("x(a&a)", "xa", true)]
    [TestCase("a&&b", "a", false)]
    [TestCase("(\\~)&~(\\~)", "~", false)]
    [TestCase("\\~&~a", "~", true)]
    [TestCase("<1-20>&~(1.)", "7", true)]
    [TestCase("<1-20>&~(1.)", "17", false)]
    [TestCase(".&~\\d", "\U0001F600", true)]
    public void ComplementAndIntersectionFollowLucene(string pattern, string value, bool expected)
    {
        var regex = new RegexPattern(pattern, ignoreCase: false);

        Assert.That(regex.IsMatch(value), Is.EqualTo(expected));
    }

    [Test]
    public void ComplementIgnoresCaseLikeItsOperand()
    {
        var regex = new RegexPattern("~(admin)&[a-zA-Z]+", ignoreCase: true);

        Assert.That(regex.IsMatch("ADMIN"), Is.False);
        Assert.That(regex.IsMatch("Admins"), Is.True);
    }

    [Test]
    public void AutomatonRunsInLinearTime()
    {
        // A backtracking engine needs exponential time for this shape; the automaton reads each character once.
        var regex = new RegexPattern("(.*a){25}&~(.*b)", ignoreCase: false);
        string value = new string('a', 200_000);

        Assert.That(regex.IsMatch(value), Is.True);
        Assert.That(regex.IsMatch(value + "b"), Is.False);
    }

    [TestCase("a~")]
    [TestCase("a&")]
    public void OperatorWithoutOperandIsAnError(string pattern)
    {
        Assert.That(LuceneRegex.TryTranslate(pattern, out _, out string? error, out int index), Is.False);
        Assert.That(error, Does.Contain("unexpected end"));
        Assert.That(index, Is.EqualTo(pattern.Length));
    }

    [Test]
    public void AutomatonTooLargeIsRejectedAtBuildTime()
    {
        var output = GeneratorHarness.Run("rule.toml", RuleFiles.Eql("process where process.name regex \"(a|b)*a(a|b){16}&@\""));

        var diagnostic = output.GeneratorDiagnostics.Single(d => d.Id == "CMP017");
        Assert.That(diagnostic.GetMessage(), Does.Contain("10000 states"));
    }

    [Test]
    public void RuleWithComplementMatchesEvents()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where process.name regex~ \"~(.*[.]exe)\"")));
        string[] events =
        [
            """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"process":{"name":"cmd.EXE"}}""",
            """{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"process"},"process":{"name":"bash"}}""",
        ];

        var sink = Scan.Run(rules, events);

        Assert.That(sink.Events.Select(e => e.Event.GetProperty("process").GetProperty("name").GetString()), Is.EqualTo(new[] { "bash" }));
    }

    [TestCase("(ab", 0, "missing ')'")]
    [TestCase("a(b", 1, "missing ')'")]
    [TestCase("(a|)", 0, "missing ')'")]
    [TestCase("ab)", 2, "unmatched ')'")]
    [TestCase("a(b))", 4, "unmatched ')'")]
    [TestCase("[ab", 0, "missing ']'")]
    [TestCase("x[^a", 1, "missing ']'")]
    [TestCase("[", 0, "missing ']'")]
    [TestCase("[]", 0, "missing ']'")]
    [TestCase("[a-", 0, "missing ']'")]
    [TestCase("\"ab", 0, "missing '\"'")]
    [TestCase("a{", 1, "invalid repetition")]
    [TestCase("a{x}", 1, "invalid repetition")]
    [TestCase("a{,3}", 1, "invalid repetition")]
    [TestCase("a{2", 1, "invalid repetition")]
    [TestCase("a{2,3", 1, "invalid repetition")]
    [TestCase("ab{3,2}", 2, "the minimum is greater than the maximum")]
    [TestCase("a{2147483648}", 1, "exceeds 2147483647")]
    [TestCase("[z-a]", 1, "invalid range 'z-a'")]
    [TestCase("x<1-2", 1, "missing '>'")]
    [TestCase("<1-2-3>", 0, "invalid numeric interval")]
    [TestCase("<-5>", 0, "invalid numeric interval")]
    [TestCase("<5->", 0, "invalid numeric interval")]
    [TestCase("<a-b>", 0, "invalid numeric interval")]
    [TestCase("<1-3000000000>", 0, "invalid numeric interval")]
    [TestCase("a<name>", 1, "names an automaton")]
    [TestCase("\\q", 0, "invalid escape '\\q'")]
    [TestCase("[a\\b]", 2, "invalid escape '\\b'")]
    [TestCase("a\\", 1, "lone '\\'")]
    [TestCase("a|", 2, "unexpected end")]
    public void InvalidPatternReportsIndex(string pattern, int index, string message)
    {
        Assert.That(LuceneRegex.TryTranslate(pattern, out string translated, out string? error, out int errorIndex), Is.False);

        Assert.That(translated, Is.Empty);
        Assert.That(error, Does.Contain(message));
        Assert.That(errorIndex, Is.EqualTo(index));
    }

    [Test]
    public void ConstructorRejectsInvalidPattern()
    {
        var exception = Assert.Throws<ArgumentException>(() => new RegexPattern("a{2", ignoreCase: false));

        Assert.That(exception!.ParamName, Is.EqualTo("pattern"));
        Assert.That(exception.Message, Does.Contain("at index 1"));
        Assert.That(exception.Message, Does.Contain("invalid repetition"));
    }

    [Test]
    public void OversizedPatternFallsBackWithTimeLimit()
    {
        var pattern = new RegexPattern(".{0,4000}x", ignoreCase: false);

        Assert.That(pattern.UsesFallback, Is.True);
        Assert.That(pattern.IsMatch(new string('a', 3000) + "x"), Is.True);
        Assert.That(pattern.IsMatch(new string('a', 5000) + "x"), Is.False);
    }

    [Test]
    public void TranslationEscapesDotnetSyntax()
    {
        Assert.That(LuceneRegex.TryTranslate("^$ }]\u00e9", out string translated, out _, out _), Is.True);

        Assert.That(translated, Is.EqualTo(@"\A(?:\^\$\u0020\}\]\u00E9)\z"));
    }

    [TestCase("(a+)+b", false)]
    [TestCase("(a|aa)*c", false)]
    [TestCase("(a|aa)*", true)]
    [TestCase("(.*a){20}", true)]
    [TestCase("(a*)*b", false)]
    public void PathologicalPatternFinishes(string pattern, bool expected)
    {
        var regex = new RegexPattern(pattern, ignoreCase: false);
        string value = new('a', 50_000);

        Assert.That(regex.IsMatch(value), Is.EqualTo(expected));
    }

    [Test]
    public void IsMatchAllocatesNothingAfterWarmUp()
    {
        var regex = new RegexPattern(".*?net1[ ]+[a-z]{4,15}[ ]+.*", ignoreCase: true);
        string[] values =
        [
            "C:\\Windows\\system32\\NET1  localgroup administrators",
            "net  localgroup administrators",
            "C:\\Python27\\python.exe server.py --port 8446 \U0001F600",
        ];
        for (int i = 0; i < 3; i++)
        {
            foreach (string value in values)
            {
                regex.IsMatch(value);
            }
        }

        int matched = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (string value in values)
            {
                matched += regex.IsMatch(value.AsSpan()) ? 1 : 0;
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(matched, Is.EqualTo(1000));
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for 3000 calls");
    }

    /// <summary>
    /// Runs every <c>process where command_line regex ...</c> query of Elasticsearch's EQL suite over the suite's
    /// process events and compares the matching event ids with the expected ones. Several patterns are joined
    /// with '|', as Elasticsearch's EQL <c>Match</c> function does.
    /// </summary>
    [Test]
    public void EqlSuiteRegexQueriesSelectExpectedEvents()
    {
        string suite = Path.Combine(Paths.Shared, "conformance", "es-eql");
        var commandLines = ProcessCommandLines(Path.Combine(suite, "data", "endgame-140.data"));
        Assert.That(commandLines, Has.Count.GreaterThan(50));

        int checkedQueries = 0;
        foreach (string file in Directory.GetFiles(suite, "*.toml"))
        {
            string text = File.ReadAllText(file);
            if (!text.Contains(" regex", StringComparison.Ordinal))
            {
                continue;
            }

            var queries = (TomlTableArray)TomlSerializer.Deserialize<TomlTable>(text)!["queries"];
            foreach (TomlTable query in queries)
            {
                var call = SuiteRegexCall((string)query["query"]);
                if (call is null)
                {
                    continue;
                }

                var regex = new RegexPattern(string.Join("|", call.Value.Patterns), call.Value.IgnoreCase);
                var actual = commandLines.Where(e => regex.IsMatch(e.CommandLine)).Select(e => e.Id).ToList();
                var expected = ((TomlArray)query["expected_event_ids"]!).Select(id => Convert.ToInt64(id)).ToList();

                Assert.That(actual, Is.EqualTo(expected), $"{query["name"]} in {Path.GetFileName(file)}");
                checkedQueries++;
            }
        }

        Assert.That(checkedQueries, Is.GreaterThanOrEqualTo(6));
    }

    private static List<(long Id, string CommandLine)> ProcessCommandLines(string dataFile)
    {
        using var data = JsonDocument.Parse(File.ReadAllText(dataFile));
        var events = new List<(long Id, string CommandLine)>();
        foreach (var item in data.RootElement.EnumerateArray())
        {
            if (item.GetProperty("event_type").GetString() == "process" &&
                item.TryGetProperty("command_line", out var commandLine) &&
                commandLine.ValueKind == JsonValueKind.String)
            {
                events.Add((item.GetProperty("serial_event_id").GetInt64(), commandLine.GetString()!));
            }
        }

        return events;
    }

    /// <summary>
    /// Reads the patterns of a query of the form <c>process where command_line regex[~] "p"</c> or
    /// <c>... regex[~] ("p1", "p2")</c>, skipping <c>//</c> comment lines. Returns null for any other query.
    /// </summary>
    private static (string[] Patterns, bool IgnoreCase)? SuiteRegexCall(string query)
    {
        string code = string.Join(
            "\n", query.Split('\n').Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        var call = Regex.Match(code, @"^\s*process where command_line (regex~?)\s+(.+?)\s*$", RegexOptions.Singleline);
        if (!call.Success)
        {
            return null;
        }

        var strings = Regex.Matches(call.Groups[2].Value, "\"\"\"(.*?)\"\"\"|\"([^\"]*)\"");
        var patterns = strings.Select(s => s.Groups[1].Success ? s.Groups[1].Value : s.Groups[2].Value).ToArray();

        // Only raw strings may contain backslashes here, because EQL unescapes ordinary strings first.
        Assert.That(strings.Where(s => s.Groups[2].Success).Select(s => s.Value), Has.None.Contains("\\"), query);
        Assert.That(patterns, Is.Not.Empty, query);
        return (patterns, call.Groups[1].Value == "regex~");
    }
}
