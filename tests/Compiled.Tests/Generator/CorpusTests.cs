using Compiled.Tests.Support;

namespace Compiled.Tests.Generator;

/// <summary>The real Elastic detection rules: every EQL rule must compile, deprecated ones included.</summary>
[Category("Corpus")]
public class CorpusTests
{
    [Test]
    public void EveryEqlRuleCompiles()
    {
        var files = CorpusRules.Files;
        Assert.That(files, Has.Count.GreaterThan(1000), "the corpus should hold about 1,081 EQL rules");

        var compilation = CorpusRules.Compilation;

        var errors = compilation.Errors.Select(error => error.ToString()).ToList();
        Assert.That(errors, Is.Empty, $"{errors.Count} errors, the first: {string.Join("\n", errors.Take(20))}");
        Assert.That(compilation.Success, Is.True);
        Assert.That(compilation.Descriptors(), Has.Count.EqualTo(files.Count));
    }
}
