using System.Text;
using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Runtime.Stateful;
using Compiled.Tests.Support;

namespace Compiled.Tests.Stateful;

/// <summary>
/// Real rules of Elastic's corpus, compiled by the generator, raise alerts with Kibana's fields on events
/// written to trigger them, and stay quiet on events that should not.
/// </summary>
public class CorpusRuleAlertTests
{
    private static readonly string Rules = Path.Combine(Paths.Shared, "corpus", "detection-rules", "rules");

    private static RuleSet Compile(string relativePath) =>
        Scan.CompileRules((Path.GetFileName(relativePath), File.ReadAllText(Path.Combine(Rules, relativePath))));

    private static List<JsonElement> Run(RuleSet rules, IEnumerable<string> events)
    {
        var output = new MemoryStream();
        var engine = new ScanEngine(rules, new AlertWriter(output));
        engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", events) + "\n")), "events.ndjson");
        engine.Finish();
        return Encoding.UTF8.GetString(output.ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    private static string Time(int minute) => new DateTime(2026, 3, 1, 8, 0, 0, DateTimeKind.Utc).AddMinutes(minute).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    private static string OktaLock(int minute, string user, string action = "user.account.lock") =>
        $$$$"""{"@timestamp":"{{{{Time(minute)}}}}","event":{"ingested":"{{{{Time(minute)}}}}","action":"{{{{action}}}}","dataset":"okta.system"},"data_stream":{"dataset":"okta.system"},"okta":{"actor":{"alternate_id":"{{{{user}}}}"}}}""";

    [Test]
    public void OktaBruteForceThresholdAlertsOnTheThirdLockOfOneUser()
    {
        var rules = Compile("integrations/okta/credential_access_attempts_to_brute_force_okta_user_account.toml");
        Assert.That(rules.Rules.Single(), Is.InstanceOf<ThresholdRule>());

        var alerts = Run(rules,
        [
            OktaLock(0, "mallory@example.com"),
            OktaLock(20, "alice@example.com"),
            OktaLock(40, "mallory@example.com"),
            OktaLock(50, "alice@example.com", action: "user.session.start"),
            OktaLock(60, "alice@example.com", action: "user.session.start"),
            OktaLock(90, "mallory@example.com"),
            OktaLock(300, "alice@example.com"),
        ]);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var alert = alerts[0];
        var result = alert.GetProperty("kibana.alert.threshold_result");
        Assert.That(result.GetProperty("count").GetInt64(), Is.EqualTo(3));
        Assert.That(result.GetProperty("terms")[0].GetProperty("field").GetString(), Is.EqualTo("okta.actor.alternate_id"));
        Assert.That(result.GetProperty("terms")[0].GetProperty("value").GetString(), Is.EqualTo("mallory@example.com"));
        Assert.That(result.GetProperty("from").GetString(), Is.EqualTo(Time(0)));
        Assert.That(alert.GetProperty("okta").GetProperty("actor").GetProperty("alternate_id").GetString(), Is.EqualTo("mallory@example.com"));
        Assert.That(alert.GetProperty("kibana.alert.rule.rule_id").GetString(), Is.EqualTo("e08ccd49-0380-4b2b-8d71-8000377d6e49"));
        Assert.That(alert.GetProperty("kibana.alert.rule.type").GetString(), Is.EqualTo("threshold"));
        Assert.That(alert.GetProperty("kibana.alert.original_time").GetString(), Is.EqualTo(Time(90)));
    }

    private static string UsbMount(int minute, string serial, string host, bool removable = true) =>
        $$$"""{"@timestamp":"{{{Time(minute)}}}","event":{"ingested":"{{{Time(minute)}}}","type":["device"],"action":"mount","outcome":"success","category":["host"]},"host":{"id":"{{{host}}}","os":{"type":"windows"}},"device":{"serial_number":"{{{serial}}}"},"volume":{"removable":{{{(removable ? "true" : "false")}}}}}""";

    [Test]
    public void NewUsbDeviceNewTermsAlertsOncePerDeviceAndHost()
    {
        var rules = Compile("cross-platform/initial_access_exfiltration_new_usb_device_mounted.toml");
        Assert.That(rules.Rules.Single(), Is.InstanceOf<NewTermsRule>());

        var alerts = Run(rules,
        [
            UsbMount(0, "SN-1", "host-a"),
            UsbMount(60, "SN-1", "host-a"),
            UsbMount(120, "SN-1", "host-b"),
            UsbMount(180, "SN-2", "host-a", removable: false),
            UsbMount(200, "SN-1", "host-a"),
        ]);

        Assert.That(alerts, Has.Count.EqualTo(2));
        Assert.That(alerts.Select(a => string.Join("/", a.GetProperty("kibana.alert.new_terms").EnumerateArray().Select(v => v.GetString()))),
            Is.EqualTo(new[] { "SN-1/host-a", "SN-1/host-b" }));
        var second = alerts[1];
        Assert.That(second.GetProperty("host").GetProperty("id").GetString(), Is.EqualTo("host-b"));
        Assert.That(second.GetProperty("kibana.alert.rule.type").GetString(), Is.EqualTo("new_terms"));
        Assert.That(second.GetProperty("kibana.alert.rule.rule_type_id").GetString(), Is.EqualTo("siem.newTermsRule"));
        Assert.That(second.GetProperty("kibana.alert.original_time").GetString(), Is.EqualTo(Time(120)));
    }

    [Test]
    public void NewUsbDeviceAlertHasNewTermsParameters()
    {
        var rules = Compile("cross-platform/initial_access_exfiltration_new_usb_device_mounted.toml");

        var alerts = Run(rules, [UsbMount(0, "SN-1", "host-a")]);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var parameters = alerts[0].GetProperty("kibana.alert.rule.parameters");
        Assert.That(parameters.GetProperty("type").GetString(), Is.EqualTo("new_terms"));
        Assert.That(parameters.GetProperty("new_terms_fields").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "device.serial_number", "host.id" }));
        Assert.That(parameters.GetProperty("history_window_start").GetString(), Is.EqualTo("now-7d"));
        Assert.That(parameters.TryGetProperty("threshold", out _), Is.False);
        Assert.That(parameters.TryGetProperty("threat_mapping", out _), Is.False);
    }

