using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// <c>X.caseless</c> fields in EQL and KQL rules. Elastic's integrations index them as a multi-field of the
/// keyword <c>X</c> with a lowercase normalizer, so they read the values of <c>X</c> and compare them
/// lowercased with the lowercased query value. Events never carry a <c>.caseless</c> key.
/// </summary>
public class CaselessFieldTests
{
    private const string MixedCase = "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":[\"process\"]},\"process\":{\"name\":\"MSBuild.exe\",\"args\":[\"X\",\"Run.PS1\"]}}";

    private static bool KqlMatches(string query, string ev = MixedCase)
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Kql(query)));
        return Scan.Run(rules, [ev]).Events.Count == 1;
    }

    private static bool EqlMatches(string condition, string ev = MixedCase)
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where " + condition)));
        return Scan.Run(rules, [ev]).Events.Count == 1;
    }

    [TestCase("process.name.caseless:msbuild.exe", true)]
    [TestCase("process.name.caseless:\"msbuild.exe\"", true)]
    [TestCase("process.name.caseless:MSBUILD.EXE", true)]
    [TestCase("process.name.caseless:MSBuild.exe", true)]
    [TestCase("process.name.caseless:msbuild", false)]
    [TestCase("process.name.caseless:(cmd.exe or MsBuild.Exe)", true)]
    [TestCase("process.name.caseless:(cmd.exe or pwsh.exe)", false)]
    [TestCase("process.name.caseless:msb*", true)]
    [TestCase("process.name.caseless:*BUILD.EXE", true)]
    [TestCase("process.name.caseless:m?build.exe", false)]
    [TestCase("process.name.caseless:*", true)]
    [TestCase("process.args.caseless:run.ps1", true)]
    [TestCase("not process.name.caseless:msbuild.exe", false)]
    [TestCase("process.name:msbuild.exe", false)]
    [TestCase("process.pe.original_file_name.caseless:msbuild.exe", false)]
    public void KqlCaselessMatchesLowercased(string query, bool expected)
    {
        Assert.That(KqlMatches(query), Is.EqualTo(expected));
    }

    [TestCase("\U00010400x", "\\ud801\\udc00x")]
    [TestCase("\U00010400x", "\\ud801\\udc28X")]
    [TestCase("\U00010428X", "\\ud801\\udc00x")]
    public void KqlCaselessFoldsLettersAboveBmp(string value, string jsonName)
    {
        string ev = MixedCase.Replace("\"MSBuild.exe\"", "\"" + jsonName + "\"");
        var list = string.Join(" or ", Enumerable.Range(0, 20).Select(i => $"tool{i}.exe"));

        Assert.That(KqlMatches("process.name.caseless:" + value, ev), Is.True);
        Assert.That(KqlMatches($"process.name.caseless:({list} or {value})", ev), Is.True);
        Assert.That(KqlMatches("process.name.caseless:" + value[..2] + "*", ev), Is.True);
    }

    [Test]
    public void KqlCaselessLongListMatches()
    {
        var names = Enumerable.Range(0, 20).Select(i => $"tool{i}.exe").Append("MSBUILD.exe");
        string query = "process.name.caseless:(" + string.Join(" or ", names) + ")";

        Assert.That(KqlMatches(query), Is.True);
        Assert.That(KqlMatches(query.Replace("MSBUILD.exe", "other.exe")), Is.False);
    }

    [Test]
    public void KqlCaselessLongValueIsLowercased()
    {
        string longName = new string('A', 300) + ".exe";
        var names = Enumerable.Range(0, 20).Select(i => $"tool{i}.exe").Append(longName.ToLowerInvariant());
        string query = "process.name.caseless:(" + string.Join(" or ", names) + ")";
        string ev = MixedCase.Replace("MSBuild.exe", longName);

        Assert.That(KqlMatches(query, ev), Is.True);
        Assert.That(KqlMatches(query), Is.False);
    }

    [TestCase("process.name.caseless == \"msbuild.exe\"", true)]
    [TestCase("process.name.caseless == \"MSBUILD.EXE\"", true)]
    [TestCase("\"msbuild.exe\" == process.name.caseless", true)]
    [TestCase("process.name.caseless == \"msbuild\"", false)]
    [TestCase("process.name.caseless == \"msbuild*\"", false)]
    [TestCase("process.name.caseless != \"msbuild.exe\"", false)]
    [TestCase("process.name.caseless != \"cmd.exe\"", true)]
    [TestCase("process.name.caseless in (\"cmd.exe\", \"msbuild.exe\")", true)]
    [TestCase("process.name.caseless not in (\"cmd.exe\", \"MSBUILD.EXE\")", false)]
    [TestCase("process.name.caseless like \"msb*\"", true)]
    [TestCase("process.name.caseless like \"*BUILD.EXE\"", true)]
    [TestCase("process.name.caseless : \"MSB*\"", true)]
    [TestCase("process.args.caseless == \"run.ps1\"", true)]
    [TestCase("startsWith(process.name.caseless, \"msb\")", true)]
    [TestCase("endsWith(process.name.caseless, \".EXE\")", true)]
    [TestCase("process.name.caseless != null", true)]
    [TestCase("process.name == \"msbuild.exe\"", false)]
    [TestCase("process.missing.caseless == \"x\"", false)]
    public void EqlCaselessMatchesLowercased(string condition, bool expected)
    {
        Assert.That(EqlMatches(condition), Is.EqualTo(expected));
    }

    [Test]
    public void EqlCaselessMissingFieldIsNull()
    {
        const string noName = "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":[\"process\"]},\"process\":{\"pid\":4}}";

        Assert.That(EqlMatches("process.name.caseless != \"msbuild.exe\"", noName), Is.False);
        Assert.That(EqlMatches("process.name.caseless == null", noName), Is.True);
    }
}
