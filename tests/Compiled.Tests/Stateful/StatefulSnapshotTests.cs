using Compiled.Tests.Support;
using static Compiled.Tests.Stateful.StatefulRuleFiles;

namespace Compiled.Tests.Stateful;

/// <summary>The generated class of one rule per stateful type.</summary>
public class StatefulSnapshotTests
{
    private static void Verify(string fileName, string toml, string className)
    {
        var output = GeneratorHarness.RunWithEcs(fileName, toml);

        Assert.That(output.GeneratorDiagnostics.Where(d => d.Severity != Microsoft.CodeAnalysis.DiagnosticSeverity.Hidden), Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify(className, output.Sources[className + ".g.cs"]);
    }

    [Test]
    public void ThresholdRuleMatchesSnapshot()
    {
        string tables = """
            [rule.threshold]
            field = ["host.name", "source.ip"]
            value = 10
            [[rule.threshold.cardinality]]
            field = "user.name"
            value = 3

            [rule.alert_suppression.duration]
            unit = "m"
            value = 30
            """;

        Verify("threshold.toml", Rule("threshold", "event.category:authentication and event.outcome:failure", tables, name: "Password Spraying Threshold"), "PasswordSprayingThreshold");
    }

    [Test]
    public void NewTermsRuleMatchesSnapshot()
    {
        string tables = NewTerms + """


            [rule.alert_suppression]
            group_by = ["host.name"]
            missing_fields_strategy = "doNotSuppress"
            """;

        Verify("new_terms.toml", Rule("new_terms", "event.category:process and event.type:start", tables, name: "First Process On Host"), "FirstProcessOnHost");
    }

    [Test]
    public void ThreatMatchRuleMatchesSnapshot()
    {
        string extra = """
            threat_index = ["logs-ti_*"]
            threat_indicator_path = "threat.indicator"
            threat_language = "kuery"
            threat_query = '@timestamp >= "now-30d/d" and event.module:ti_* and threat.indicator.file.hash.md5:*'
            """;
        string tables = ThreatMapping + """

            [[rule.threat_mapping]]
            [[rule.threat_mapping.entries]]
            field = "source.ip"
            type = "mapping"
            value = "threat.indicator.ip"
            [[rule.threat_mapping.entries]]
            field = "destination.port"
            type = "mapping"
            value = "threat.indicator.port"

            [[rule.threat_filters]]
            [rule.threat_filters.meta]
            disabled = false
            negate = false
            [rule.threat_filters.query.match_phrase]
            "event.kind" = "enrichment"
            """;
        var output = GeneratorHarness.RunWithEcs("threat_match.toml", Rule("threat_match", "file.hash.md5:* or source.ip:*", tables, name: "Indicator Hash Or Address", extra: extra));

        Assert.That(output.GeneratorDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "CMP040" }));
        Assert.That(output.GeneratorDiagnostics[0].GetMessage(), Does.Contain("now-30d/d"));
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("IndicatorHashOrAddress", output.Sources["IndicatorHashOrAddress.g.cs"]);
    }
}