    private static string MsBuildStart(int minute, string host, string name, string parent, string executable = "C:\\\\Users\\\\Public\\\\MSBuild.exe") =>
        $$$$"""{"@timestamp":"{{{{Time(minute)}}}}","event":{"ingested":"{{{{Time(minute)}}}}","category":["process"],"type":["start"]},"host":{"id":"{{{{host}}}}","os":{"type":"windows"}},"process":{"name":"{{{{name}}}}","executable":"{{{{executable}}}}","parent":{"name":"{{{{parent}}}}"}}}""";

    [Test]
    public void MsBuildByScriptMatchesCaselessName()
    {
        var rules = Compile("windows/defense_evasion_execution_msbuild_started_by_script.toml");
        Assert.That(rules.Rules.Single(), Is.InstanceOf<NewTermsRule>());

        var alerts = Run(rules,
        [
            MsBuildStart(0, "host-a", "MSBuild.exe", "cmd.exe"),
            MsBuildStart(1, "host-b", "msbuild.EXE", "powershell.exe"),
            MsBuildStart(2, "host-c", "MSBuild.exe", "explorer.exe"),
            MsBuildStart(3, "host-d", "MSBuildTaskHost.exe", "cmd.exe"),
            MsBuildStart(4, "host-e", "MSBuild.exe", "cmd.exe",
                "C:\\\\Program Files (x86)\\\\MSBuild\\\\14.0\\\\Bin\\\\amd64\\\\MSBuild.exe"),
        ]);

        Assert.That(alerts.Select(a => a.GetProperty("host").GetProperty("id").GetString()), Is.EqualTo(new[] { "host-a", "host-b" }));
        Assert.That(alerts[0].GetProperty("process").GetProperty("name").GetString(), Is.EqualTo("MSBuild.exe"));
        Assert.That(alerts[1].GetProperty("process").GetProperty("name").GetString(), Is.EqualTo("msbuild.EXE"));
    }

    private const string Sha256 = "5ad8d8e8e3b5a0f0c4c8a6e0d5b8f2d8a5e0c1f7a9b3d4e6f8a0b2c4d6e8f0a1";

