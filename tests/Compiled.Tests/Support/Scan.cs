using System.Text;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;

namespace Compiled.Tests.Support;

/// <summary>Compiles rules through the real generator and streams events through them.</summary>
public static class Scan
{
    public static RuleSet CompileRules(params (string FileName, string Toml)[] rules)
    {
        var compilation = RuleCompiler.Compile(rules.Select(rule => new RuleFile("/rules/" + rule.FileName, rule.Toml)).ToList());
        Assert.That(compilation.Errors, Is.Empty, string.Join("\n", compilation.Diagnostics));
        return compilation.CreateRuleSet();
    }

    public static RuleSet CompileSeedRule() => CompileRules(("seed.toml", File.ReadAllText(Paths.SeedRule)));

    public static RecordingSink Run(RuleSet rules, IEnumerable<string> jsonLines)
    {
        var sink = new RecordingSink();
        var engine = new ScanEngine(rules, sink);
        engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", jsonLines) + "\n")), "test");
        engine.Finish();
        return sink;
    }

    public static (ScanSummary Summary, string Alerts) RunToAlerts(RuleSet rules, string ndjson, ScanOptions? options = null)
    {
        var output = new MemoryStream();
        var writer = new AlertWriter(output);
        var engine = new ScanEngine(rules, writer, options ?? new ScanOptions());
        engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(ndjson)), "test.ndjson");
        engine.Finish();
        return (engine.Summary, Encoding.UTF8.GetString(output.ToArray()));
    }
}
