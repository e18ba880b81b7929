using Compiled.Runtime.Hosting;

namespace Compiled.Tests.Runtime;

public class TermTableTests
{
    // The case-insensitive hash gives every character outside ASCII one code, which is only sound while
    // OrdinalIgnoreCase finds no such character equal to an ASCII one.
    [Test]
    public void OrdinalIgnoreCaseKeepsAsciiApart()
    {
        var found = new List<string>();
        for (int other = 128; other <= char.MaxValue; other++)
        {
            char c = (char)other;
            for (char ascii = '\0'; ascii < 128; ascii++)
            {
                if (new ReadOnlySpan<char>(in c).Equals(new ReadOnlySpan<char>(in ascii), StringComparison.OrdinalIgnoreCase))
                {
                    found.Add($"U+{other:X4} and U+{(int)ascii:X4}");
                }
            }
        }

        Assert.That(found, Is.Empty);
    }

    [Test]
    public void FindsKeysInAnyCase()
    {
        string[] keys =
        [
            "cmd.exe", "POWERSHELL.EXE", "straße", "ÄRGER", "x\U00010400", "\U00010428y", "",
            "a", "ab", "abc", "abcd", "abcde", "C:\\Windows\\System32\\" + new string('k', 60) + "\\svchost.exe",
        ];
        var table = Table([.. keys, "ıs"], ignoreCase: true);

        foreach (var key in keys)
        {
            Assert.That(table.Find(key), Is.EqualTo(Rules(key)), key);
            Assert.That(table.Find(key.ToUpperInvariant()), Is.EqualTo(Rules(key)), key.ToUpperInvariant());
            Assert.That(table.Find(key.ToLowerInvariant()), Is.EqualTo(Rules(key)), key.ToLowerInvariant());
        }

        Assert.That(table.Find("Cmd.Exe"), Is.EqualTo(Rules("cmd.exe")));
        Assert.That(table.Find("X\U00010428"), Is.EqualTo(Rules("x\U00010400")), "a surrogate pair folds as one letter");
        Assert.That(table.Find("ıS"), Is.EqualTo(Rules("ıs")));
        Assert.That(table.Find("is"), Is.Null, "OrdinalIgnoreCase keeps U+0131 apart from i");
        Assert.That(table.Find("IS"), Is.Null);
        Assert.That(table.Find("strasse"), Is.Null);
        Assert.That(table.Find("cmd.ex"), Is.Null);
    }

    [Test]
    public void CaseSensitiveTableComparesCase()
    {
        var table = Table(["cmd.exe", "Cmd.exe", "ÄRGER"], ignoreCase: false);

        Assert.That(table.Find("cmd.exe"), Is.EqualTo(Rules("cmd.exe")));
        Assert.That(table.Find("Cmd.exe"), Is.EqualTo(Rules("Cmd.exe")));
        Assert.That(table.Find("CMD.EXE"), Is.Null);
        Assert.That(table.Find("ärger"), Is.Null);
    }

    // Long texts hash their two ends only, so texts that differ in the middle land on one slot and the
    // comparison has to tell them apart.
    [Test]
    public void LongTextsDifferingInMiddle()
    {
        string Long(char middle) => new string('a', 30) + middle + new string('b', 30);
        var table = Table([Long('x'), Long('y')], ignoreCase: true);

        Assert.That(table.Find(Long('x')), Is.EqualTo(Rules(Long('x'))));
        Assert.That(table.Find(Long('Y')), Is.EqualTo(Rules(Long('y'))));
        Assert.That(table.Find(Long('z')), Is.Null);
    }

    [Test]
    public void ManyKeysFindOnlyThemselves([Values] bool ignoreCase)
    {
        var keys = Enumerable.Range(0, 5_000).Select(i => $"value-{i * 7919 % 100_000}").Distinct().ToArray();
        var table = Table(keys, ignoreCase);

        foreach (var key in keys)
        {
            Assert.That(table.Find(key), Is.EqualTo(Rules(key)), key);
        }

        for (int i = 0; i < 5_000; i++)
        {
            string other = $"other-{i}";
            Assert.That(table.Find(other), Is.Null, other);
        }
    }

    private static TermTable Table(IEnumerable<string> keys, bool ignoreCase) =>
        new(keys.ToDictionary(key => key, Rules, ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal), ignoreCase);

    // Each key maps to rule numbers of its own, so a lookup that returns another key's rules fails.
    private static int[] Rules(string key) => [key.Length, StringComparer.OrdinalIgnoreCase.GetHashCode(key) & 0xFFFF];
}
