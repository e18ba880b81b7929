using System.Diagnostics;
using System.Text.Json;
using Compiled.Compiler;
using Compiled.Runtime.Matching;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Tests.Reliability;

/// <summary>
/// Rule text that would break naive code generation (comment ends, raw-string quotes, preprocessor lines,
/// braces, backslashes, Unicode line separators, NUL) compiles to code that means exactly the rule.
/// </summary>
public class HostileRuleTextTests
{
    // TOML basic strings: \n, \u2028, \u2029 and \u0000 are escapes that Tomlyn decodes.
    private const string HostileToml = """"
        [metadata]
        creation_date = "2024/01/02"
        maturity = "production"

        [rule]
        author = ["Compiled */ tests \"\"\" \\"]
        description = "Ends a comment */ then \"\"\" and\n#error not code\n#if false\n{ } \\ \u2028#error after LS \u2029#error after PS \u0000 nul"
        name = "Hostile */ \"\"\" \\ { } \u2028#error"
        risk_score = 21
        rule_id = "1c2d3e4f-0000-4000-8000-0000000000c1"
        severity = "low"
        tags = ["*/", "\"\"\"", "\n#error tag", "{", "}", "\\", "\u2028#error", "\u2029", "\u0000", "\"\"\"\"\""]
        type = "eql"
        language = "eql"
        query = '''
        process where process.name == "a*/b" and
          process.command_line == "x\"\"\"y {z} \\w\n#error q\u{2028}r\u{2029}s\u{00}t" and
          process.working_directory == """C:\temp\*/x{}"""
        '''
        """";

    [Test]
    public void MetadataConstantsEqualTomlValues()
    {
        var compilation = RuleCompiler.Compile([new RuleFile("/rules/hostile.toml", HostileToml)]);
        Assert.That(compilation.Errors, Is.Empty, string.Join("\n", compilation.Diagnostics));
        var type = compilation.Assembly!.GetTypes().Single(candidate => candidate.IsSubclassOf(typeof(DetectionRule)));
        var rule = (TomlTable)TomlSerializer.Deserialize<TomlTable>(HostileToml)!["rule"];

        Assert.That(Constant(type, "Name"), Is.EqualTo((string)rule["name"]));
        var descriptor = Static<RuleDescriptor>(type, "Metadata");
        Assert.That(descriptor.Name, Is.EqualTo((string)rule["name"]));
        Assert.That(descriptor.Description, Is.EqualTo((string)rule["description"]));
        Assert.That(descriptor.Query, Is.EqualTo((string)rule["query"]));
        Assert.That(descriptor.Tags, Is.EqualTo(((TomlArray)rule["tags"]).Cast<string>().ToList()));
        Assert.That(descriptor.Author, Is.EqualTo(((TomlArray)rule["author"]).Cast<string>().ToList()));

        // The hostile characters really reached the constants, so the checks above compare them.
        Assert.That(descriptor.Description, Does.Contain("\n#error not code"));
        Assert.That(descriptor.Description, Does.Contain("\u2028#error after LS"));
        Assert.That(descriptor.Description, Does.Contain("\0"));
    }

    [Test]
    public void HostileQueryMatchesItsEvent()
    {
        var rules = Scan.CompileRules(("hostile.toml", HostileToml));
        string commandLine = "x\"\"\"y {z} \\w\n#error q\u2028r\u2029s\0t";
        string match = Event("a*/b", commandLine, "C:\\temp\\*/x{}");
        string otherLineSeparator = Event("a*/b", commandLine.Replace('\u2028', '\n'), "C:\\temp\\*/x{}");
        string noNul = Event("a*/b", commandLine.Replace("\0", ""), "C:\\temp\\*/x{}");
        string wildcardNotExpanded = Event("a*/b", commandLine, "C:\\temp\\anything/x{}");

        var sink = Scan.Run(rules, [match, otherLineSeparator, noNul, wildcardNotExpanded]);

        Assert.That(sink.Events, Has.Count.EqualTo(1));
        Assert.That(sink.Events[0].Event.GetProperty("process").GetProperty("command_line").GetString(), Is.EqualTo(commandLine));
    }

    [Test]
    public void LoneSurrogateInTomlIsReported()
    {
        // TOML has no escape for a lone surrogate, but an AdditionalText can still hold one as raw text.
        string toml = RuleFiles.Eql("process where true", name: "Lone \uD800 surrogate");
        var compilation = RuleCompiler.Compile([new RuleFile("/rules/lone.toml", toml)]);

        var error = compilation.Errors.Single();
        var position = error.Location.GetLineSpan().StartLinePosition;
        Assert.That(error.Id, Is.EqualTo("CMP001"), error.ToString());
        Assert.That(error.Location.GetLineSpan().Path, Is.EqualTo("/rules/lone.toml"));
        Assert.That(toml.Split('\n')[position.Line][position.Character], Is.EqualTo('\uD800'));
    }

    [Test]
    public void SurrogateCutAtEndOfFileIsReported()
    {
        // A file cut inside an emoji ends with the high surrogate of its pair.
        string toml = RuleFiles.Eql("process where true") + "\nnote = \"\"\"\ud83d\ude00 cut \ud83d";

        var output = GeneratorHarness.Run("cut.toml", toml);

        var error = output.GeneratorDiagnostics.Single();
        var position = error.Location.GetLineSpan().StartLinePosition;
        Assert.That(error.Id, Is.EqualTo("CMP001"), error.ToString());
        Assert.That(toml.Split('\n')[position.Line][position.Character..], Is.EqualTo("\ud83d"));
    }

