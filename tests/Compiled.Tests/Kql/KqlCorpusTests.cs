using System.Text.Json;
using Compiled.Compiler;
using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Tests.Kql;

/// <summary>Elastic's real KQL rules: they compile, and a few of them alert on exactly the real events they describe.</summary>
[Category("Corpus")]
public class KqlCorpusTests
{
    private static readonly string CorpusFolder = Path.Combine(Paths.Shared, "corpus", "detection-rules");

    [Test]
    public void CorpusHoldsTheExpectedKqlRules()
    {
        var kql = RuleFilesWhere((type, language) => language == "kuery");
        var queries = RuleFilesWhere((type, language) => type == "query" && language == "kuery");

        Assert.That(kql, Has.Count.EqualTo(792));
        Assert.That(queries, Has.Count.EqualTo(507));
    }

    [Test]
    public void EveryKqlQueryRuleCompiles()
    {
        var files = RuleFilesWhere((type, language) => type == "query" && language == "kuery");

        var compilation = RuleCompiler.Compile(files);

        var errors = compilation.Errors.Select(error => error.ToString()).ToList();
        Assert.That(errors, Is.Empty, $"{errors.Count} errors, the first: {string.Join("\n", errors.Take(20))}");
        Assert.That(compilation.Success, Is.True);
        Assert.That(compilation.Descriptors(), Has.Count.EqualTo(files.Count));

        // The generated code itself compiles without warnings, such as unreachable code.
        var warnings = compilation.Diagnostics.Where(d => d.Id.StartsWith("CS", StringComparison.Ordinal)).ToList();
        Assert.That(warnings, Is.Empty, string.Join("\n", warnings.Take(10)));
    }

    [Test]
    public void LuceneRuleGetsClearWarning()
    {
        var files = RuleFilesWhere((type, language) => language == "lucene");
        Assert.That(files, Has.Count.EqualTo(1));

        var compilation = RuleCompiler.Compile(files);

        Assert.That(compilation.Errors, Is.Empty);
        var warning = compilation.Diagnostics.Single(d => d.Id == "CMP020");
        Assert.That(warning.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(warning.GetMessage(), Does.Contain("language 'lucene'"));
    }

    /// <summary>
    /// Each rule alerts on exactly these events of the shared corpus, given as file and line. The macOS
    /// dataset has every event in all-events.ndjson and again in its scenario file.
    /// </summary>
    private static readonly (string RuleFile, string Name, string[] Events)[] ExpectedAlerts =
    [
        ("rules/windows/defense_evasion_clearing_windows_security_logs.toml", "Windows Event Logs Cleared",
            ["elastic-integrations/pipeline-expected/windows/forwarded/test-security-1102.json.ndjson:1"]),
        ("rules/network/command_and_control_dns_directly_to_the_internet.toml", "DNS Activity to the Internet",
            ["elastic-integrations/sample-events/network_traffic.dns.ndjson:1"]),
        ("rules/linux/defense_evasion_hex_encoding_or_decoding_activity.toml", "Hex Encoding/Decoding Activity",
            [
                "sbousseaden-macos-attack-dataset/all-events.ndjson:15",
                "sbousseaden-macos-attack-dataset/scenarios/Credential_Access/credaccess_systemkey_hexdump.ndjson:1",
            ]),
        ("rules/cross-platform/persistence_cron_jobs_creation_and_runtime.toml", "Potential Persistence via Cron Job",
            [
                "sbousseaden-macos-attack-dataset/all-events.ndjson:72",
                "sbousseaden-macos-attack-dataset/scenarios/Persistence/persistence_crontab_runtime.ndjson:1",
            ]),
    ];

    [Test]
    public void RealRulesAlertOnlyOnTheirEvents()
    {
        var files = new List<RuleFile>();
        foreach (var (ruleFile, _, _) in ExpectedAlerts)
        {
            string path = FindRule(ruleFile);
            files.Add(new RuleFile(path, File.ReadAllText(path)));
        }

        var compilation = RuleCompiler.Compile(files);
        Assert.That(compilation.Errors, Is.Empty);

        var alerts = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var eventsFile in Directory.EnumerateFiles(Paths.CorpusEvents, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var (_, output) = Scan.RunToAlerts(compilation.CreateRuleSet(), File.ReadAllText(eventsFile));
            string relative = Path.GetRelativePath(Paths.CorpusEvents, eventsFile).Replace('\\', '/');
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var alert = JsonDocument.Parse(line);
                string rule = alert.RootElement.GetProperty("kibana.alert.rule.name").GetString()!;
                long number = alert.RootElement.GetProperty("compiled.source.line").GetInt64();
                alerts.Add($"{rule} @ {relative}:{number}");
            }
        }

        var expected = ExpectedAlerts.SelectMany(rule => rule.Events.Select(e => $"{rule.Name} @ {e}")).ToList();
        Assert.That(alerts, Is.EquivalentTo(expected));
    }

