using System.Text;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

public class RuleDispatchTests
{
    [Test]
    public void RulesRunOnlyForTheirCategories()
    {
        var schema = FieldSchema.Create(["event.category"]);
        var network = new CountingRule(["network"]);
        var both = new CountingRule(["process", "network"]);
        var any = new CountingRule(null);
        var dispatch = new RuleDispatch(new RuleSet(schema, [network, both, any]));
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);

        foreach (var line in new[] { """{"event":{"category":"process"}}""", """{"event":{"category":["process","network"]}}""", """{"event":{}}""" })
        {
            decoder.Decode(Encoding.UTF8.GetBytes(line), record);
            dispatch.Evaluate(record, new RecordingSink());
        }

        Assert.That(network.Calls, Is.EqualTo(1));
        Assert.That(both.Calls, Is.EqualTo(2), "a rule runs once per event even when two of its categories match");
        Assert.That(any.Calls, Is.EqualTo(3));
    }

    [Test]
    public void GeneratedRulesDeclareTheirCategories()
    {
        var rules = Scan.CompileRules(
            ("event.toml", RuleFiles.Eql("process where true", name: "Event", ruleId: "1c2d3e4f-0000-4000-8000-000000000021")),
            ("sequence.toml", RuleFiles.Eql("sequence [process where true] [network where true] until [file where true]", name: "Sequence", ruleId: "1c2d3e4f-0000-4000-8000-000000000022")),
            ("any.toml", RuleFiles.Eql("sequence [process where true] [any where true]", name: "Any", ruleId: "1c2d3e4f-0000-4000-8000-000000000023")),
            ("trailing.toml", RuleFiles.Eql("sequence with maxspan=1m [process where true] ![network where true]", name: "Trailing", ruleId: "1c2d3e4f-0000-4000-8000-000000000024")));
        var byName = rules.Rules.ToDictionary(rule => rule.Descriptor.Name);

        Assert.That(byName["Event"].EventCategories, Is.EqualTo(new[] { "process" }));
        Assert.That(byName["Sequence"].EventCategories, Is.EqualTo(new[] { "file", "network", "process" }));
        Assert.That(byName["Any"].EventCategories, Is.Null);
        Assert.That(byName["Trailing"].EventCategories, Is.Null, "held sequences need every event to see time pass");
    }

    [Test]
    public void KqlRuleSkippedForOtherAction()
    {
        var rules = Scan.CompileRules(("kql.toml", RuleFiles.Kql("event.action:(\"user-login\" or logon*) and user.name:*")));
        var rule = rules.Rules.Single();
        var dispatch = new RuleDispatch(rules);
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);

        List<DetectionRule> Candidates(string line)
        {
            Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(line), record), Is.Null);
            return [.. dispatch.CandidatesFor(record)];
        }

        Assert.That(rule.DispatchBranches, Is.Not.Null);
        Assert.That(Candidates("""{"event":{"action":"logout"},"user":{"name":"a"}}"""), Is.Empty);
        Assert.That(Candidates("""{"event":{"action":"User-Login"},"user":{"name":"a"}}"""), Is.Empty, "a keyword term is case-sensitive");
        Assert.That(Candidates("""{"user":{"name":"a"}}"""), Is.Empty);
        Assert.That(Candidates("""{"event":{"action":"user-login"},"user":{"name":"a"}}"""), Is.EqualTo(new[] { rule }));
        Assert.That(Candidates("""{"event":{"action":["x","logon-failed"]},"user":{"name":"a"}}"""), Is.EqualTo(new[] { rule }));
    }

    [TestCase("message:login")]
    [TestCase("event.action:*login*")]
    [TestCase("event.action:*")]
    [TestCase("not event.action:login")]
    [TestCase("event.action:login or message:login")]
    [TestCase("event.*:login")]
    [TestCase("process.pid:4")]
    public void KqlRuleWithoutExactTermRunsAlways(string query)
    {
        var rules = Scan.CompileRules(("kql.toml", RuleFiles.Kql(query)));

        Assert.That(rules.Rules.Single().DispatchBranches, Is.Null);
    }

    [Test]
    public void OrSplitsIntoBranches()
    {
        const string Query = """
            any where process.executable != null and
              ((event.category == "file" and file.path : ("/etc/hosts", "?:\\Windows\\hosts")) or
               (process.name in ("nano", "vim") and process.args == "hosts"))
            """;
        var rules = Scan.CompileRules(
            ("eql.toml", RuleFiles.Eql(Query, "Eql")),
            ("kql.toml", RuleFiles.Kql("event.action:login or user.name:a", "Kql", "1c2d3e4f-0000-4000-8000-000000000003")));
        var byName = rules.Rules.ToDictionary(rule => rule.Descriptor.Name);
        var dispatch = new RuleDispatch(rules);
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);

        List<string> Candidates(string line)
        {
            Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(line), record), Is.Null);
            return [.. dispatch.CandidatesFor(record).Select(rule => rule.Descriptor.Name)];
        }

        Assert.That(byName["Eql"].DispatchBranches, Has.Count.EqualTo(2));
        Assert.That(byName["Kql"].DispatchBranches, Has.Count.EqualTo(2));
        Assert.That(Candidates("""{"process":{"executable":"/bin/x","name":"cat"},"file":{"path":"/tmp/a"}}"""), Is.Empty);
        Assert.That(Candidates("""{"event":{"category":"file"},"process":{"executable":"/bin/x"},"file":{"path":"/etc/hosts"}}"""), Is.EqualTo(new[] { "Eql" }));
        Assert.That(Candidates("""{"event":{"category":"file"},"process":{"executable":"c"},"file":{"path":"C:\\Windows\\HOSTS"}}"""), Is.EqualTo(new[] { "Eql" }), "a suffix of the : pattern ignores case");
        Assert.That(Candidates("""{"process":{"executable":"/bin/vim","name":"vim","args":["vim","hosts"]}}"""), Is.EqualTo(new[] { "Eql" }));
        Assert.That(Candidates("""{"event":{"action":"login"}}"""), Is.EqualTo(new[] { "Kql" }));
        Assert.That(Candidates("""{"user":{"name":"a"}}"""), Is.EqualTo(new[] { "Kql" }));
        Assert.That(Candidates("""{"event":{"action":"logout"},"user":{"name":"b"}}"""), Is.Empty);
    }

    [TestCase("process where (process.name == \"a\" or process.args regex \"b.*\") and event.type == \"start\"", 1)]
    [TestCase("process where (process.name == \"a\" or process.args regex \"b.*\")", 0)]
    [TestCase("process where not (process.name == \"a\" or process.name == \"b\")", 0)]
    [TestCase("process where (process.name == \"a\" or process.name == \"b\") and (user.name == \"c\" or user.id == \"d\")", 4)]
    [TestCase("process where process.name == \"a\" or (process.pid == 1 and (user.name == \"c\" or user.id == \"d\"))", 3)]
    public void OrBranchCounts(string query, int branches)
    {
        var rules = Scan.CompileRules(("eql.toml", RuleFiles.Eql(query)));

        var rule = rules.Rules.Single();
        if (branches == 0)
        {
            Assert.That(rule.DispatchBranches, Is.Null);
        }
        else
        {
            Assert.That(rule.DispatchBranches, Has.Count.EqualTo(branches));
            Assert.That(rule.DispatchBranches!.All(branch => branch.Terms.Count > 0), Is.True);
        }
    }

    [Test]
    public void TrailingMissingRunsOnlyWithState()
    {
        var rules = TrailingMissingRules("1m");
        var trailing = rules.Rules.Single(rule => rule.Descriptor.Name == "Trailing");
        var dispatch = new RuleDispatch(rules);
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();

        bool Runs(string line)
        {
            Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(line), record), Is.Null);
            bool candidate = dispatch.CandidatesFor(record).Contains(trailing);
            dispatch.Evaluate(record, sink);
            return candidate;
        }

        Assert.That(trailing.DispatchBranches, Has.Count.EqualTo(1), "only the positive stage gives a branch");
        Assert.That(trailing.EventCategories, Is.Null);
        Assert.That(Runs(Line(0, "h1", "other.exe")), Is.False, "no state, so a missing-stage event changes nothing");
        Assert.That(Runs(Line(1, "h1", "alert.exe")), Is.True);
        Assert.That(trailing.NeedsEveryEvent, Is.True);
        Assert.That(Runs(Line(2, "h2", "other.exe")), Is.True, "a held sequence needs every event");
        Assert.That(Runs(Line(200, "h2", "other.exe")), Is.True, "this event's time releases the held sequence");
        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(trailing.NeedsEveryEvent, Is.False);
        Assert.That(Runs(Line(201, "h2", "other.exe")), Is.False);

        static string Line(int second, string host, string process) =>
            $$$"""{"@timestamp":"2026-01-01T00:{{{second / 60:00}}}:{{{second % 60:00}}}Z","event":{"category":"process"},"host":{"id":"{{{host}}}"},"process":{"name":"{{{process}}}"}}""";
    }

    [Test]
    public void TrailingMissingAlertsAreTheSameWithoutDispatch()
    {
        var rules = TrailingMissingRules("30s");

        // Sequences held on two hosts, one rejected by a later event of its host, and single-event alerts in between,
        // so that the order of the alert file shows when each held sequence was reported.
        var lines = new List<string>();
        var random = new Random(7);
        for (int second = 0; second < 600; second++)
        {
            string host = random.Next(2) == 0 ? "h1" : "h2";
            string time = $"2026-01-01T00:{second / 60:00}:{second % 60:00}Z";
            lines.Add(random.Next(6) switch
            {
                0 => $$$"""{"@timestamp":"{{{time}}}","event":{"category":"process"},"host":{"id":"{{{host}}}"},"process":{"name":"alert.exe"}}""",
                1 => $$$"""{"@timestamp":"{{{time}}}","event":{"category":"network"},"host":{"id":"{{{host}}}"},"destination":{"port":4444}}""",
                2 => $$$"""{"@timestamp":"{{{time}}}","event":{"category":"process"},"host":{"id":"{{{host}}}"},"process":{"name":"other.exe"}}""",
                _ => $$$"""{"@timestamp":"{{{time}}}","event":{"category":"file"},"host":{"id":"h3"}}""",
            });
            second += random.Next(0, 40);
        }

        string ndjson = string.Join("\n", lines) + "\n";
        var (_, dispatched) = Scan.RunToAlerts(rules, ndjson);
        var (_, reference) = Scan.RunToAlerts(rules, ndjson, new ScanOptions { DispatchByValue = false });

        Assert.That(dispatched, Does.Contain("\"Trailing\""));
        Assert.That(dispatched, Does.Contain("\"Single\""));
        Assert.That(dispatched, Is.EqualTo(reference));
    }

    /// <summary>A sequence named "Trailing" that ends in a missing-event stage, and a single-event rule named "Single".</summary>
    private static RuleSet TrailingMissingRules(string maxspan) => Scan.CompileRules(
        ("trailing.toml", RuleFiles.Eql($"""
            sequence by host.id with maxspan={maxspan}
              [process where process.name == "alert.exe"]
              ![any where event.category in ("process", "network")]
            """, "Trailing")),
        ("single.toml", RuleFiles.Eql("network where destination.port == 4444", "Single", "1c2d3e4f-0000-4000-8000-000000000004")));

    [Test]
    public void KqlStatefulRulesDispatchUnlessThreshold()
    {
        var rules = Scan.CompileRules(
            ("threshold.toml", Stateful.StatefulRuleFiles.Rule("threshold", "event.action:login", Stateful.StatefulRuleFiles.Threshold, name: "Threshold", ruleId: "4b1a2c3d-0000-4000-8000-000000000031")),
            ("terms.toml", Stateful.StatefulRuleFiles.Rule("new_terms", "event.action:login", Stateful.StatefulRuleFiles.NewTerms, name: "Terms", ruleId: "4b1a2c3d-0000-4000-8000-000000000032")));
        var byName = rules.Rules.ToDictionary(rule => rule.Descriptor.Name);

        Assert.That(byName["Threshold"].DispatchBranches, Is.Null, "a threshold rule's schedule starts at the first event it sees");
        Assert.That(byName["Terms"].DispatchBranches!.Single().Terms.Single().Values, Is.EqualTo(new[] { "login" }));
    }

    [Test]
    public void KqlWildcardGivesPrefixOrSuffix()
    {
        var rules = Scan.CompileRules(("kql.toml", RuleFiles.Kql("process.name:(a\\*b*x or *.exe or ab*cdef) and event.action:login")));
        var terms = rules.Rules.Single().DispatchBranches!.Single().Terms;

        var name = terms.Single(term => term.Field == "process.name");
        Assert.That(name.IgnoreCase, Is.False);
        Assert.That(name.Values, Is.Empty);
        Assert.That(name.Prefixes, Is.EqualTo(new[] { "a*b" }));
        Assert.That(name.Suffixes, Is.EqualTo(new[] { ".exe", "cdef" }));
        Assert.That(terms.Single(term => term.Field == "event.action").Values, Is.EqualTo(new[] { "login" }));
    }

    [Test]
    public void DispatchKeepsEveryMatchOfTheCaseRules()
    {
        var cases = new (string Name, string Query)[]
        {
            ("Colon", "process where process.name : \"cmd.exe\""),
            ("InsensitiveIn", "process where process.name in~ (\"powershell.exe\", \"pwsh.exe\")"),
            ("Affixes", "process where process.executable like~ (\"c:\\\\windows\\\\*\", \"*\\\\rundll32.exe\")"),
            ("General", "process where process.command_line : \"*-enc*\" and process.executable : \"C:\\\\Users\\\\*\\\\AppData\\\\*.exe\""),
            ("Kelvin", "process where process.parent.name : \"k*.exe?\""),
            ("NumberText", "process where process.pid == \"42\""),
            ("AnyValue", "process where process.args == \"-x\""),
            ("Until", "sequence by host.id [process where process.name == \"a.exe\"] [process where process.name == \"b.exe\"] until [process where process.name == \"stop.exe\"]"),
            ("UnguardedStage", "sequence by host.id [process where process.name == \"a.exe\"] [network where true]"),
            ("MissingStage", "sequence by host.id with maxspan=1h [process where process.name == \"a.exe\"] ![process where process.name == \"veto.exe\"] [process where process.name == \"b.exe\"]"),
            ("LongValue", $"process where process.title == \"{new string('t', 300)}\""),
            ("EmptyValue", "process where process.working_directory == \"\""),
            ("LongS", "process where process.parent.executable : \"*sys.exe\""),
            ("DeseretSuffix", "process where process.name : (\"*za\", \"*zb\", \"*zc\", \"*zd\", \"*ze\", \"*\U00010400\")"),
            ("DeseretList", "process where user.name in~ (\"zx\U00010400\", \"zxaa\", \"zxab\", \"zxac\", \"zxad\", \"zxae\", \"zxaf\", \"zxag\", \"zxah\", \"zxai\", \"zxaj\")"),
        };
        var files = cases.Select((item, i) => (item.Name + ".toml", RuleFiles.Eql(item.Query, name: item.Name, ruleId: $"1c2d3e4f-0000-4000-8000-0000000001{i:D2}"))).ToArray();
        string[] events =
        [
            """{"event":{"category":"process"},"process":{"name":"CMD.EXE"}}""",
            """{"event":{"category":"process"},"process":{"name":"PowerShell.EXE"}}""",
            """{"event":{"category":"process"},"process":{"executable":"C:\\WINDOWS\\system32\\RUNDLL32.exe"}}""",
            """{"event":{"category":"process"},"process":{"command_line":"x -ENC y","executable":"c:\\users\\bob\\appdata\\x.EXE"}}""",
            """{"event":{"category":"process"},"process":{"parent":{"name":"\u212Aa.exe1"}}}""",
            """{"event":{"category":"process"},"process":{"pid":42}}""",
            """{"event":{"category":"process"},"process":{"args":["a","-x"]}}""",
            """{"event":{"category":"process"},"host":{"id":"h1"},"process":{"name":"a.exe"}}""",
            """{"event":{"category":"process"},"host":{"id":"h1"},"process":{"name":"stop.exe"}}""",
            """{"event":{"category":"process"},"host":{"id":"h1"},"process":{"name":"b.exe"}}""",
            """{"event":{"category":"network"},"host":{"id":"h1"}}""",
            """{"event":{"category":"process"},"host":{"id":"h2"},"process":{"name":"a.exe"}}""",
            """{"event":{"category":"process"},"host":{"id":"h2"},"process":{"name":"veto.exe"}}""",
            """{"event":{"category":"process"},"host":{"id":"h2"},"process":{"name":"b.exe"}}""",
            """{"event":{"category":"process"},"host":{"id":"h3"},"process":{"name":"a.exe"}}""",
            """{"event":{"category":"process"},"host":{"id":"h3"},"process":{"name":"b.exe"}}""",
            $$$"""{"event":{"category":"process"},"process":{"title":"{{{new string('t', 300)}}}"}}""",
            $$$"""{"event":{"category":"process"},"process":{"title":"{{{new string('t', 299)}}}"}}""",
            """{"event":{"category":"process"},"process":{"working_directory":""}}""",
            """{"event":{"category":"process"},"process":{"parent":{"executable":"c:\\\u017Fys.exe"}}}""",
            """{"event":{"category":"process"},"process":{"name":"x\ud801\udc28"}}""",
            """{"event":{"category":"process"},"user":{"name":"ZX\ud801\udc28"}}""",
        ];
        var lines = events.Select((line, i) => line.Insert(1, $"\"@timestamp\":\"2024-01-01T00:00:{i:D2}Z\",")).ToList();

        var dispatched = Scan.Run(Scan.CompileRules(files), lines);
        var everyRule = Scan.CompileRules(files);
        var reference = new RecordingSink();
        var decoder = new EventDecoder(everyRule.Schema);
        var record = new EventRecord(everyRule.Schema);
        foreach (var line in lines)
        {
            Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(line), record), Is.Null);
            foreach (var rule in everyRule.Rules)
            {
                rule.Evaluate(record, reference);
            }
        }

        static List<string> Names(RecordingSink sink) =>
            [.. sink.Events.Select(match => match.Rule).Concat(sink.Sequences.Select(match => match.Rule + " " + string.Join(",", match.Events.Select(e => e.GetProperty("@timestamp").GetString()))))];

        var expected = Names(reference);
        foreach (var (name, _) in cases.Where(item => item.Name is not ("Until" or "LongS")))
        {
            Assert.That(expected.Count(alert => alert.StartsWith(name, StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(1), name);
        }

        Assert.That(expected.Count(alert => alert.StartsWith("Until", StringComparison.Ordinal)), Is.EqualTo(2), "until ends the sequence of h1, not those of h2 and h3");

        // The dispatch's case-insensitive lookup takes the long s for an s, and the rule's match does not.
        Assert.That(expected.Count(alert => alert.StartsWith("LongS", StringComparison.Ordinal)), Is.Zero);
        Assert.That(Names(dispatched).Order(), Is.EqualTo(expected.Order()));
    }

    [Test]
    public void DispatchAllocatesNothingPerEvent()
    {
        // Rules whose terms the macOS events pass (exact, case-insensitive, prefix, suffix) but whose full conditions fail.
        var rules = Scan.CompileRules(
            ("exact.toml", RuleFiles.Eql("process where process.name == \"osascript\" and process.args == \"zz-none\"", name: "Exact", ruleId: "1c2d3e4f-0000-4000-8000-000000000201")),
            ("folded.toml", RuleFiles.Eql("process where process.name in~ (\"OSASCRIPT\", \"BASH\") and process.pid == -1", name: "Folded", ruleId: "1c2d3e4f-0000-4000-8000-000000000202")),
            ("prefix.toml", RuleFiles.Eql("process where process.executable : \"/USR/*\" and process.args : \"zz*\"", name: "Prefix", ruleId: "1c2d3e4f-0000-4000-8000-000000000203")),
            ("suffix.toml", RuleFiles.Eql("any where process.executable like~ \"*script\" and user.name == \"zz-none\"", name: "Suffix", ruleId: "1c2d3e4f-0000-4000-8000-000000000204")),
            ("seed.toml", File.ReadAllText(Paths.SeedRule)));
        Assert.That(rules.Rules.Count(rule => rule.DispatchBranches is not null), Is.EqualTo(4));
        var dispatch = new RuleDispatch(rules);
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();
        var lines = File.ReadLines(Path.Combine(Paths.CorpusEvents, "sbousseaden-macos-attack-dataset", "all-events.ndjson"))
            .Where(line => line.Length > 0 && !line.Contains("/usr/sbin/installer") && !line.Contains("Installer.app"))
            .Take(300).Select(Encoding.UTF8.GetBytes).ToList();

        void Run()
        {
            foreach (var line in lines)
            {
                if (decoder.Decode(line, record) is null)
                {
                    dispatch.Evaluate(record, sink);
                }
            }
        }

        for (int i = 0; i < 3; i++)
        {
            Run();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        int hits = lines.Count(line => decoder.Decode(line, record) is null && dispatch.CandidatesFor(record).Any(rule => rule.DispatchBranches is not null));
        Assert.That(hits, Is.GreaterThan(50), "the events must pass the rules' terms, so the indexes are used");
        Assert.That(sink.Events, Is.Empty);
        Assert.That(sink.Sequences, Is.Empty);
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for {lines.Count} events");
    }

    private sealed class CountingRule(string[]? categories) : DetectionRule(TestDescriptors.Create("counting"))
    {
        public int Calls { get; private set; }

        public override IReadOnlyList<string>? EventCategories => categories;

        public override void Evaluate(EventRecord ev, IAlertSink sink) => Calls++;
    }
}
