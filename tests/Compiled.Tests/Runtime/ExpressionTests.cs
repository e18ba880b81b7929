using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>Computed conditions: functions, arithmetic and nested comparisons, evaluated on one event.</summary>
public class ExpressionTests
{
    private const string Event = """
        {"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},
         "process":{"name":"PowerShell.exe","pid":42,"args":["-enc","ZQBjAGgAbwA="],"command_line":"powershell -enc ZQBjAGgAbwA=",
         "parent":{"name":"explorer.exe"},"exit_code":-1,"ratio":2.5},"user":{"name":"alice"},"host":{"ip":["10.1.2.3","2001:db8::1"]}}
        """;

    [TestCase("length(process.name) == 14", true)]
    [TestCase("length(process.name) > 14", false)]
    [TestCase("startsWith(process.name, \"Power\")", true)]
    [TestCase("startsWith(process.name, \"power\")", false)]
    [TestCase("startsWith~(process.name, \"power\")", true)]
    [TestCase("STARTSWITH~(process.name, \"power\")", true)]
    [TestCase("endsWith~(process.name, \".EXE\")", true)]
    [TestCase("stringContains(process.command_line, \"-enc\")", true)]
    [TestCase("stringContains(process.command_line, \"\")", false)]
    [TestCase("indexOf(process.name, \"Shell\") == 5", true)]
    [TestCase("indexOf(process.name, \"z\") == null", true)]
    [TestCase("indexOf~(process.name, \"shell\", 6) == null", true)]
    [TestCase("substring(process.name, -4) == \".exe\"", true)]
    [TestCase("substring(process.name, 0, 5) == \"Power\"", true)]
    [TestCase("between(process.command_line, \"-enc \", \"=\") == \"ZQBjAGgAbwA\"", true)]
    [TestCase("concat(user.name, \"@\", process.pid) == \"alice@42\"", true)]
    [TestCase("concat(user.name, process.missing) == null", true)]
    [TestCase("string(process.pid) == \"42\"", true)]
    [TestCase("number(\"0x2A\") == process.pid", true)]
    [TestCase("number(\"52403\", 7) == 12890", true)]
    [TestCase("process.pid + 8 == 50", true)]
    [TestCase("process.pid / 5 == 8", true)]
    [TestCase("process.exit_code / 2 == 0", true)]
    [TestCase("modulo(10, -6) == 4", true)]
    [TestCase("modulo(process.exit_code, 5) == -1", true)]
    [TestCase("process.ratio * 2 == 5", true)]
    [TestCase("66.0 / process.pid < 2", true)]
    [TestCase("cidrMatch(concat(\"10.1.2.\", \"3\"), \"10.0.0.0/8\")", true)]
    [TestCase("cidrMatch(host.ip, \"2001:db8::/32\")", true)]
    [TestCase("process.args : \"-ENC\"", true)]
    [TestCase("concat(process.args) : \"zq*\"", true)]
    [TestCase("length(process.args) == 4", true)]
    [TestCase("length(process.args) == 12", true)]
    [TestCase("length(process.args) == 5", false)]
    [TestCase("null == (process.missing > 1)", true)]
    [TestCase("(process.pid > 1) == true", true)]
    [TestCase("not (length(process.missing) > 1)", false)]
    [TestCase("length(process.missing) > 1 or process.pid == 42", true)]
    [TestCase("concat(process.name) in (\"PowerShell.exe\", \"cmd.exe\")", true)]
    [TestCase("length(process.name) in (1, 14)", true)]
    [TestCase("process.pid in (41, 42.0)", true)]
    [TestCase("process.name in~ (\"powershell.exe\")", true)]
    [TestCase("process.name not in~ (\"powershell.exe\")", false)]
    [TestCase("-process.pid == -42", true)]
    [TestCase("process.pid * 9223372036854775807 < 0", false)]
    [TestCase("number(\"NaN\") > 0", true)]
    [TestCase("number(\"NaN\") < 0", false)]
    [TestCase("number(\"-9223372036854775808\") < 0", true)]
    [TestCase("number(\"9223372036854775808\") > 0", true)]
    [TestCase("process.name like \"?owerShell.exe\"", true)]
    [TestCase("concat(\"\\u{1F600}\") like \"?\"", true)]
    [TestCase("process.name regex \".{0,4000}\"", true)]
    [TestCase("@timestamp == \"2026-01-01T00:00:00Z\"", true)]
    [TestCase("@timestamp == \"2026-01-01\"", true)]
    [TestCase("@timestamp == \"2026-01-01T00:00:00.001Z\"", false)]
    [TestCase("@timestamp < \"2026-01-01T00:00:00Z\"", false)]
    [TestCase("@timestamp <= \"2026-01-01T00:00:00Z\"", true)]
    [TestCase("@timestamp > \"2025-12-31\"", true)]
    [TestCase("@timestamp >= \"2026-01-01T01:00:00+01:00\"", true)]
    [TestCase("@timestamp != \"2026-01-01T00:00Z\"", false)]
    [TestCase("process.name regex \"Power[A-Za-z]+\\\\.exe\"", true)]
    [TestCase("process.name regex \"power.*\"", false)]
    [TestCase("process.name regex~ \"power.*\"", true)]
    [TestCase("process.args regex (\"x\", \"-e.c\")", true)]
    [TestCase("substring(process.name, 0, 5) regex \"P.w.r\"", true)]
    [TestCase("process.args != \"-enc\"", false)]
    [TestCase("not process.args == \"-enc\"", false)]
    [TestCase("process.args != \"-nop\"", true)]
    [TestCase("process.missing != \"x\"", false)]
    public void ConditionMatches(string condition, bool expected)
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where " + condition)));

        var sink = Scan.Run(rules, [Event.ReplaceLineEndings("")]);

        Assert.That(sink.Events.Count == 1, Is.EqualTo(expected));
    }
}