    /// <summary>
    /// Elastic's new_terms rule for a service account impersonation role grant uses a nested query: the added
    /// binding and the role must be one element of policy_delta.binding_deltas. Each event has its own user.id,
    /// so each is a new term.
    /// </summary>
    [Test]
    public void NestedRuleNeedsOneBinding()
    {
        string path = FindRule("rules/integrations/gcp/persistence_gcp_service_account_impersonation_role_grant.toml");
        var rules = Scan.CompileRules((Path.GetFileName(path), File.ReadAllText(path)));

        static string Event(string id, string deltas) =>
            "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"_id\":\"" + id + "\",\"user\":{\"id\":\"" + id + "\"},\"data_stream\":{\"dataset\":\"gcp.audit\"}," +
            "\"event\":{\"action\":\"google.iam.admin.v1.SetIAMPolicy\",\"outcome\":\"success\",\"ingested\":\"2024-05-01T10:00:05Z\"}," +
            "\"gcp\":{\"audit\":{\"service_data\":{\"policy_delta\":{\"binding_deltas\":" + deltas + "}}}}}";

        var sink = Scan.Run(rules,
        [
            Event("same", """[{"action":"REMOVE","role":"roles/viewer"},{"action":"ADD","role":"roles/iam.serviceAccountTokenCreator"}]"""),
            Event("split", """[{"action":"ADD","role":"roles/viewer"},{"action":"REMOVE","role":"roles/iam.serviceAccountTokenCreator"}]"""),
            Event("removed", """[{"action":"REMOVE","role":"roles/iam.serviceAccountUser"}]"""),
        ]);

        // A new_terms alert reaches the sink as a match of one captured event.
        var alerted = sink.Sequences.Select(match => match.Events.Single().GetProperty("_id").GetString());
        Assert.That(alerted, Is.EqualTo(new[] { "same" }));
    }

    /// <summary>Finds a rule by its path in Elastic's repository; the corpus may keep it under another folder.</summary>
    private static string FindRule(string repositoryPath)
    {
        string direct = Path.Combine(CorpusFolder, repositoryPath);
        if (File.Exists(direct))
        {
            return direct;
        }

        string name = Path.GetFileName(repositoryPath);
        return Directory.EnumerateFiles(CorpusFolder, name, SearchOption.AllDirectories).Single();
    }

    private static List<RuleFile> RuleFilesWhere(Func<string?, string?, bool> predicate)
    {
        var files = new List<RuleFile>();
        foreach (var path in Directory.EnumerateFiles(CorpusFolder, "*.toml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            var root = TomlSerializer.Deserialize<TomlTable>(text);
            if (root is not null && root.TryGetValue("rule", out var rule) && rule is TomlTable table)
            {
                string? type = table.TryGetValue("type", out var typeValue) ? typeValue as string : null;
                string? language = table.TryGetValue("language", out var languageValue) ? languageValue as string : null;
                if (predicate(type, language))
                {
                    files.Add(new RuleFile(path, text));
                }
            }
        }

        return files;
    }
}
