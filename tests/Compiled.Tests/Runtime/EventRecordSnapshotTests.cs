using System.Text;
using Compiled.Runtime.Events;

namespace Compiled.Tests.Runtime;

/// <summary>
/// A snapshot brings back an event's values after other events were decoded into the same record, together
/// with the times already parsed from its timestamp fields.
/// </summary>
public class EventRecordSnapshotTests
{
    private static readonly FieldSchema Schema = FieldSchema.Create(["process.name", "event.ingested"], ["event.ingested"]);

    [Test]
    public void RestoreBringsBackValuesAndTimes()
    {
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        int ingested = Schema.TimestampSlots[1];
        Decode(decoder, record, "{\"@timestamp\":\"2026-03-02T10:00:00.123Z\",\"event\":{\"ingested\":\"not a time\"},\"process\":{\"name\":\"cmd.exe\"}}");

        long lengthBefore = record.SnapshotLength;
        Assert.That(record.TryGetTimestamp(0, out long timestamp), Is.True);
        Assert.That(record.TryGetTimestamp(ingested, out _), Is.False);
        // Each parsed time, found or not, adds its slot and value to the snapshot.
        Assert.That(record.SnapshotLength, Is.EqualTo(lengthBefore + (2 * 2 * sizeof(long))));

        byte[] snapshot = new byte[record.SnapshotLength];
        record.WriteSnapshot(snapshot);
        Decode(decoder, record, "{\"@timestamp\":\"2030-01-01T00:00:00Z\",\"event\":{\"ingested\":\"2030-01-01T00:00:01Z\"},\"process\":{\"name\":\"other.exe\"}}");
        Assert.That(record.TryGetTimestamp(ingested, out _), Is.True);

        record.RestoreSnapshot(snapshot);
        Assert.That(Text(record, "process.name"), Is.EqualTo("cmd.exe"));
        Assert.That(record.TryGetTimestamp(0, out long restored), Is.True);
        Assert.That(restored, Is.EqualTo(timestamp));
        Assert.That(record.TryGetTimestamp(ingested, out _), Is.False);
        Assert.That(record.SnapshotLength, Is.EqualTo(snapshot.Length), "a restored event writes the same snapshot again");
    }

    [Test]
    public void RestoreWithoutParsedTimesParsesThem()
    {
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        int ingested = Schema.TimestampSlots[1];
        Decode(decoder, record, "{\"@timestamp\":\"2026-03-02T10:00:00Z\",\"event\":{\"ingested\":\"2026-03-02T10:00:05Z\"}}");
        byte[] snapshot = new byte[record.SnapshotLength];
        record.WriteSnapshot(snapshot);

        Decode(decoder, record, "{\"@timestamp\":\"2030-01-01T00:00:00Z\"}");
        Assert.That(record.TryGetTimestamp(0, out _), Is.True);
        record.RestoreSnapshot(snapshot);

        Assert.That(record.TryGetTimestamp(ingested, out long restored), Is.True);
        Assert.That(restored, Is.EqualTo(new DateTimeOffset(2026, 3, 2, 10, 0, 5, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000L));
    }

    [Test]
    public void FieldValueTakes32Bytes()
    {
        // Every decoded value is written once when decoded and again into each snapshot, so its size is per-event work.
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<FieldValue>(), Is.EqualTo(32));
    }

    [TestCase("1.5", 1L, 1.5)]
    [TestCase("-2.75", -2L, -2.75)]
    [TestCase("9007199254740993", 9007199254740993L, 9007199254740992.0)]
    [TestCase("true", 1L, 1.0)]
    [TestCase("1e19", long.MaxValue, 1e19)]
    public void NumbersKeepBothForms(string json, long integer, double number)
    {
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        Decode(decoder, record, $"{{\"@timestamp\":\"2026-03-02T10:00:00Z\",\"process\":{{\"name\":{json}}}}}");

        Assert.That(Schema.TryGetSlot("process.name", out int slot), Is.True);
        foreach (ref readonly var value in record.Values(slot))
        {
            Assert.That(value.Integer, Is.EqualTo(integer));
            Assert.That(value.Number, Is.EqualTo(number));
            Assert.That(record.Text(value).ToString(), Is.EqualTo(json));
            return;
        }

        Assert.Fail("no value decoded");
    }

    private static void Decode(EventDecoder decoder, EventRecord record, string json) =>
        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(json), record), Is.Null, json);

    private static string Text(EventRecord record, string field)
    {
        Assert.That(Schema.TryGetSlot(field, out int slot), Is.True);
        foreach (ref readonly var value in record.Values(slot))
        {
            return record.Text(value).ToString();
        }

        return "(missing)";
    }
}
