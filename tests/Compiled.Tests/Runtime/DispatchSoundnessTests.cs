using Compiled.Compiler;
using System.Reflection;
using System.Text;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Matching;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Dispatch must never skip a rule that would have matched. Every EQL rule of the corpus runs over the
/// real events with and without dispatch, and every query, stage and filter of every rule is checked
/// against every event: whenever one matches, dispatch must have chosen the rule.
/// </summary>
[Category("Corpus")]
public class DispatchSoundnessTests
{
    [Test]
    public void DispatchChoosesEveryRuleWhoseFilterMatches()
    {
        var (events, guarded, candidates, categoryCandidates, guardedMatches, ruleCount) = CheckEveryMatchIsDispatched(CorpusRules.Compilation);

        Assert.That(guarded, Is.GreaterThan(ruleCount / 2), "most corpus rules have a term at the top of every filter");
        Assert.That(guardedMatches, Is.GreaterThan(100), "the events must exercise the rules that dispatch narrows");
        Assert.That(candidates, Is.LessThan(categoryCandidates / 2), "dispatch by value must run far fewer rules than by category alone");
    }

    [Test]
    public void DispatchChoosesEveryKqlRuleWhoseQueryMatches()
    {
        var compilation = CorpusRules.KqlQueryCompilation;
        Assert.That(compilation.Errors, Is.Empty);

        var (_, guarded, candidates, categoryCandidates, _, ruleCount) = CheckEveryMatchIsDispatched(compilation);

        Assert.That(ruleCount, Is.GreaterThan(500));
        Assert.That(guarded, Is.GreaterThan(ruleCount / 2), "most KQL rules test a keyword at the top of the query");
        Assert.That(candidates, Is.LessThan(categoryCandidates / 2), "dispatch by value must run far fewer KQL rules than without it");
    }

    /// <summary>
    /// Runs every generated filter of every rule over every timed corpus event and asserts that dispatch chose
    /// the rule whenever a filter matched. Returns the counts that the callers check.
    /// </summary>
    private static (int Events, int Guarded, long Candidates, long CategoryCandidates, int GuardedMatches, int RuleCount)
        CheckEveryMatchIsDispatched(RuleCompilation compilation)
    {
        var rules = compilation.CreateRuleSet();
        var dispatch = new RuleDispatch(rules);
        var filters = rules.Rules.Select(FilterMethods).ToList();
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var missed = new List<string>();
        int guardedMatches = 0;
        long candidates = 0;
        long categoryCandidates = 0;
        var events = TimedEventLines(rules);

        foreach (var line in events)
        {
            Assert.That(decoder.Decode(line, record), Is.Null);
            var chosen = dispatch.CandidatesFor(record).ToHashSet();
            candidates += chosen.Count;
            for (int i = 0; i < rules.Rules.Count; i++)
            {
                var rule = rules.Rules[i];
                if (rule.EventCategories is null || rule.EventCategories.Any(category => InCategory(record, category)))
                {
                    categoryCandidates++;
                }

                foreach (var (name, matches) in filters[i])
                {
                    if (!matches(record))
                    {
                        continue;
                    }

                    if (rule.DispatchBranches is not null)
                    {
                        guardedMatches++;
                    }

                    if (!chosen.Contains(rule))
                    {
                        missed.Add($"{rule.Descriptor.SourceFile} {name}: {Encoding.UTF8.GetString(line)[..Math.Min(300, line.Length)]}");
                    }
                }
            }
        }

        int guarded = rules.Rules.Count(rule => rule.DispatchBranches is not null);
        TestContext.Out.WriteLine(
            $"{events.Count} events, {rules.Rules.Count} rules ({guarded} with dispatch terms, {dispatch.UnguardedRules} run for every event of their categories); " +
            $"{guardedMatches} filter matches of rules with terms; rules run per event: {(double)candidates / events.Count:F1} (by category alone: {(double)categoryCandidates / events.Count:F1})");
        Assert.That(missed, Is.Empty, $"{missed.Count} matches skipped, the first: {string.Join("\n", missed.Take(10))}");
        return (events.Count, guarded, candidates, categoryCandidates, guardedMatches, rules.Rules.Count);
    }