    [TestCase("C:\\")]
    [TestCase("x\\u12")]
    [TestCase("x\\U0011")]
    public void FileCutInsideEscapeIsReported(string cut)
    {
        string toml = RuleFiles.Eql("process where true") + "\nnote = \"\"\"\n" + cut;

        var output = GeneratorHarness.Run("cut.toml", toml);

        var error = output.GeneratorDiagnostics.Single();
        var position = error.Location.GetLineSpan().StartLinePosition;
        Assert.That(error.Id, Is.EqualTo("CMP001"), error.ToString());
        Assert.That(toml.Split('\n')[position.Line][position.Character..], Is.EqualTo(cut[cut.IndexOf('\\')..]));
    }

    [Test]
    public void LoneSurrogateEscapeInQueryIsReported()
    {
        var output = GeneratorHarness.Run("lone.toml", RuleFiles.Eql("process where process.name == \"a\\u{D800}b\""));

        var error = output.GeneratorDiagnostics.Single(diagnostic => diagnostic.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assert.That(error.Id, Is.EqualTo("CMP010"));
        Assert.That(error.GetMessage(), Does.Contain("invalid \\u{...} escape"));
    }

    [TestCase("- -5", 5)]
    [TestCase("-(-5)", 5)]
    [TestCase("- - -5", -5)]
    public void NegatedNegativeNumberFolds(string number, int expected)
    {
        var rules = Scan.CompileRules(("number.toml", RuleFiles.Eql($"process where process.pid == {number}")));

        var sink = Scan.Run(rules, [Pid(expected), Pid(-expected)]);

        Assert.That(sink.Events, Has.Count.EqualTo(1));
        Assert.That(sink.Events[0].Event.GetProperty("process").GetProperty("pid").GetInt32(), Is.EqualTo(expected));
    }

    [TestCase("1e400")]
    [TestCase("-1e400")]
    public void NumberBeyondDoubleIsSyntaxError(string number)
    {
        string toml = RuleFiles.Eql($"process where process.pid == {number}");

        var output = GeneratorHarness.Run("big.toml", toml);

        var error = output.GeneratorDiagnostics.Single(diagnostic => diagnostic.Id == "CMP010");
        Assert.That(error.GetMessage(), Does.Contain($"Number [{number.TrimStart('-')}] is too large"));
        var start = error.Location.GetLineSpan().StartLinePosition;
        string line = toml.Split('\n')[start.Line];
        Assert.That(line[start.Character..], Does.StartWith(number.TrimStart('-')));
    }

    [Test]
    public void UnicodeDigitIsNotNumber()
    {
        // U+0663 is ARABIC-INDIC DIGIT THREE: a decimal digit to char.IsDigit, but no number in EQL or C#.
        var output = GeneratorHarness.Run("digit.toml", RuleFiles.Eql("process where process.pid == \u0663"));

        Assert.That(output.GeneratorDiagnostics.Select(diagnostic => diagnostic.Id), Does.Contain("CMP010"));
        Assert.That(output.GeneratorDiagnostics.Select(diagnostic => diagnostic.Id), Does.Not.Contain("CMP999"));
    }

    /// <summary>
    /// Each pattern backtracks exponentially on a backtracking engine before its second branch matches. The
    /// non-backtracking engine returns true, and the timed fallback would return false after its time limit.
    /// </summary>
    [TestCase("(a|aa)*b|.*c", "a", "c")]
    [TestCase("(a+)+b|.*c", "a", "c")]
    [TestCase("(a|a)*b|.*c", "a", "c")]
    [TestCase("([a-z]+)*[0-9]|.*!", "abc", "!")]
    [TestCase("(.*a){12}b|.*c", "a", "c")]
    [TestCase("((ab)*|a)*x|.*y", "ab", "y")]
    public void EvilRegexMatchesLongValue(string pattern, string unit, string end)
    {
        var regex = new RegexPattern(pattern, ignoreCase: false);
        Assert.That(regex.UsesFallback, Is.False, "the pattern runs on the non-backtracking engine");
        var rules = Scan.CompileRules(("regex.toml", RuleFiles.Eql($"process where process.name regex \"{pattern}\"")));
        string value = string.Concat(Enumerable.Repeat(unit, 20_000));

        var watch = Stopwatch.StartNew();
        var sink = Scan.Run(rules, [Name(value + end), Name(value + "#")]);
        watch.Stop();

        Assert.That(sink.Events, Has.Count.EqualTo(1));
        Assert.That(sink.Events[0].Event.GetProperty("process").GetProperty("name").GetString(), Does.EndWith(end));

        // A guard, not a speed figure: a backtracking engine needs longer than the age of the universe here.
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    private static string? Constant(Type type, string name) => (string?)type.GetField(name)!.GetValue(null);

    private static T Static<T>(Type type, string name) => (T)type.GetField(name)!.GetValue(null)!;

    private static string Event(string name, string commandLine, string workingDirectory) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = "2026-01-01T00:00:00Z",
            ["event"] = new { category = "process" },
            ["process"] = new Dictionary<string, string> { ["name"] = name, ["command_line"] = commandLine, ["working_directory"] = workingDirectory },
        });

    private static string Name(string name) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = "2026-01-01T00:00:00Z",
            ["event"] = new { category = "process" },
            ["process"] = new { name },
        });

    private static string Pid(int pid) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = "2026-01-01T00:00:00Z",
            ["event"] = new { category = "process" },
            ["process"] = new { pid },
        });
}
