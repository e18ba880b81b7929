using System.Text;
using Compiled.Runtime.Events;
using Compiled.Runtime.Matching;
using Compiled.Tests.Support;

namespace Compiled.Tests.Kql;

/// <summary>The runtime pieces of KQL matching: the standard tokenizer, the wildcard syntax and allocation.</summary>
public class KqlMatchingTests
{
    [TestCase("The Quick-Brown fox", "The|Quick|Brown|fox")]
    [TestCase("C:\\Windows\\System32\\cmd.exe /c whoami", "C|Windows|System32|cmd.exe|c|whoami")]
    [TestCase("from 10.0.0.1:22, port 1,000", "from|10.0.0.1|22|port|1,000")]
    [TestCase("it's a:b a.1 1.a v1.2", "it's|a:b|a|1|1|a|v1.2")]
    [TestCase("snake_case __init__ _", "snake_case|__init__")]
    [TestCase("end.", "end")]
    [TestCase("日本語テキスト", "日|本|語|テキスト")]
    [TestCase("café naïve", "café|naïve")]
    [TestCase("-- ** !!", "")]
    public void TokenizerSplitsLikeStandardAnalyzer(string text, string expected)
    {
        var tokens = new List<string>();
        var tokenizer = new StandardTokenizer(text);
        while (tokenizer.MoveNext())
        {
            tokens.Add(tokenizer.Current.ToString());
        }

        Assert.That(string.Join("|", tokens), Is.EqualTo(expected));
    }

    [Test]
    public void TokenizerSplitsLongWordsAt255()
    {
        string word = new('a', 600);
        var lengths = new List<int>();
        var tokenizer = new StandardTokenizer(word);
        while (tokenizer.MoveNext())
        {
            lengths.Add(tokenizer.Current.Length);
        }

        Assert.That(lengths, Is.EqualTo(new[] { 255, 255, 90 }));
    }

    [TestCase("a*c", "abbbc", false, true)]
    [TestCase("a*c", "ABC", false, false)]
    [TestCase("a*c", "ABC", true, true)]
    [TestCase("a?c", "abc", false, true)]
    [TestCase("a\\?c", "abc", false, false)]
    [TestCase("a\\?c", "a?c", false, true)]
    [TestCase("a\\*", "a*", false, true)]
    [TestCase("a\\*", "ab", false, false)]
    [TestCase("*\\\\x", "c:\\x", false, true)]
    [TestCase("", "", false, true)]
    [TestCase("*", "", false, true)]
    public void WildcardFollowsElasticsearchSyntax(string pattern, string value, bool ignoreCase, bool expected)
    {
        Assert.That(new KqlWildcard(pattern, ignoreCase).IsMatch(value), Is.EqualTo(expected));
    }

    [TestCase("Encoded Command", false, "run -encoded x", true)]
    [TestCase("encoded command", true, "run -Encoded Command x", true)]
    [TestCase("encoded command", true, "run -command encoded", false)]
    [TestCase("---", false, "---", false)]
    public void TextMatchesTermsOrPhrase(string value, bool phrase, string text, bool expected)
    {
        Assert.That(new KqlText(value, phrase).IsMatch(text), Is.EqualTo(expected));
    }

    [Test]
    public void KqlRuleAllocatesNothingPerEvent()
    {
        string query = "process.command_line.text:(\"zz yy\" or zz* or qq) or process.name:*zzz* or source.ip:10.0.0.0/8 " +
            "or process.pid > 999999 or not process.executable:* or user.name:\"nobody here\" " +
            "or process.*:zzzz or *.zz_name:x* or process.*.name:zz or process.parent:{ name:zz* and not pid > 1 } " +
            "or process.name.caseless:(ZZ.EXE or Zz*) or process.executable.caseless:(" + string.Join(" or ", Enumerable.Range(0, 12).Select(i => $"z{i}.exe")) + ")";
        var rules = Scan.CompileRules(("kql.toml", RuleFiles.Kql(query)));
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();
        string path = Path.Combine(Paths.CorpusEvents, "sbousseaden-macos-attack-dataset", "all-events.ndjson");
        var lines = File.ReadLines(path).Where(line => line.Length > 0).Select(Encoding.UTF8.GetBytes).ToList();
        Assert.That(lines, Has.Count.GreaterThan(100));
        for (int i = 0; i < 3; i++)
        {
            RunOnce(lines, decoder, record, rules);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int evaluated = RunOnce(lines, decoder, record, rules);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(evaluated, Is.GreaterThan(100));
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for {evaluated} events");

        int RunOnce(List<byte[]> events, EventDecoder eventDecoder, EventRecord eventRecord, Compiled.Runtime.Rules.RuleSet ruleSet)
        {
            int count = 0;
            foreach (var line in events)
            {
                if (eventDecoder.Decode(line, eventRecord) is not null)
                {
                    continue;
                }

                count++;
                for (int i = 0; i < ruleSet.Rules.Count; i++)
                {
                    ruleSet.Rules[i].Evaluate(eventRecord, sink);
                }
            }

            return count;
        }
    }
}
