using System.Text;
using Compiled.Runtime.Events;

namespace Compiled.Tests.Runtime;

public class EventDecoderTests
{
    private static readonly FieldSchema Schema = FieldSchema.Create(["process.name", "process.parent.name", "process.args", "host.ip", "user.id", "event.code", "dns.answers.data"]);

    [Test]
    public void NestedAndDottedKeysReachSameField()
    {
        Assert.That(Strings("""{"process":{"name":"a"}}""", "process.name"), Is.EqualTo(new[] { "a" }));
        Assert.That(Strings("""{"process.name":"a"}""", "process.name"), Is.EqualTo(new[] { "a" }));
        Assert.That(Strings("""{"process":{"parent.name":"p"}}""", "process.parent.name"), Is.EqualTo(new[] { "p" }));
        Assert.That(Strings("""{"process.parent":{"name":"p"}}""", "process.parent.name"), Is.EqualTo(new[] { "p" }));
    }

    [Test]
    public void ArraysBecomeSeveralValues()
    {
        Assert.That(Strings("""{"process":{"args":["a","b","c"]}}""", "process.args"), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(Strings("""{"host":{"ip":[["10.0.0.1"],"::1"]}}""", "host.ip"), Is.EqualTo(new[] { "10.0.0.1", "::1" }));
    }

    [Test]
    public void ObjectsInsideArraysContributeTheirFields()
    {
        Assert.That(Strings("""{"dns":{"answers":[{"data":"1.2.3.4"},{"data":"5.6.7.8","ttl":3}]}}""", "dns.answers.data"), Is.EqualTo(new[] { "1.2.3.4", "5.6.7.8" }));
    }

    [Test]
    public void EscapesAreDecoded()
    {
        Assert.That(Strings("""{"process":{"name":"C:\\Windows\\cmd.exe \"x\" \u00e9\ud83d\ude00"}}""", "process.name"),
            Is.EqualTo(new[] { "C:\\Windows\\cmd.exe \"x\" é😀" }));
        Assert.That(Strings("""{"process":{"n\u0061me":"escaped key"}}""", "process.name"), Is.EqualTo(new[] { "escaped key" }));
    }

    [Test]
    public void NumbersAndBooleansKeepTheirText()
    {
        var record = Decode("""{"user":{"id":1001},"event":{"code":4.5e1},"process":{"name":true}}""");

        Assert.That(Values(record, "user.id").Single().Kind, Is.EqualTo(FieldValueKind.Integer));
        Assert.That(Values(record, "user.id").Single().Integer, Is.EqualTo(1001));
        Assert.That(Values(record, "event.code").Single().Number, Is.EqualTo(45.0));
        Assert.That(Strings(record, "event.code"), Is.EqualTo(new[] { "4.5e1" }));
        Assert.That(Strings(record, "process.name"), Is.EqualTo(new[] { "true" }));
    }

    [Test]
    public void NullIsMissing()
    {
        var record = Decode("""{"process":{"name":null,"args":[null,"x"]}}""");

        Assert.That(record.HasValue(Schema.Slot("process.name")), Is.False);
        Assert.That(Strings(record, "process.args"), Is.EqualTo(new[] { "x" }));
    }

    [Test]
    public void UnrelatedSubtreesAreSkipped()
    {
        var record = Decode("""{"agent":{"name":{"deep":[1,2,{"x":"y"}]}},"process":{"name":"a"},"processes":{"name":"b"}}""");

        Assert.That(Strings(record, "process.name"), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void RecordIsClearedBetweenEvents()
    {
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        decoder.Decode(Encoding.UTF8.GetBytes("""{"process":{"name":"first"}}"""), record);
        decoder.Decode(Encoding.UTF8.GetBytes("""{"user":{"id":"u"}}"""), record);

        Assert.That(record.HasValue(Schema.Slot("process.name")), Is.False);
        Assert.That(Strings(record, "user.id"), Is.EqualTo(new[] { "u" }));
    }

    [TestCase("{\"process\":", "invalid JSON")]
    [TestCase("{\"a\":1} {\"b\":2}", "invalid JSON")]
    [TestCase("[1,2]", "the line is not a JSON object")]
    [TestCase("\"text\"", "the line is not a JSON object")]
    [TestCase("", "empty line")]
    [TestCase("   ", "empty line")]
    [TestCase("{\"n\":1e999}", "invalid JSON")]
    public void InvalidLinesAreRejectedWithReason(string line, string reason)
    {
        var decoder = new EventDecoder(FieldSchema.Create(["n"]));

        string? error = decoder.Decode(Encoding.UTF8.GetBytes(line), new EventRecord(FieldSchema.Create(["n"])));

        Assert.That(error, Does.StartWith(reason));
    }

    [TestCase("""{"process":{"name":"C:\\evil\udc00.exe"}}""")]
    [TestCase("""{"process":{"na\ud800me":"x"}}""")]
    [TestCase("""{"process":{"\ud800":"x"}}""")]
    public void LoneSurrogateEscapeIsRejected(string line)
    {
        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(line), new EventRecord(Schema));

        Assert.That(error, Does.StartWith("invalid JSON"));
    }

    [Test]
    public void InvalidUtf8IsRejected()
    {
        byte[] line = [.. "{\"process\":{\"name\":\""u8, 0xC3, 0x28, .. "\"}}"u8];

        string? error = new EventDecoder(Schema).Decode(line, new EventRecord(Schema));

        Assert.That(error, Is.EqualTo("invalid UTF-8"));
    }

    [Test]
    public void InvalidUtf8InSkippedFieldIsRejected()
    {
        byte[] line = [.. "{\"agent\":{\"name\":\""u8, 0xFF, .. "\"}}"u8];

        string? error = new EventDecoder(Schema).Decode(line, new EventRecord(Schema));

        Assert.That(error, Is.EqualTo("invalid UTF-8"));
    }

    [Test]
    public void NestingDeeperThanLimitIsRejected()
    {
        string line = "{\"a\":" + string.Concat(Enumerable.Repeat("[", EventDecoder.MaxDepth + 1)) + string.Concat(Enumerable.Repeat("]", EventDecoder.MaxDepth + 1)) + "}";

        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(line), new EventRecord(Schema));

        Assert.That(error, Does.StartWith("invalid JSON"));
    }

    private static EventRecord Decode(string json)
    {
        var record = new EventRecord(Schema);
        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(json), record);
        Assert.That(error, Is.Null);
        return record;
    }

    private static string[] Strings(string json, string field) => Strings(Decode(json), field);

    private static string[] Strings(EventRecord record, string field)
    {
        var result = new List<string>();
        foreach (var value in record.Values(Schema.Slot(field)))
        {
            result.Add(record.Text(value).ToString());
        }

        return [.. result];
    }

    private static List<FieldValue> Values(EventRecord record, string field)
    {
        var result = new List<FieldValue>();
        foreach (var value in record.Values(Schema.Slot(field)))
        {
            result.Add(value);
        }

        return result;
    }
}