    [Test]
    public void AlertsAreTheSameWithAndWithoutDispatch()
    {
        var compilation = CorpusRules.Compilation;
        var withDispatch = compilation.CreateRuleSet();
        var everyRule = compilation.CreateRuleSet();
        var lines = TimedEventLines(withDispatch);

        var dispatched = new TextSink();
        var engine = new ScanEngine(withDispatch, dispatched);
        engine.Scan(new MemoryStream(lines.SelectMany(line => line.Append((byte)'\n')).ToArray()), "corpus-events");
        engine.Finish();

        // The reference runs the same engine, so both see each rule's events in the same time order, but only
        // event categories narrow its rules.
        var reference = new TextSink();
        var referenceEngine = new ScanEngine(everyRule, reference, new ScanOptions { DispatchByValue = false });
        referenceEngine.Scan(new MemoryStream(lines.SelectMany(line => line.Append((byte)'\n')).ToArray()), "corpus-events");
        referenceEngine.Finish();

        Assert.That(engine.Summary.EventsEvaluated, Is.EqualTo(lines.Count));
        Assert.That(reference.Alerts, Is.Not.Empty, "the corpus events must raise alerts for the comparison to mean something");
        Assert.That(dispatched.Alerts, Is.EqualTo(reference.Alerts));
    }

    /// <summary>The generated filter methods of a rule (<c>Match</c>, <c>MatchStageN</c>, <c>MatchUntil</c>, <c>MatchFilterN</c>) as delegates.</summary>
    private static List<(string Name, Func<EventRecord, bool> Matches)> FilterMethods(DetectionRule rule)
    {
        var methods = rule.GetType()
            .GetMethods(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(method => method.Name.StartsWith("Match", StringComparison.Ordinal) && method.ReturnType == typeof(bool) &&
                method.GetParameters() is [{ ParameterType: var type }] && type == typeof(EventRecord))
            .Select(method => (method.Name, method.CreateDelegate<Func<EventRecord, bool>>(rule)))
            .ToList();

        // Trailing missing-event stages matter only while the rule has state, and then NeedsEveryEvent makes
        // the rule run for every event. AlertsAreTheSameWithAndWithoutDispatch covers them.
        int trailingMissing = rule.MissingStages.Reverse().TakeWhile(missing => missing).Count();
        int stages = methods.Count(method => method.Name.StartsWith("MatchStage", StringComparison.Ordinal));
        methods.RemoveAll(method => method.Name.StartsWith("MatchStage", StringComparison.Ordinal) &&
            int.Parse(method.Name["MatchStage".Length..], System.Globalization.CultureInfo.InvariantCulture) > stages - trailingMissing);
        Assert.That(methods, Is.Not.Empty, rule.Descriptor.SourceFile);
        return methods;
    }

    /// <summary>Every real event with a valid <c>@timestamp</c>, in time order, as the rules expect them.</summary>
    private static List<byte[]> TimedEventLines(RuleSet rules)
    {
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var timed = new List<(long Time, byte[] Line)>();
        foreach (var path in Directory.EnumerateFiles(Paths.CorpusEvents, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            foreach (var text in File.ReadLines(path))
            {
                byte[] line = Encoding.UTF8.GetBytes(text);
                if (decoder.Decode(line, record) is null && record.TryGetTimestamp(rules.Schema.TimestampSlots[0], out long time))
                {
                    timed.Add((time, line));
                }
            }
        }

        Assert.That(timed, Has.Count.GreaterThan(1500));
        return timed.OrderBy(item => item.Time).Select(item => item.Line).ToList();
    }

    /// <summary>Records each alert as text: the rule and the events, in the order they are reported.</summary>
    private sealed class TextSink : IAlertSink
    {
        public List<string> Alerts { get; } = [];

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) =>
            Alerts.Add($"{rule.Descriptor.RuleIdText} event {timestamp} {Encoding.UTF8.GetString(ev.Json.Span)}");

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
        {
            var text = new StringBuilder($"{rule.Descriptor.RuleIdText} sequence");
            foreach (var captured in events)
            {
                text.Append(' ').Append(captured.Timestamp).Append(' ').Append(Encoding.UTF8.GetString(captured.Json.Span));
            }

            Alerts.Add(text.ToString());
        }
    }

    private static bool InCategory(EventRecord record, string category) =>
        record.Schema.TryGetSlot("event.category", out int slot) && Eql.Equal(record, slot, category) == Tri.True;
}
