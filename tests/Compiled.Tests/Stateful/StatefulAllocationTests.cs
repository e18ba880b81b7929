using System.Text;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;
using Compiled.Runtime.Stateful;
using Compiled.Tests.Support;
using static Compiled.Tests.Stateful.StatefulTestRules;

namespace Compiled.Tests.Stateful;

/// <summary>
/// Events that meet state the rule already has (a term seen before, an open suppression group, no
/// indicator) allocate nothing once the buffers have grown. New state allocates by design.
/// </summary>
public class StatefulAllocationTests
{
    private static long AllocatedOnSecondPass(DetectionRule rule, IReadOnlyList<string> events)
    {
        var lines = events.Select(Encoding.UTF8.GetBytes).ToList();
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        var sink = new RecordingSink();
        Run(rule, lines, decoder, record, sink);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run(rule, lines, decoder, record, sink);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static void Run(DetectionRule rule, List<byte[]> lines, EventDecoder decoder, EventRecord record, RecordingSink sink)
    {
        foreach (var line in lines)
        {
            if (decoder.Decode(line, record) is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            rule.Evaluate(record, sink);
        }
    }

    private static List<string> Events(int count) =>
        Enumerable.Range(0, count).Select(i => Event(i * 0.01, "exec", user: "user" + (i % 7), host: "host" + (i % 3),
            extra: "\"source\":{\"ip\":\"10.0.0." + (i % 5) + "\"}")).ToList();

    [Test]
    public void SeenNewTermsAllocateNothing()
    {
        var rule = new NewTerms(new NewTermsSettings(["user.name", "host.name"], Slots("user.name", "host.name"), 7 * 24 * 60 * Minute, Schedule), "exec");

        long allocated = AllocatedOnSecondPass(rule, Events(200));

        Assert.That(rule.TermCount, Is.EqualTo(21));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void EventsWithoutIndicatorHitAllocateNothing()
    {
        var entry = new ThreatMappingEntry("source.ip", Slot("source.ip"), "threat.indicator.ip", Slot("threat.indicator.ip"));
        var rule = new ThreatMatch(new ThreatMatchSettings([[entry]], "threat.indicator", Schedule));
        rule.LoadIndicators(new MemoryStream(Encoding.UTF8.GetBytes("{\"threat\":{\"indicator\":{\"ip\":\"192.0.2.1\"}}}\n")), "ioc.ndjson");

        long allocated = AllocatedOnSecondPass(rule, Events(200));

        Assert.That(rule.IndicatorCount, Is.EqualTo(1));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void MergesIntoOpenSuppressionGroupsAllocateNothing()
    {
        var suppression = new SuppressionSettings(["host.name"], Slots("host.name"), 24 * 60 * Minute, MissingFieldsStrategy.Suppress);
        var rule = new NewTerms(new NewTermsSettings(["user.name", "host.name"], Slots("user.name", "host.name"), 7 * 24 * 60 * Minute, Schedule, suppression), "exec");
        var events = Events(200);

        // The first pass opens the groups; the second finds every term seen and every group open.
        long allocated = AllocatedOnSecondPass(rule, events);

        Assert.That(allocated, Is.Zero);
    }
}
