using Compiled.Compiler;
using Compiled.Tests.Support;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Tests.Generator;

/// <summary>The real Elastic detection rules: every EQL rule must compile, deprecated ones included.</summary>
[Category("Corpus")]
public class CorpusTests
{
    private static readonly string CorpusFolder = Path.Combine(Paths.Shared, "corpus", "detection-rules");

    [Test]
    public void EveryEqlRuleCompiles()
    {
        var files = EqlRuleFiles();
        Assert.That(files, Has.Count.GreaterThan(1000), "the corpus should hold about 1,081 EQL rules");

        var compilation = RuleCompiler.Compile(files);

        var errors = compilation.Errors.Select(error => error.ToString()).ToList();
        Assert.That(errors, Is.Empty, $"{errors.Count} errors, the first: {string.Join("\n", errors.Take(20))}");
        Assert.That(compilation.Success, Is.True);
        Assert.That(compilation.Descriptors(), Has.Count.EqualTo(files.Count));
    }

    private static List<RuleFile> EqlRuleFiles()
    {
        var files = new List<RuleFile>();
        foreach (var path in Directory.EnumerateFiles(CorpusFolder, "*.toml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            var root = TomlSerializer.Deserialize<TomlTable>(text);
            if (root is not null && root.TryGetValue("rule", out var rule) && rule is TomlTable table &&
                table.TryGetValue("type", out var type) && type is "eql")
            {
                files.Add(new RuleFile(path, text));
            }
        }

        return files;
    }
}
