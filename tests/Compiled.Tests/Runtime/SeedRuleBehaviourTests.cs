using System.Text.Json;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// The seed rule: an installer process followed within a minute by a network event of the same
/// process entity to an address outside the reserved ranges.
/// </summary>
public class SeedRuleBehaviourTests
{
    private const string Installer = "/System/Library/CoreServices/Installer.app/Contents/MacOS/Installer";

    [Test]
    public void SamplesFireOnlyTheTwoAttacks()
    {
        var rules = Scan.CompileSeedRule();
        var lines = File.ReadAllLines(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));

        var sink = Scan.Run(rules, lines);

        var entities = sink.Sequences.Select(s => EntityId(s.Events[0])).ToList();
        Assert.That(entities, Is.EqualTo(new[] { "mac-0001", "mac-0006" }));
        Assert.That(sink.Sequences.All(s => s.Events.Length == 2 && EntityId(s.Events[1]) == EntityId(s.Events[0])));
        Assert.That(sink.Events, Is.Empty);
    }

    [Test]
    public void PublicDestinationWithinMaxspanFires()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p1", "8.8.8.8", 30)]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [TestCase("10.1.2.3")]
    [TestCase("192.168.0.10")]
    [TestCase("127.0.0.1")]
    [TestCase("::1")]
    [TestCase("fe80::1")]
    [TestCase("ff02::1")]
    [TestCase("::ffff:10.1.2.3")]
    public void PrivateDestinationDoesNotFire(string destination)
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p1", destination, 30)]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [TestCase("-")]
    [TestCase("")]
    [TestCase("unknown")]
    [TestCase("10.1")]
    [TestCase(" 10.1.2.3")]
    public void MalformedDestinationDoesNotFire(string destination)
    {
        // Elasticsearch's ip field drops or rejects a value that is not an address, so it is missing here too.
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p1", destination, 30)]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void NetworkAfterMaxspanDoesNotFire()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p1", "8.8.8.8", 61)]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void NetworkExactlyAtMaxspanFires()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p1", "8.8.8.8", 60)]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void AnotherEntityIdDoesNotFire()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p2", "8.8.8.8", 10)]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void AnotherParentDoesNotFire()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", "/bin/zsh", 0), Network("p1", "8.8.8.8", 10)]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void NetworkBeforeProcessDoesNotFire()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Network("p1", "8.8.8.8", 0), Process("p1", Installer, 5)]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void MissingDestinationDoesNotFire()
    {
        // not cidrmatch(null, ...) is null under three-valued logic, so the stage does not match.
        var network = Network("p1", "8.8.8.8", 10).Replace("\"destination\":{\"ip\":\"8.8.8.8\"},", "");
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), network]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void LaterProcessStartReplacesPendingSequence()
    {
        // The second start of p1 replaces the first, so the sequence contains the newer process event.
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0, "first"), Process("p1", Installer, 20, "second"), Network("p1", "8.8.8.8", 70)]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(sink.Sequences[0].Events[0].GetProperty("event").GetProperty("id").GetString(), Is.EqualTo("second"));
    }

    [Test]
    public void SequenceCompletesOnce()
    {
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), Network("p1", "8.8.8.8", 10), Network("p1", "1.1.1.1", 20)]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void EventCategoryAsStringOrArrayBothMatch()
    {
        var process = Process("p1", Installer, 0).Replace("\"category\":[\"process\"]", "\"category\":\"process\"");
        Assert.That(process, Does.Contain("\"category\":\"process\""));
        var sink = Scan.Run(Scan.CompileSeedRule(), [process, Network("p1", "8.8.8.8", 10)]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void DottedKeysMatchLikeNestedObjects()
    {
        string process = """{"@timestamp":"2026-01-01T00:00:00Z","event.category":["process"],"event.type":"start","host.os.family":"macos","process.entity_id":"p1","process.parent.executable":"/usr/sbin/installer"}""";
        string network = """{"@timestamp":"2026-01-01T00:00:10Z","event":{"category":"network"},"process":{"entity_id":"p1"},"destination.ip":"8.8.8.8"}""";

        var sink = Scan.Run(Scan.CompileSeedRule(), [process, network]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void TimestampOverrideIsUsedForMaxspan()
    {
        // The events are 10 s apart by @timestamp and 2 minutes apart by event.ingested, the rule's timestamp field.
        var network = Network("p1", "8.8.8.8", 10).Replace("\"ingested\":\"2026-01-01T00:00:11Z\"", "\"ingested\":\"2026-01-01T00:02:11Z\"");
        var sink = Scan.Run(Scan.CompileSeedRule(), [Process("p1", Installer, 0), network]);

        Assert.That(sink.Sequences, Is.Empty);
    }

    [Test]
    public void TimestampFallsBackToAtTimestamp()
    {
        var process = Process("p1", Installer, 0).Replace(",\"ingested\":\"2026-01-01T00:00:01Z\"", "");
        var network = Network("p1", "8.8.8.8", 10).Replace(",\"ingested\":\"2026-01-01T00:00:11Z\"", "");
        Assert.That(process + network, Does.Not.Contain("ingested"));
        var sink = Scan.Run(Scan.CompileSeedRule(), [process, network]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    private static string EntityId(JsonElement ev) => ev.GetProperty("process").GetProperty("entity_id").GetString()!;

    private static string Time(int seconds) => $"2026-01-01T00:{seconds / 60:00}:{seconds % 60:00}Z";

    private static string Process(string entity, string parent, int seconds, string id = "proc") => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["@timestamp"] = Time(seconds),
        ["event"] = new { category = new[] { "process" }, type = new[] { "start" }, id, ingested = Time(seconds + 1) },
        ["host"] = new { os = new { family = "macos" } },
        ["process"] = new { entity_id = entity, parent = new { executable = parent } },
    });

    private static string Network(string entity, string destination, int seconds) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["@timestamp"] = Time(seconds),
        ["event"] = new { category = new[] { "network" }, type = new[] { "start" }, ingested = Time(seconds + 1) },
        ["destination"] = new { ip = destination },
        ["process"] = new { entity_id = entity },
    });
}
