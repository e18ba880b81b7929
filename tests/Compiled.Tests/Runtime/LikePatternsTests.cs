using System.Text;
using Compiled.Runtime.Events;
using Compiled.Runtime.Matching;

namespace Compiled.Tests.Runtime;

public class LikePatternsTests
{
    // The alphabet is ASCII, where OrdinalIgnoreCase and the general matcher's ToLowerInvariant agree, so
    // the general matcher alone can serve as the reference for every kind of pattern.
    private const string Alphabet = "aAbB.";

    [TestCase(false, 1)]
    [TestCase(true, 1)]
    [TestCase(false, LikePatterns.InlineLimit)]
    [TestCase(true, LikePatterns.InlineLimit)]
    [TestCase(false, LikePatterns.InlineLimit + 1)]
    [TestCase(true, LikePatterns.InlineLimit + 1)]
    [TestCase(false, 40)]
    [TestCase(true, 40)]
    public void AgreesWithTheGeneralMatcher(bool ignoreCase, int patternsPerKind)
    {
        var random = new Random(patternsPerKind * 2 + (ignoreCase ? 1 : 0));
        for (int round = 0; round < 200; round++)
        {
            var patterns = new List<string>();
            foreach (var shape in new[] { "{0}", "{0}*", "*{0}", "{0}*{1}", "*{0}*", "{0}?{1}", "*{0}*{1}*" })
            {
                int count = random.Next(patternsPerKind + 1);
                for (int i = 0; i < count; i++)
                {
                    patterns.Add(string.Format(shape, Word(random), Word(random)));
                }
            }

            var patternSet = new LikePatterns(ignoreCase, patterns.ToArray());
            var reference = patterns.Select(pattern => new WildcardPattern(pattern, ignoreCase)).ToList();
            for (int i = 0; i < 50; i++)
            {
                string text = Word(random);
                bool expected = reference.Any(pattern => pattern.IsMatch(text));
                Assert.That(patternSet.IsMatch(text), Is.EqualTo(expected), $"\"{text}\" against {string.Join(", ", patterns)}");
            }
        }
    }

    [TestCase("cmd.exe", "cmd.exe", false, true)]
    [TestCase("cmd.exe", "CMD.EXE", false, false)]
    [TestCase("cmd.exe", "CMD.EXE", true, true)]
    [TestCase("ab*yz", "abyz", false, true)]
    [TestCase("ab*yz", "abz", false, false)]
    [TestCase("ab*ba", "aba", false, false)]
    [TestCase("*", "", false, true)]
    [TestCase("**", "x", false, true)]
    [TestCase("", "", false, true)]
    [TestCase("", "x", false, false)]
    [TestCase("*\u00c4*", "x\u00e4y", true, true)]
    [TestCase("*\u00c4*", "x\u00e4y", false, false)]
    public void MatchesOnePattern(string pattern, string text, bool ignoreCase, bool expected)
    {
        Assert.That(new LikePatterns(ignoreCase, pattern).IsMatch(text), Is.EqualTo(expected));
    }

    [TestCase("""{"process": {"name": ["x.dll", "CMD.exe"]}}""", Tri.True)]
    [TestCase("""{"process": {"name": "x.dll"}}""", Tri.False)]
    [TestCase("""{"process": {"name": true}}""", Tri.False)]
    [TestCase("""{"process": {"name": 12}}""", Tri.False)]
    [TestCase("""{"process": {"name": []}}""", Tri.Null)]
    [TestCase("""{"process": {}}""", Tri.Null)]
    public void FieldMatchesWhenAnyStringValueDoes(string json, Tri expected)
    {
        var schema = FieldSchema.Create(["process.name"]);
        var record = new EventRecord(schema);
        Assert.That(new EventDecoder(schema).Decode(Encoding.UTF8.GetBytes(json), record), Is.Null);

        var patterns = new LikePatterns(true, "cmd.exe", "*.ps1");

        Assert.That(Eql.Like(record, schema.Slot("process.name"), patterns), Is.EqualTo(expected));
    }

    private static string Word(Random random)
    {
        var text = new StringBuilder();
        int length = random.Next(5);
        for (int i = 0; i < length; i++)
        {
            text.Append(Alphabet[random.Next(Alphabet.Length)]);
        }

        return text.ToString();
    }
}
