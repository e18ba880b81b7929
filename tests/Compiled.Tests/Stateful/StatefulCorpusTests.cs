using Compiled.Compiler;
using Compiled.Runtime.Stateful;
using Compiled.Tests.Support;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Tests.Stateful;

/// <summary>Every threshold, new_terms and threat_match rule of Elastic's corpus compiles, deprecated ones included.</summary>
[Category("Corpus")]
public class StatefulCorpusTests
{
    private static readonly string CorpusFolder = Path.Combine(Paths.Shared, "corpus", "detection-rules", "rules");

    [TestCase("threshold", 30)]
    [TestCase("new_terms", 221)]
    [TestCase("threat_match", 9)]
    public void EveryRuleOfTheTypeCompiles(string type, int expected)
    {
        var files = CorpusRules(type);
        Assert.That(files, Has.Count.EqualTo(expected), $"the corpus should hold {expected} {type} rules");

        var compilation = RuleCompiler.Compile(files);

        var errors = compilation.Errors.Select(error => error.ToString()).ToList();
        Assert.That(errors, Is.Empty, $"{errors.Count} errors, the first: {string.Join("\n", errors.Take(20))}");
        Assert.That(compilation.Descriptors(), Has.Count.EqualTo(files.Count));
        var rules = compilation.CreateRuleSet().Rules;
        Type baseType = type switch
        {
            "threshold" => typeof(ThresholdRule),
            "new_terms" => typeof(NewTermsRule),
            _ => typeof(ThreatMatchRule),
        };
        Assert.That(rules.Select(rule => rule.GetType().BaseType), Is.All.EqualTo(baseType));
    }

    public static List<RuleFile> CorpusRules(string type)
    {
        var files = new List<RuleFile>();
        foreach (var path in Directory.EnumerateFiles(CorpusFolder, "*.toml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            var root = TomlSerializer.Deserialize<TomlTable>(text);
            if (root is not null && root.TryGetValue("rule", out var rule) && rule is TomlTable table &&
                table.TryGetValue("type", out var value) && value as string == type)
            {
                files.Add(new RuleFile(path, text));
            }
        }

        return files;
    }
}