    private static string Indicator(string id, string sha256, string kind = "enrichment", string module = "ti_abusech") =>
        "{\"_id\":\"" + id + "\",\"_index\":\"logs-ti_abusech.malware-default\",\"_source\":{\"@timestamp\":\"2026-02-27T00:00:00Z\",\"event\":{\"category\":\"threat\",\"kind\":\"" + kind +
        "\",\"type\":\"indicator\",\"module\":\"" + module + "\"},\"threat\":{\"indicator\":{\"type\":\"file\",\"provider\":\"MalwareBazaar\",\"file\":{\"hash\":{\"sha256\":\"" + sha256 + "\"}}}}}}";

    private static string ProcessStart(int minute, string sha256) =>
        $$$"""{"@timestamp":"{{{Time(minute)}}}","event":{"ingested":"{{{Time(minute)}}}","category":["process"],"type":["start"]},"process":{"name":"invoice.exe","hash":{"sha256":"{{{sha256}}}"}},"host":{"name":"ws-17"}}""";

    [Test]
    public void HashIndicatorMatchEnrichesTheMatchingEvent()
    {
        var rules = Compile("threat_intel/threat_intel_indicator_match_hash.toml");
        var rule = (ThreatMatchRule)rules.Rules.Single();
        string indicators = string.Join("\n",
            Indicator("ioc-1", Sha256),
            Indicator("ioc-2", new string('b', 64), kind: "alert"),
            Indicator("ioc-3", new string('c', 64), module: "osquery"));
        var loaded = rule.LoadIndicators(new MemoryStream(Encoding.UTF8.GetBytes(indicators)), "indicators.ndjson");

        var alerts = Run(rules, [ProcessStart(0, Sha256), ProcessStart(1, new string('b', 64)), ProcessStart(2, new string('c', 64)), ProcessStart(3, new string('d', 64))]);

        Assert.That(loaded.Loaded, Is.EqualTo(1));
        Assert.That(loaded.Filtered, Is.EqualTo(2));
        Assert.That(alerts, Has.Count.EqualTo(1));
        var alert = alerts[0];
        var enrichment = alert.GetProperty("threat").GetProperty("enrichments").EnumerateArray().Single();
        Assert.That(enrichment.GetProperty("indicator").GetProperty("provider").GetString(), Is.EqualTo("MalwareBazaar"));
        var matched = enrichment.GetProperty("matched");
        Assert.That(matched.GetProperty("atomic").GetString(), Is.EqualTo(Sha256));
        Assert.That(matched.GetProperty("field").GetString(), Is.EqualTo("process.hash.sha256"));
        Assert.That(matched.GetProperty("id").GetString(), Is.EqualTo("ioc-1"));
        Assert.That(matched.GetProperty("index").GetString(), Is.EqualTo("logs-ti_abusech.malware-default"));
        Assert.That(matched.GetProperty("type").GetString(), Is.EqualTo("indicator_match_rule"));
        Assert.That(alert.GetProperty("kibana.alert.rule.rule_type_id").GetString(), Is.EqualTo("siem.indicatorRule"));
        Assert.That(alert.GetProperty("process").GetProperty("name").GetString(), Is.EqualTo("invoice.exe"));
    }

