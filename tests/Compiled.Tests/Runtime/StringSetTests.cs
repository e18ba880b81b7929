using Compiled.Runtime.Matching;

namespace Compiled.Tests.Runtime;

public class StringSetTests
{
    private static readonly string[] Values =
        ["zx\U00010400", "zxaa", "zxab", "zxac", "zxad", "zxae", "zxaf", "zxag", "zxah", "zxai", "zxaj"];

    [TestCase("zx\U00010428", true)]
    [TestCase("ZX\U00010400", true)]
    [TestCase("zxAJ", true)]
    [TestCase("zx\U00010401", false)]
    [TestCase("zx", false)]
    public void IgnoreCaseFoldsSurrogatePairs(string value, bool expected)
    {
        Assert.That(new StringSet(true, Values).Contains(value), Is.EqualTo(expected));
    }

    [TestCase("zx\U00010400", true)]
    [TestCase("zx\U00010428", false)]
    [TestCase("zxAJ", false)]
    public void CaseSensitiveSetComparesOrdinally(string value, bool expected)
    {
        Assert.That(new StringSet(false, Values).Contains(value), Is.EqualTo(expected));
    }
}
