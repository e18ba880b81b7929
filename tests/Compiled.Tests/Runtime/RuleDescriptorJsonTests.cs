using Compiled.Runtime.Rules;

namespace Compiled.Tests.Runtime;

public class RuleDescriptorJsonTests
{
    private const string Minimal = """
        {"rule_id":"r-1","rule_guid":"11111111-2222-4333-8444-555555555555","name":"N","description":"D","severity":"High",
         "risk_score":73,"type":"eql","language":"eql","query":"process where true","source_file":"n.toml",
         "from":"now-6m","interval":"5m","max_signals":100,"version":1,"maturity":"Unspecified"}
        """;

    [Test]
    public void AbsentOptionalKeysReadAsDefaults()
    {
        var rule = RuleDescriptorJson.Read(Minimal);

        Assert.That(rule.RuleIdText, Is.EqualTo("r-1"));
        Assert.That(rule.RuleId, Is.EqualTo(Guid.Parse("11111111-2222-4333-8444-555555555555")));
        Assert.That(rule.Severity, Is.EqualTo(Severity.High));
        Assert.That(rule.Tags, Is.Empty);
        Assert.That(rule.Threat, Is.Empty);
        Assert.That(rule.TimestampOverride, Is.Null);
        Assert.That(rule.TimestampOverrideFallbackDisabled, Is.False);
        Assert.That(rule.CreationDate, Is.Null);
        Assert.That(rule.License, Is.Null);
    }

    [Test]
    public void ThreatWithoutTacticOrTechniquesReads()
    {
        var rule = RuleDescriptorJson.Read(Minimal.TrimEnd()[..^1] + ""","threat":[{"framework":"MITRE ATT&CK"}],"timestamp_override_fallback_disabled":true}""");

        Assert.That(rule.Threat.Single().Framework, Is.EqualTo("MITRE ATT&CK"));
        Assert.That(rule.Threat.Single().Tactic, Is.Null);
        Assert.That(rule.Threat.Single().Techniques, Is.Empty);
        Assert.That(rule.TimestampOverrideFallbackDisabled, Is.True);
    }

    [TestCase("\"name\":\"N\",", "", "'name' is missing or not a string")]
    [TestCase("\"severity\":\"High\"", "\"severity\":\"Severe\"", "'severity' is missing or not a Severity name")]
    [TestCase("\"severity\":\"High\"", "\"severity\":\"7\"", "'severity' is missing or not a Severity name")]
    [TestCase("\"risk_score\":73", "\"risk_score\":\"73\"", "'risk_score' is missing or not a 32-bit integer")]
    [TestCase("\"source_file\":\"n.toml\"", "\"source_file\":\"n.toml\",\"creation_date\":\"2021/02/23\"", "'creation_date' is missing or not a yyyy-MM-dd date")]
    public void WrongOrMissingKeyIsNamed(string find, string replace, string message)
    {
        string json = Minimal.Replace(find, replace, StringComparison.Ordinal);
        Assert.That(json, Is.Not.EqualTo(Minimal));

        var error = Assert.Throws<FormatException>(() => RuleDescriptorJson.Read(json));
        Assert.That(error!.Message, Does.Contain(message));
    }
}

public class DispatchBranchJsonTests
{
    [Test]
    public void BranchesAndTermsRead()
    {
        var branches = DispatchBranchJson.Read("""[[{"field":"process.name","ignore_case":true,"values":["a.exe"],"suffixes":[".dll"]}],[{"field":"event.type","prefixes":["st"]}]]""");

        Assert.That(branches, Has.Length.EqualTo(2));
        var first = branches[0].Terms.Single();
        Assert.That(first.Field, Is.EqualTo("process.name"));
        Assert.That(first.IgnoreCase, Is.True);
        Assert.That(first.Values, Is.EqualTo(new[] { "a.exe" }));
        Assert.That(first.Prefixes, Is.Empty);
        Assert.That(first.Suffixes, Is.EqualTo(new[] { ".dll" }));
        var second = branches[1].Terms.Single();
        Assert.That(second.IgnoreCase, Is.False);
        Assert.That(second.Prefixes, Is.EqualTo(new[] { "st" }));
    }

    [TestCase("""[[{"values":["a"]}]]""", "'field' is missing or not a string")]
    [TestCase("""[[{"field":"f","ignore_case":"yes"}]]""", "'ignore_case' is missing or not a boolean")]
    [TestCase("""[[{"field":"f","values":"a"}]]""", "'values' is missing or not an array of strings")]
    [TestCase("""[[{"field":"f","values":[1]}]]""", "'values' is missing or not an array of strings")]
    [TestCase("""[{"field":"f"}]""", "'branches' is missing or not an array of arrays")]
    public void WrongTermIsNamed(string json, string message)
    {
        var error = Assert.Throws<FormatException>(() => DispatchBranchJson.Read(json));

        Assert.That(error!.Message, Does.Contain(message));
    }
}