    [Test]
    public void HashIndicatorAlertHasThreatParameters()
    {
        var rules = Compile("threat_intel/threat_intel_indicator_match_hash.toml");
        var rule = (ThreatMatchRule)rules.Rules.Single();
        rule.LoadIndicators(new MemoryStream(Encoding.UTF8.GetBytes(Indicator("ioc-1", Sha256))), "indicators.ndjson");

        var alerts = Run(rules, [ProcessStart(0, Sha256)]);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var parameters = alerts[0].GetProperty("kibana.alert.rule.parameters");
        Assert.That(parameters.GetProperty("type").GetString(), Is.EqualTo("threat_match"));
        Assert.That(parameters.GetProperty("threat_index").EnumerateArray().Select(i => i.GetString()), Is.EqualTo(new[] { "filebeat-*", "logs-ti_*" }));
        Assert.That(parameters.GetProperty("threat_language").GetString(), Is.EqualTo("kuery"));
        Assert.That(parameters.GetProperty("threat_indicator_path").GetString(), Is.EqualTo("threat.indicator"));
        Assert.That(parameters.GetProperty("threat_query").GetString(), Does.StartWith("@timestamp >= \"now-30d/d\" and event.module:(threatintel or ti_*)"));
        Assert.That(parameters.GetProperty("threat_query").GetString(), Does.Contain("\nthreat.indicator.file.pe.imphash:*"));

        var mappings = parameters.GetProperty("threat_mapping");
        Assert.That(mappings.GetArrayLength(), Is.EqualTo(9));
        var first = mappings[0].GetProperty("entries").EnumerateArray().Single();
        Assert.That(first.GetProperty("field").GetString(), Is.EqualTo("file.hash.md5"));
        Assert.That(first.GetProperty("type").GetString(), Is.EqualTo("mapping"));
        Assert.That(first.GetProperty("value").GetString(), Is.EqualTo("threat.indicator.file.hash.md5"));
        Assert.That(first.TryGetProperty("negate", out _), Is.False);
        var last = mappings[8].GetProperty("entries")[0];
        Assert.That(last.GetProperty("field").GetString(), Is.EqualTo("process.hash.sha256"));

        var filters = parameters.GetProperty("threat_filters");
        Assert.That(filters.GetArrayLength(), Is.EqualTo(3));
        Assert.That(filters[1].GetProperty("query").GetProperty("match_phrase").GetProperty("event.kind").GetString(), Is.EqualTo("enrichment"));
        Assert.That(filters[1].GetProperty("meta").GetProperty("negate").ValueKind, Is.EqualTo(JsonValueKind.False));
        Assert.That(filters[0].GetProperty("$state").GetProperty("store").GetString(), Is.EqualTo("appState"));
    }

    private static string S3Get(int minute, string key, string sourceIp) =>
        "{\"@timestamp\":\"" + Time(minute) + "\",\"event\":{\"ingested\":\"" + Time(minute) + "\",\"provider\":\"s3.amazonaws.com\",\"action\":\"GetObject\",\"outcome\":\"success\"}," +
        "\"data_stream\":{\"dataset\":\"aws.cloudtrail\"},\"source\":{\"ip\":\"" + sourceIp + "\"},\"cloud\":{\"account\":{\"id\":\"111122223333\"}}," +
        "\"aws\":{\"cloudtrail\":{\"flattened\":{\"request_parameters\":{\"key\":\"" + key + "\"}},\"user_identity\":{\"type\":\"IAMUser\"}}}}";

    [Test]
    public void S3CredentialReadsFromOneAddressAreSuppressedForFiveMinutes()
    {
        var rules = Compile("integrations/aws/credential_access_credentials_in_s3_bucket.toml");

        var alerts = Run(rules,
        [
            S3Get(0, "home/dev/.aws/credentials", "198.51.100.9"),
            S3Get(1, "keys/deploy.pem", "198.51.100.9"),
            S3Get(2, "reports/q3.pdf", "198.51.100.9"),
            S3Get(3, "home/ops/.ssh/id_rsa", "203.0.113.4"),
            S3Get(4, "home/dev/.env", "198.51.100.9"),
            S3Get(9, "home/dev/.aws/config", "198.51.100.9"),
        ]);

        Assert.That(alerts, Has.Count.EqualTo(3));
        var first = alerts.Single(a => a.GetProperty("kibana.alert.original_time").GetString() == Time(0));
        Assert.That(first.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(2));
        Assert.That(first.GetProperty("kibana.alert.suppression.end").GetString(), Is.EqualTo(Time(4)));
        var terms = first.GetProperty("kibana.alert.suppression.terms");
        Assert.That(terms.EnumerateArray().Select(t => t.GetProperty("field").GetString()), Is.EqualTo(new[] { "source.ip", "cloud.account.id" }));
        Assert.That(terms[1].GetProperty("value")[0].GetString(), Is.EqualTo("111122223333"));
        Assert.That(alerts.Select(a => a.GetProperty("kibana.alert.suppression.docs_count").GetInt64()), Is.EquivalentTo(new long[] { 2, 0, 0 }));
    }
}
