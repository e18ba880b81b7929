using Compiled.Tests.Support;

namespace Compiled.Tests.Kql;

/// <summary>
/// KQL rules compiled by the real generator against ECS's field types, run over small events. Each case
/// states whether Elasticsearch would return the event for the query.
/// </summary>
public class KqlBehaviourTests
{
    private const string Timestamp = "\"@timestamp\":\"2024-01-02T03:04:05.678Z\"";

    private static bool Matches(string query, string eventFields, string after = "")
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Kql(query, after: after)));
        var sink = Scan.Run(rules, ["{" + Timestamp + (eventFields.Length > 0 ? "," : "") + eventFields + "}"]);
        return sink.Events.Count == 1;
    }

    [TestCase("process.name:cmd.exe", "\"process\":{\"name\":\"cmd.exe\"}", true)]
    [TestCase("process.name:cmd.exe", "\"process\":{\"name\":\"CMD.EXE\"}", false)]
    [TestCase("process.name:\"cmd.exe\"", "\"process\":{\"name\":\"cmd.exe\"}", true)]
    [TestCase("process.name:cmd", "\"process\":{\"name\":\"cmd.exe\"}", false)]
    [TestCase("process.name:cmd*", "\"process\":{\"name\":\"cmd.exe\"}", true)]
    [TestCase("process.name:*MD*", "\"process\":{\"name\":\"cmd.exe\"}", false)]
    [TestCase("process.name:c*d.*e", "\"process\":{\"name\":\"cmd.exe\"}", true)]
    [TestCase("process.name:\"cmd*\"", "\"process\":{\"name\":\"cmd.exe\"}", false)]
    [TestCase("process.name:\"cmd*\"", "\"process\":{\"name\":\"cmd*\"}", true)]
    [TestCase("process.name:cmd\\*", "\"process\":{\"name\":\"cmd*\"}", true)]
    [TestCase("process.name:cmd\\*", "\"process\":{\"name\":\"cmd.exe\"}", false)]
    [TestCase("process.name:a?c", "\"process\":{\"name\":\"abc\"}", false)]
    [TestCase("process.name:a?c", "\"process\":{\"name\":\"a?c\"}", true)]
    public void KeywordIsExactCaseSensitiveWithStarWildcards(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("file.path:C\\:\\\\Windows\\\\*", "\"file\":{\"path\":\"C:\\\\Windows\\\\x.dll\"}", true)]
    [TestCase("file.path:\"C:\\\\Windows\\\\x.dll\"", "\"file\":{\"path\":\"C:\\\\Windows\\\\x.dll\"}", true)]
    [TestCase("file.name:\\(x\\)", "\"file\":{\"name\":\"(x)\"}", true)]
    [TestCase("file.name:\"say \\\"hi\\\"\"", "\"file\":{\"name\":\"say \\\"hi\\\"\"}", true)]
    [TestCase("file.name:a\\tb", "\"file\":{\"name\":\"a\\tb\"}", true)]
    [TestCase("file.name:\"a\\nb\"", "\"file\":{\"name\":\"a\\nb\"}", true)]
    [TestCase("file.name:\\or", "\"file\":{\"name\":\"or\"}", true)]
    [TestCase("file.name:New Folder", "\"file\":{\"name\":\"New Folder\"}", true)]
    [TestCase("file.path:\"C:\\WinRAR\\uninstall.exe\"", "\"file\":{\"path\":\"C:\\\\WinRAR\\\\uninstall.exe\"}", true)]
    [TestCase("file.name:\"\\u0041b\"", "\"file\":{\"name\":\"Ab\"}", true)]
    [TestCase("file.name:\\uD83D\\uDE00x", "\"file\":{\"name\":\"\\ud83d\\ude00x\"}", true)]
    public void EscapesAndSpacesDecodeAsKibanaDoes(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("event.action:(start or stop)", "\"event\":{\"action\":\"stop\"}", true)]
    [TestCase("event.action:(start or stop)", "\"event\":{\"action\":\"end\"}", false)]
    [TestCase("process.args:(a and b)", "\"process\":{\"args\":[\"a\",\"b\"]}", true)]
    [TestCase("process.args:(a and b)", "\"process\":{\"args\":[\"a\",\"c\"]}", false)]
    [TestCase("process.args:(a and not b)", "\"process\":{\"args\":[\"a\",\"c\"]}", true)]
    [TestCase("process.args:(a OR b AND c)", "\"process\":{\"args\":[\"a\"]}", true)]
    [TestCase("process.args:((a or b) and c)", "\"process\":{\"args\":[\"a\"]}", false)]
    public void ValueListsApplyTheFieldToEachValue(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("host.name:a or host.name:b and user.name:c", "\"host\":{\"name\":\"a\"}", true)]
    [TestCase("(host.name:a or host.name:b) and user.name:c", "\"host\":{\"name\":\"a\"}", false)]
    [TestCase("not host.name:a and user.name:c", "\"user\":{\"name\":\"c\"}", true)]
    [TestCase("NOT host.name:a", "\"host\":{\"name\":\"b\"}", true)]
    [TestCase("not host.name:a", "", true)]
    [TestCase("not (host.name:a or user.name:c)", "\"host\":{\"name\":\"a\"}", false)]
    public void NotBindsTighterThanAndThanOr(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.args:-enc", "\"process\":{\"args\":[\"powershell\",\"-enc\",\"AAAA\"]}", true)]
    [TestCase("not process.args:-enc", "\"process\":{\"args\":[\"powershell\",\"-enc\"]}", false)]
    [TestCase("not process.args:-enc", "\"process\":{\"args\":[\"powershell\"]}", true)]
    [TestCase("process.args:*enc", "\"process\":{\"args\":[\"x\",\"-enc\"]}", true)]
    public void ArraysMatchWhenAnyElementMatches(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.parent.name:*", "\"process\":{\"parent\":{\"name\":\"x\"}}", true)]
    [TestCase("process.parent.name:*", "\"process\":{\"parent\":{\"name\":null}}", false)]
    [TestCase("process.parent.name:*", "\"process\":{\"name\":\"x\"}", false)]
    [TestCase("not process.parent.name:*", "\"process\":{\"name\":\"x\"}", true)]
    [TestCase("process.parent.name:\"*\"", "\"process\":{\"parent\":{\"name\":\"x\"}}", false)]
    public void StarAloneTestsExistence(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("source.ip:10.0.0.0/8", "\"source\":{\"ip\":\"10.1.2.3\"}", true)]
    [TestCase("source.ip:10.0.0.0/8", "\"source\":{\"ip\":\"11.1.2.3\"}", false)]
    [TestCase("source.ip:\"10.1.2.3\"", "\"source\":{\"ip\":\"10.1.2.3\"}", true)]
    [TestCase("source.ip:(127.0.0.1 or \"::1\")", "\"source\":{\"ip\":\"::1\"}", true)]
    [TestCase("not source.ip:(10.0.0.0/8 or 192.168.0.0/16)", "\"source\":{\"ip\":\"8.8.8.8\"}", true)]
    [TestCase("not source.ip:(10.0.0.0/8 or 192.168.0.0/16)", "\"source\":{\"ip\":\"192.168.4.4\"}", false)]
    [TestCase("source.ip:10.0.0.0/8", "\"source\":{\"ip\":\"not-an-ip\"}", false)]
    public void IpFieldsMatchAddressesAndCidrBlocks(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.pid:4", "\"process\":{\"pid\":4}", true)]
    [TestCase("process.pid:4", "\"process\":{\"pid\":\"4\"}", true)]
    [TestCase("process.pid:4.0", "\"process\":{\"pid\":4}", true)]
    [TestCase("process.pid > 4", "\"process\":{\"pid\":5}", true)]
    [TestCase("process.pid >= 5", "\"process\":{\"pid\":5}", true)]
    [TestCase("process.pid < 5", "\"process\":{\"pid\":5}", false)]
    [TestCase("process.pid <= 10", "\"process\":{\"pid\":9}", true)]
    [TestCase("process.pid > 4", "\"process\":{\"name\":\"x\"}", false)]
    [TestCase("not process.pid > 4", "\"process\":{\"name\":\"x\"}", true)]
    public void NumericFieldsCompareAsNumbers(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("@timestamp >= \"2024-01-02\"", true)]
    [TestCase("@timestamp < \"2024-01-02T03:04:05Z\"", false)]
    [TestCase("@timestamp <= \"2024-01-02T03:04:05Z\"", true)]
    [TestCase("@timestamp:\"2024-01-02\"", true)]
    [TestCase("@timestamp:2024-01-03", false)]
    [TestCase("@timestamp > 2024-01-01T23\\:59\\:59Z", true)]
    public void DateFieldsCompareAsDates(string query, bool expected)
    {
        Assert.That(Matches(query, ""), Is.EqualTo(expected));
    }

    [TestCase("event.code:4624", "\"event\":{\"code\":\"4624\"}", true)]
    [TestCase("event.code:4624", "\"event\":{\"code\":4624}", true)]
    [TestCase("package.version:10.0", "\"package\":{\"version\":\"10.0\"}", false)]
    [TestCase("package.version:10.0", "\"package\":{\"version\":\"10\"}", true)]
    [TestCase("package.version:\"10.0\"", "\"package\":{\"version\":\"10.0\"}", true)]
    [TestCase("package.version:1.50", "\"package\":{\"version\":\"1.5\"}", true)]
    [TestCase("package.version:010", "\"package\":{\"version\":\"010\"}", true)]
    [TestCase("package.version:1.2.3", "\"package\":{\"version\":\"1.2.3\"}", true)]
    public void UnquotedNumbersOnKeywordsAreSentAsNumbers(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("host.name > m", "\"host\":{\"name\":\"n\"}", true)]
    [TestCase("host.name > m", "\"host\":{\"name\":\"N\"}", false)]
    public void KeywordRangesCompareByCodeUnit(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.command_line.text:powershell", "\"process\":{\"command_line\":\"C:\\\\Windows\\\\PowerShell.exe -NoProfile\"}", false)]
    [TestCase("process.command_line.text:powershell.exe", "\"process\":{\"command_line\":\"C:\\\\Windows\\\\PowerShell.exe -NoProfile\"}", true)]
    [TestCase("process.command_line.text:NOPROFILE", "\"process\":{\"command_line\":\"C:\\\\Windows\\\\PowerShell.exe -NoProfile\"}", true)]
    [TestCase("process.command_line.text:other noprofile", "\"process\":{\"command_line\":\"powershell -NoProfile\"}", true)]
    [TestCase("process.command_line.text:\"powershell noprofile\"", "\"process\":{\"command_line\":\"powershell -NoProfile\"}", true)]
    [TestCase("process.command_line.text:\"noprofile powershell\"", "\"process\":{\"command_line\":\"powershell -NoProfile\"}", false)]
    [TestCase("process.command_line.text:power*", "\"process\":{\"command_line\":\"x PowerShell -c\"}", true)]
    [TestCase("process.command_line.text:*shell", "\"process\":{\"command_line\":\"PowerShell.exe\"}", false)]
    [TestCase("message:\"10.0.0.1\"", "\"message\":\"from 10.0.0.1 port 22\"", true)]
    [TestCase("message:\\uD801\\uDC00x", "\"message\":\"say \\ud801\\udc28X now\"", true)]
    [TestCase("message:\\uD801\\uDC28x", "\"message\":\"say \\ud801\\udc00x now\"", true)]
    [TestCase("message:\"from port\"", "\"message\":\"from 10.0.0.1 port 22\"", false)]
    [TestCase("message:\"a b\"", "\"message\":[\"x a\",\"b y\"]", false)]
    public void TextFieldsMatchAnalyzedTokens(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.command_line:*powershell*", "\"process\":{\"command_line\":\"PowerShell.exe\"}", false)]
    [TestCase("process.command_line:*PowerShell*", "\"process\":{\"command_line\":\"C:\\\\PowerShell.exe\"}", true)]
    public void WildcardTypeFieldsMatchLikeKeywords(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.Ext.token.elevation:true", "\"process\":{\"Ext\":{\"token\":{\"elevation\":true}}}", true)]
    [TestCase("dll.code_signature.trusted:false", "\"dll\":{\"code_signature\":{\"trusted\":false}}", true)]
    [TestCase("dll.code_signature.trusted:false", "\"dll\":{\"code_signature\":{\"trusted\":\"false\"}}", true)]
    [TestCase("dll.code_signature.trusted:true", "\"dll\":{\"code_signature\":{\"trusted\":false}}", false)]
    public void BooleanFieldsMatchTrueAndFalse(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("file.hash.*:abc", "\"file\":{\"hash\":{\"sha256\":\"abc\"}}", true)]
    [TestCase("file.hash.*:abc", "\"file\":{\"hash\":{\"md5\":\"abc\"}}", true)]
    [TestCase("file.hash.*:abc", "\"file\":{\"name\":\"abc\"}", false)]
    public void WildcardFieldNamesExpandOverEcsFields(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("process.parent:{ name:cmd.exe and pid > 3 }", "\"process\":{\"parent\":{\"name\":\"cmd.exe\",\"pid\":4}}", true)]
    [TestCase("process.parent:{ name:cmd.exe and pid > 3 }", "\"process\":{\"parent\":{\"name\":\"cmd.exe\",\"pid\":2}}", false)]
    public void NestedQueriesPrefixTheirFields(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    private const string BothNames = "user:{ first:\"Alice\" and last:\"Smith\" }";

    [TestCase(BothNames, "\"user\":[{\"first\":\"Alice\",\"last\":\"Jones\"},{\"first\":\"Bob\",\"last\":\"Smith\"}]", false)]
    [TestCase(BothNames, "\"user\":[{\"first\":\"Bob\",\"last\":\"Jones\"},{\"first\":\"Alice\",\"last\":\"Smith\"}]", true)]
    [TestCase(BothNames, "\"user\":{\"first\":\"Alice\",\"last\":\"Smith\"}", true)]
    [TestCase(BothNames, "\"user\":{\"first\":[\"Alice\",\"Al\"],\"last\":\"Smith\"}", true)]
    [TestCase(BothNames, "\"user\":[{\"first\":\"Alice\"},{\"last\":\"Smith\"}]", false)]
    [TestCase("user:{ first:Alice and not last:Smith }", "\"user\":[{\"first\":\"Alice\",\"last\":\"Smith\"},{\"first\":\"Bob\"}]", false)]
    [TestCase("user:{ first:Alice and not last:Smith }", "\"user\":[{\"first\":\"Alice\",\"last\":\"Smith\"},{\"first\":\"Alice\"}]", true)]
    [TestCase("user:{ not first:Alice }", "\"host\":{\"name\":\"a\"}", false)]
    [TestCase("not user:{ first:Alice and last:Smith }", "\"user\":[{\"first\":\"Alice\"},{\"last\":\"Smith\"}]", true)]
    [TestCase("user:{ first:Alice or last:Smith }", "\"user\":[{\"first\":\"Bob\"},{\"last\":\"Smith\"}]", true)]
    public void NestedQueryNeedsOneElement(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("\"a\":[{\"b\":[{\"c\":1,\"d\":2}],\"e\":3},{\"b\":[{\"c\":1}],\"e\":4}]", false)]
    [TestCase("\"a\":[{\"b\":[{\"c\":1,\"d\":2}],\"e\":4},{\"b\":[{\"c\":1}],\"e\":3}]", true)]
    [TestCase("\"a\":[{\"b\":[{\"c\":1},{\"d\":2}],\"e\":4}]", false)]
    public void NestedQueriesNestInsideEachOther(string fields, bool expected)
    {
        Assert.That(Matches("a:{ b:{ c:1 and d:2 } and e:4 }", fields), Is.EqualTo(expected));
    }

    [Test]
    public void RequiredFieldsTypeFieldsOutsideEcs()
    {
        const string after = """
            [[rule.required_fields]]
            name = "custom.count"
            type = "long"
            """;

        Assert.That(Matches("custom.count > 9", "\"custom\":{\"count\":10}", after), Is.True);
        Assert.That(Matches("custom.count > 9", "\"custom\":{\"count\":\"9\"}", after), Is.False);

        // Without the type the field is a keyword, and "10" sorts before "9".
        Assert.That(Matches("custom.count > 9", "\"custom\":{\"count\":10}"), Is.False);
    }

    [Test]
    public void EmptyQueryMatchesEveryEvent()
    {
        Assert.That(Matches("", "\"host\":{\"name\":\"a\"}"), Is.True);
    }

    private const string WildcardFilter = """
        [[rule.filters]]
        [rule.filters.meta]
        negate = true
        [rule.filters.query.wildcard."file.path"]
        case_insensitive = true
        value = "?:\\\\Program Files\\\\*"
        """;

    [TestCase("C:\\\\Program Files\\\\app.exe", false)]
    [TestCase("c:\\\\program files\\\\app.exe", false)]
    [TestCase("C:\\\\Temp\\\\app.exe", true)]
    public void NegatedWildcardFilterExcludesMatches(string path, bool expected)
    {
        Assert.That(Matches("file.name:app.exe", "\"file\":{\"name\":\"app.exe\",\"path\":\"" + path + "\"}", WildcardFilter), Is.EqualTo(expected));
    }

    private const string CaseInsensitiveTermFilter = """
        [[rule.filters]]
        [rule.filters.query.term."process.name"]
        value = "FT1*.EXE"
        case_insensitive = true
        """;

    [TestCase("FT1*.EXE", true)]
    [TestCase("ft1*.exe", true)]
    [TestCase("ft1x.exe", false)]
    [TestCase("FT1.EXE", false)]
    public void CaseInsensitiveTermMatchesLiterally(string name, bool expected)
    {
        Assert.That(Matches("event.action:start", "\"event\":{\"action\":\"start\"},\"process\":{\"name\":\"" + name + "\"}", CaseInsensitiveTermFilter), Is.EqualTo(expected));
    }

    private const string PhraseFilter = """
        [[rule.filters]]
        [rule.filters.meta]
        disabled = false
        negate = false
        [rule.filters.query.match_phrase]
        "event.module" = "threatintel"
        """;

    private const string DisabledFilter = """
        [[rule.filters]]
        [rule.filters.meta]
        disabled = true
        [rule.filters.query.match_phrase]
        "event.module" = "other"
        """;

    private const string ExistsFilter = """
        [[rule.filters]]
        [rule.filters.meta]
        negate = true
        [rule.filters.exists]
        field = "user_agent.original"
        """;

    private const string BoolFilter = """
        [[rule.filters]]
        [rule.filters.query.bool]
        [[rule.filters.query.bool.should]]
        [rule.filters.query.bool.should.match_phrase]
        "host.name" = "a"
        [[rule.filters.query.bool.should]]
        [rule.filters.query.bool.should.match_phrase]
        "host.name" = "b"
        """;

    [TestCase(PhraseFilter, "\"event\":{\"module\":\"threatintel\"}", true)]
    [TestCase(PhraseFilter, "\"event\":{\"module\":\"other\"}", false)]
    [TestCase(DisabledFilter, "\"event\":{\"module\":\"threatintel\"}", true)]
    [TestCase(ExistsFilter, "\"event\":{\"module\":\"x\"}", true)]
    [TestCase(ExistsFilter, "\"event\":{\"module\":\"x\"},\"user_agent\":{\"original\":\"curl\"}", false)]
    [TestCase(BoolFilter, "\"event\":{\"module\":\"x\"},\"host\":{\"name\":\"b\"}", true)]
    [TestCase(BoolFilter, "\"event\":{\"module\":\"x\"},\"host\":{\"name\":\"c\"}", false)]
    public void FiltersNarrowTheQuery(string filter, string fields, bool expected)
    {
        Assert.That(Matches("event.module:*", fields, filter), Is.EqualTo(expected));
    }
}
