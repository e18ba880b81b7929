using Compiled.Tests.Support;

namespace Compiled.Tests.Stateful;

/// <summary><c>compiled scan --indicators</c> with a real threat_match rule of the corpus, through the real executable.</summary>
public class IndicatorsOptionTests
{
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Test]
    public void IndicatorFileFeedsThreatMatchRules()
    {
        string folder = TempFolders.Create("compiled-indicators-").FullName;
        string rule = Path.Combine(Paths.Shared, "corpus", "detection-rules", "rules", "threat_intel", "threat_intel_indicator_match_hash.toml");
        File.Copy(rule, Path.Combine(folder, "hash.toml"));
        string indicators = Path.Combine(folder, "indicators.ndjson");
        File.WriteAllText(indicators,
            "{\"event\":{\"category\":\"threat\",\"kind\":\"enrichment\",\"type\":\"indicator\",\"module\":\"threatintel\"},\"threat\":{\"indicator\":{\"file\":{\"hash\":{\"sha256\":\"" + Hash + "\"}}}}}\n" +
            "not an indicator\n");
        string events = Path.Combine(folder, "events.ndjson");
        File.WriteAllText(events,
            "{\"@timestamp\":\"2026-03-01T08:00:00Z\",\"file\":{\"hash\":{\"sha256\":\"" + Hash + "\"}}}\n" +
            "{\"@timestamp\":\"2026-03-01T08:01:00Z\",\"file\":{\"hash\":{\"sha256\":\"0000\"}}}\n");

        var withIndicators = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "--indicators", indicators, events);
        var without = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, events);
        var missing = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "--indicators", Path.Combine(folder, "none.ndjson"), events);

        Assert.That(withIndicators.ExitCode, Is.EqualTo(0), withIndicators.ToString());
        var alerts = withIndicators.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(alerts, Has.Length.EqualTo(1));
        Assert.That(alerts[0], Does.Contain("\"type\":\"indicator_match_rule\"").And.Contain("\"field\":\"file.hash.sha256\""));
        Assert.That(withIndicators.StandardError, Does.Contain("loaded 1 indicator(s)").And.Contain("1 line(s) rejected").And.Contain("indicators.ndjson:2:"));
        Assert.That(without.StandardOutput, Is.Empty);
        Assert.That(without.StandardError, Does.Contain("has no indicators"));
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.StandardError, Does.Contain("cannot read the indicators"));
    }
}
