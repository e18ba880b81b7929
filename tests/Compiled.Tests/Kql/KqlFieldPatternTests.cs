using System.Text;
using Compiled.Runtime.Events;
using Compiled.Tests.Support;

namespace Compiled.Tests.Kql;

/// <summary>
/// KQL field names with <c>*</c>, which Kibana expands over every mapped field. Compiled matches them
/// against the field paths present in each event, as keywords unless ECS gives the path another type.
/// </summary>
public class KqlFieldPatternTests
{
    private const string Timestamp = "\"@timestamp\":\"2024-01-02T03:04:05.678Z\"";

    private static bool Matches(string query, string eventFields)
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Kql(query)));
        var sink = Scan.Run(rules, ["{" + Timestamp + "," + eventFields + "}"]);
        return sink.Events.Count == 1;
    }

    [TestCase("a.*.b", "a.0.b", true)]
    [TestCase("a.*.b", "a.x.y.b", true)]
    [TestCase("a.*.b", "a.b", false)]
    [TestCase("a.*.b", "a.0.bc", false)]
    [TestCase("a.*.b", "xa.0.b", false)]
    [TestCase("a.*", "a.b", true)]
    [TestCase("a.*", "a.", true)]
    [TestCase("a.*", "ab", false)]
    [TestCase("*.name", "process.parent.name", true)]
    [TestCase("*.name", "name", false)]
    [TestCase("a.*.m.*.n", "a.0.m.1.n", true)]
    [TestCase("a.*.m.*.n", "a.0.n.1.m", false)]
    [TestCase("a.*.m.*.n", "a.m.n", false)]
    public void PatternMatchesDottedPaths(string pattern, string path, bool expected)
    {
        var fieldPattern = new FieldPattern(pattern.Split('*'), []);

        Assert.That(fieldPattern.IsMatch(path), Is.EqualTo(expected));
    }

    [Test]
    public void PatternSkipsExcludedPaths()
    {
        var pattern = new FieldPattern(["process.", ""], ["process.pid"]);

        Assert.That(pattern.IsMatch("process.pid"), Is.False);
        Assert.That(pattern.IsMatch("process.name"), Is.True);
    }

    private const string Audit = "azure.auditlogs.properties.target_resources.*.type:User";

    [TestCase(Audit, "\"azure\":{\"auditlogs\":{\"properties\":{\"target_resources\":{\"0\":{\"type\":\"User\"}}}}}", true)]
    [TestCase(Audit, "\"azure\":{\"auditlogs\":{\"properties\":{\"target_resources\":{\"3\":{\"type\":[\"Group\",\"User\"]}}}}}", true)]
    [TestCase(Audit, "\"azure.auditlogs.properties.target_resources.0.type\":\"User\"", true)]
    [TestCase(Audit, "\"azure\":{\"auditlogs.properties\":{\"target_resources.1\":{\"type\":\"User\"}}}", true)]
    [TestCase(Audit, "\"azure\":{\"auditlogs\":{\"properties\":{\"target_resources\":{\"0\":{\"type\":\"user\"}}}}}", false)]
    [TestCase(Audit, "\"azure\":{\"auditlogs\":{\"properties\":{\"target_resources\":[{\"type\":\"User\"}]}}}", false)]
    [TestCase(Audit, "\"azure\":{\"auditlogs\":{\"properties\":{\"type\":\"User\"}}}", false)]
    public void MiddleWildcardMatchesEventPaths(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    private const string SignIn = "azure.signinlogs.properties.*";

    [TestCase(SignIn + ":Chrome", "\"azure\":{\"signinlogs\":{\"properties\":{\"device_detail\":{\"browser\":\"Chrome\"}}}}", true)]
    [TestCase(SignIn + ":Chrome", "\"azure\":{\"signinlogs\":{\"properties\":{\"app_display_name\":\"Chrome\"}}}", true)]
    [TestCase(SignIn + ":Chrome", "\"azure\":{\"signinlogs\":{\"category\":\"Chrome\"}}", false)]
    [TestCase(SignIn + ":Chr*", "\"azure\":{\"signinlogs\":{\"properties\":{\"device_detail\":{\"browser\":\"Chrome 120\"}}}}", true)]
    [TestCase(SignIn + ":*", "\"azure\":{\"signinlogs\":{\"properties\":{\"risk_level\":\"high\"}}}", true)]
    [TestCase(SignIn + ":*", "\"azure\":{\"signinlogs\":{\"properties\":{\"risk_level\":null}}}", false)]
    [TestCase(SignIn + ":42", "\"azure\":{\"signinlogs\":{\"properties\":{\"status\":{\"error_code\":42}}}}", true)]
    [TestCase(SignIn + ":true", "\"azure\":{\"signinlogs\":{\"properties\":{\"is_interactive\":true}}}", true)]
    [TestCase("not " + SignIn + ":Chrome", "\"azure\":{\"signinlogs\":{\"properties\":{\"app_display_name\":\"Chrome\"}}}", false)]
    [TestCase("not " + SignIn + ":Chrome", "\"host\":{\"name\":\"a\"}", true)]
    public void EndWildcardMatchesEventPaths(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [TestCase("*.display_name:x", "\"custom\":{\"display_name\":\"x\"}", true)]
    [TestCase("*.display_name:x", "\"custom\":{\"inner\":[{\"display_name\":\"x\"}]}", true)]
    [TestCase("*.display_name:x", "\"display_name\":\"x\"", false)]
    [TestCase("cust*.name:x", "\"custom\":{\"name\":\"x\"}", true)]
    [TestCase("cust*.name:x", "\"other\":{\"name\":\"x\"}", false)]
    public void LeadingWildcardMatchesEventPaths(string query, string fields, bool expected)
    {
        Assert.That(Matches(query, fields), Is.EqualTo(expected));
    }

    [Test]
    public void EcsTypeWinsOverKeyword()
    {
        // message is a match_only_text field in ECS: "---" has no tokens, so a text match finds nothing,
        // while a keyword test would compare the whole value and match.
        Assert.That(Matches("messag*:\"---\"", "\"message\":\"---\""), Is.False);
        Assert.That(Matches("messag*:hello", "\"message\":\"say Hello there\""), Is.True);

        // process.pid is a long in ECS, so "04" is the number 4. A keyword test would need the text "4".
        Assert.That(Matches("process.p*:4", "\"process\":{\"pid\":\"04\"}"), Is.True);
    }

    [Test]
    public void PatternAndFieldShareValues()
    {
        const string query = "azure.auditlogs.properties.target_resources.0.type:User and azure.auditlogs.properties.target_resources.*.type:User";

        Assert.That(Matches(query, "\"azure\":{\"auditlogs\":{\"properties\":{\"target_resources\":{\"0\":{\"type\":\"User\"}}}}}"), Is.True);
        Assert.That(Matches(query, "\"azure\":{\"auditlogs\":{\"properties\":{\"target_resources\":{\"1\":{\"type\":\"User\"}}}}}"), Is.False);
    }

    [Test]
    public void DecoderSkipsSubtreesOutsidePatterns()
    {
        var schema = FieldSchema.Create(["host.name"]);
        int slot = schema.PatternSlot(new FieldPattern(["a.b.", ".c"], []));
        var record = new EventRecord(schema);
        var decoder = new EventDecoder(schema);

        string? error = decoder.Decode(Encoding.UTF8.GetBytes("""{"a":{"x":{"c":"no"},"b":{"1":{"c":"yes"},"2":{"d":"no"}}},"z":{"c":"no"}}"""), record);

        Assert.That(error, Is.Null);
        var values = new List<string>();
        foreach (ref readonly var value in record.Values(slot))
        {
            values.Add(record.Text(value).ToString());
        }

        Assert.That(values, Is.EqualTo(new[] { "yes" }));
    }

    [Test]
    public void LateRegistrationIsRejected()
    {
        var schema = FieldSchema.Create(["host.name"]);
        _ = new EventRecord(schema);

        var error = Assert.Throws<InvalidOperationException>(() => schema.PatternSlot(new FieldPattern(["a.", ""], [])));

        Assert.That(error!.Message, Does.Contain("'a.*'"));
    }

    /// <summary>Elastic's rule for a guest account promoted to member, over Entra ID audit events written for it.</summary>
    [Test]
    [Category("Corpus")]
    public void AzureCorpusRuleAlertsOnPromotion()
    {
        string path = Path.Combine(Paths.Shared, "corpus", "detection-rules", "rules", "integrations", "azure",
            "persistence_entra_id_guest_account_promoted_to_member.toml");
        var rules = Scan.CompileRules((Path.GetFileName(path), File.ReadAllText(path)));

        static string Event(string id, string oldValue, string newValue) =>
            "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"_id\":\"" + id + "\",\"data_stream\":{\"dataset\":\"azure.auditlogs\"}," +
            "\"event\":{\"outcome\":\"success\"},\"azure\":{\"auditlogs\":{\"operation_name\":\"Update user\"," +
            "\"properties\":{\"target_resources\":{\"0\":{\"display_name\":\"guest@example.com\",\"modified_properties\":{" +
            "\"0\":{\"display_name\":\"AccountEnabled\",\"old_value\":\"[true]\",\"new_value\":\"[true]\"}," +
            "\"1\":{\"display_name\":\"UserType\",\"old_value\":\"" + oldValue + "\",\"new_value\":\"" + newValue + "\"}}}}}}}}";

        var sink = Scan.Run(rules,
        [
            Event("promoted", "[\\\"Guest\\\"]", "[\\\"Member\\\"]"),
            Event("demoted", "[\\\"Member\\\"]", "[\\\"Guest\\\"]"),
            Event("unchanged", "[\\\"Guest\\\"]", "[\\\"Guest\\\"]"),
        ]);

        Assert.That(sink.Events, Has.Count.EqualTo(1));
        Assert.That(sink.Events[0].Event.GetProperty("_id").GetString(), Is.EqualTo("promoted"));
    }
}
