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

    /// <summary>Short unescaped ASCII strings take a fast path. Its edges must decode as the reader does.</summary>
    [TestCase("a")]
    [TestCase("")]
    [TestCase("é")]
    [TestCase("abcé")]
    [TestCase("abcédef")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [TestCase("tab\\there")]
    [TestCase("\\u0041BC")]
    [TestCase("😀x")]
    [TestCase("")]
    public void StringEdgesDecodeAsTheReaderDoes(string inner)
    {
        string line = "{\"process\":{\"name\":\"" + inner + "\",\"n" + inner + "\":1}}";
        string expected = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("process").GetProperty("name").GetString()!;

        Assert.That(Strings(line, "process.name"), Is.EqualTo(new[] { expected }));

        // A key takes the same path: a dotted key spelled with the string reaches its field.
        string key = "{\"process." + inner + "\":\"k\"}";
        var schema = FieldSchema.Create(["process." + System.Text.Json.JsonDocument.Parse("\"" + inner + "\"").RootElement.GetString()]);
        var record = new EventRecord(schema);
        Assert.That(new EventDecoder(schema).Decode(Encoding.UTF8.GetBytes(key), record), Is.Null);
        Assert.That(record.HasValue(1), Is.True, "the key's field is filled");
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

    [Test]
    public void InvalidJsonGivesOffsetInEvent()
    {
        var decoder = new EventDecoder(FieldSchema.Create(["n"]));

        string? error = decoder.Decode("{\"b\" 2}"u8.ToArray(), new EventRecord(FieldSchema.Create(["n"])));
        string? pretty = decoder.Decode("{\n  \"b\" 2}"u8.ToArray(), new EventRecord(FieldSchema.Create(["n"])));

        Assert.That(error, Is.EqualTo("invalid JSON: '2' is invalid after a property name. Expected a ':'. (at offset 5 in the line)"));
        Assert.That(pretty, Does.EndWith("(at line 2 of the event, offset 6 in that line)"));
    }

    [TestCase("{\"process\":", "invalid JSON")]
    [TestCase("{\"a\":1} {\"b\":2}", "invalid JSON")]
    [TestCase("[1,2]", "the line is not a JSON object")]
    [TestCase("\"text\"", "the line is not a JSON object")]
    [TestCase("", "empty line")]
    [TestCase("   ", "empty line")]
    public void InvalidLinesAreRejectedWithReason(string line, string reason)
    {
        var decoder = new EventDecoder(FieldSchema.Create(["n"]));

        string? error = decoder.Decode(Encoding.UTF8.GetBytes(line), new EventRecord(FieldSchema.Create(["n"])));

        Assert.That(error, Does.StartWith(reason));
    }

    [TestCase("""{"a":1,"a":1}""", "\"a\"")]
    [TestCase("""{"":1,"":1}""", "\"\"")]
    [TestCase("""{"agent":{"a.long.dotted.key":1,"a.long.other.key":1,"a.long.dotted.key":1}}""", "\"agent.a.long.dotted.key\"")]
    [TestCase("""{"process":{"name":"a","name":"b"}}""", "\"process.name\"")]
    [TestCase("""{"process.name":"a","process.name":"b"}""", "\"process.name\"")]
    [TestCase("""{"agent":{"id":"a","type":"b","id":"a"}}""", "\"agent.id\"")]
    [TestCase("""{"agent":{"x":[{"y":1},{"z":{"k":1,"k":null}}]}}""", "\"agent.x.z.k\"")]
    [TestCase("""{"agent":{"id":1,"\u0069d":2}}""", "\"agent.id\"")]
    [TestCase("""{"agent":{"\u0069d":1,"\u0069d":2}}""", "\"agent.id\"")]
    [TestCase("""{"process":{"parent":{"name":"p"},"parent":{"pid":1}}}""", "\"process.parent\"")]
    [TestCase("""{"agent":{"a\"b":1,"a\"b":2}}""", "\"agent.a\\\"b\"")]
    public void DuplicateKeyIsRejectedWithPath(string line, string path)
    {
        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(line), new EventRecord(Schema));

        Assert.That(error, Is.EqualTo($"duplicate key: {path} occurs twice in one object"));
    }

    [Test]
    public void DuplicateOfEveryEarlierKeyIsFound()
    {
        // Objects of up to 32 keys filter keys by a bit per fingerprint before searching, and a key must be found
        // whichever bit its fingerprint takes and however many keys came before it.
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        for (int keyCount = 1; keyCount <= 32; keyCount++)
        {
            var keys = Enumerable.Range(0, keyCount).Select(i => $"\"key{i * 7919}\":{i}").ToList();
            Assert.That(decoder.Decode(Encoding.UTF8.GetBytes("{\"agent\":{" + string.Join(",", keys) + "}}"), record), Is.Null, $"{keyCount} keys");
            for (int repeated = 0; repeated < keyCount; repeated++)
            {
                string json = "{\"agent\":{" + string.Join(",", keys) + $",\"key{repeated * 7919}\":0}}}}";
                Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(json), record), Is.EqualTo($"duplicate key: \"agent.key{repeated * 7919}\" occurs twice in one object"), json);
            }
        }
    }

    [Test]
    public void DottedKeySplitsAtEveryPosition()
    {
        // The path lookup finds the dots of a key eight bytes at a time, so a dot is tried at every byte of keys up to 20 bytes.
        const string Letters = "abcdefghijklmnopqrst";
        for (int length = 2; length <= Letters.Length; length++)
        {
            for (int dot = 1; dot < length; dot++)
            {
                string head = Letters[..dot];
                string tail = Letters[dot..length];
                string field = head + "." + tail;
                var schema = FieldSchema.Create([field]);
                Assert.That(StringsOf(schema, $"{{\"{field}\":\"dotted\"}}", field), Is.EqualTo(new[] { "dotted" }), field);
                Assert.That(StringsOf(schema, $"{{\"{head}\":{{\"{tail}\":\"nested\"}}}}", field), Is.EqualTo(new[] { "nested" }), field);
                Assert.That(StringsOf(schema, $"{{\"{head}{tail}\":\"joined\"}}", field), Is.Empty, field);
                Assert.That(StringsOf(schema, $"{{\"{head}.\":{{\"{tail}\":\"empty key between\"}}}}", field), Is.Empty, field);
            }
        }
    }

    [TestCase(10)]
    [TestCase(64)]
    [TestCase(65)]
    [TestCase(300)]
    public void LongEscapedKeysReachTheirField(int padding)
    {
        // Escaped keys are unescaped into a buffer that grows with the longest one, at the top level and below it.
        string field = "process.name" + new string('x', padding);
        var schema = FieldSchema.Create([field, "user.comment"]);
        string escapedField = string.Concat(field.Select(character => $"\\u{(int)character:x4}"));
        string escapedLast = string.Concat(("name" + new string('x', padding)).Select(character => $"\\u{(int)character:x4}"));
        string dotted = $"{{\"{escapedField}\":\"top\",\"user\":{{\"comment\":\"c\"}}}}";
        string nested = $"{{\"process\":{{\"{escapedLast}\":\"nested\"}},\"user\":{{\"comment\":\"c\"}}}}";
        string other = """{"\u0075\u0073\u0065\u0072\u002e\u0063\u006f\u006d\u006d\u0065\u006e\u0074":"x"}""";

        Assert.That(StringsOf(schema, dotted, field), Is.EqualTo(new[] { "top" }));
        Assert.That(StringsOf(schema, nested, field), Is.EqualTo(new[] { "nested" }));
        Assert.That(StringsOf(schema, other, field), Is.Empty);
        Assert.That(StringsOf(schema, other, "user.comment"), Is.EqualTo(new[] { "x" }));
    }

    [Test]
    public void EmptyKeysAreDotSeparatedSegments()
    {
        var schema = FieldSchema.Create(["a..b", ".c"]);
        Assert.That(StringsOf(schema, """{"a":{"":{"b":"nested"}}}""", "a..b"), Is.EqualTo(new[] { "nested" }));
        Assert.That(StringsOf(schema, """{"a.":{"b":"dotted"}}""", "a..b"), Is.EqualTo(new[] { "dotted" }));
        Assert.That(StringsOf(schema, """{"a":{"b":"one dot"}}""", "a..b"), Is.Empty);
        Assert.That(StringsOf(schema, """{"":{"c":"root"}}""", ".c"), Is.EqualTo(new[] { "root" }));
    }

    [TestCase(10)]
    [TestCase(33)]
    [TestCase(1000)]
    public void WideObjectDuplicateKeyRejected(int keyCount)
    {
        // Objects with more than 32 keys are searched through a hash table instead of linearly.
        var keys = Enumerable.Range(0, keyCount).Select(i => $"\"k{i}\":{i}").ToList();
        string unique = "{\"agent\":{" + string.Join(",", keys) + "},\"process\":{\"name\":\"x\"}}";
        string duplicated = "{\"agent\":{" + string.Join(",", keys) + ",\"k" + (keyCount / 2) + "\":0}}";
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);

        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(unique), record), Is.Null);
        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(duplicated), record), Is.EqualTo($"duplicate key: \"agent.k{keyCount / 2}\" occurs twice in one object"));
        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(unique), record), Is.Null, "the keys of the rejected event are forgotten");
        Assert.That(Strings(record, "process.name"), Is.EqualTo(new[] { "x" }));
    }

    [TestCase("""{"a.b":1,"a":{"b":2}}""")]
    [TestCase("""{"a":[{"b":1},{"b":2}]}""")]
    [TestCase("""{"a":{"b":1},"c":{"b":1},"b":1}""")]
    [TestCase("""{"a":1,"A":1}""")]
    [TestCase("""{"a":{"k":1},"a.k":2}""")]
    [TestCase("""{"process.parent.args":1,"process.parent.name":2,"process.other..name":3}""")]
    [TestCase("""{"abcdefgh":1,"hgfedcba":2,"abcdefghabcdefgh":3,"":4}""")]
    public void KeysInDifferentObjectsAreAccepted(string line)
    {
        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(line), new EventRecord(Schema));

        Assert.That(error, Is.Null);
    }

    [Test]
    public void SiblingWideObjectsShareNoKeys()
    {
        // Each object starts with an empty hash table, so a sibling with the same keys is valid.
        string wide = "{" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"k{i}\":{i}")) + "}";
        string line = "{\"a\":" + wide + ",\"b\":[" + wide + "," + wide + "],\"c\":{\"d\":" + wide + "}}";

        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(line), new EventRecord(Schema));

        Assert.That(error, Is.Null);
    }

    [Test]
    public void RandomObjectsAgreeWithKeySets()
    {
        // Narrow and wide objects, with some keys written with escapes, cover linear search, hash tables
        // and their growth. The expected verdict comes from a HashSet per object.
        var random = new Random(4242);
        var decoder = new EventDecoder(Schema);
        var record = new EventRecord(Schema);
        int rejected = 0;
        for (int round = 0; round < 400; round++)
        {
            var json = new StringBuilder();
            bool duplicate = WriteRandomObject(json, random, 0);
            string? error = decoder.Decode(Encoding.UTF8.GetBytes(json.ToString()), record);

            Assert.That(error is not null, Is.EqualTo(duplicate), json.ToString());
            if (duplicate)
            {
                Assert.That(error, Does.StartWith("duplicate key: \""));
                rejected++;
            }
        }

        Assert.That(rejected, Is.InRange(50, 350), "both verdicts are exercised");
    }

    /// <summary>Writes a random object and returns whether some object in it has a key twice.</summary>
    private static bool WriteRandomObject(StringBuilder json, Random random, int depth)
    {
        // A narrow object draws from few keys, so it often repeats one. A wide object has distinct keys,
        // except that one of its later keys may repeat an earlier one.
        bool wide = random.Next(3) == 0;
        int keyCount = wide ? random.Next(30, 150) : random.Next(0, 8);
        int repeatAt = wide && random.Next(2) == 0 ? random.Next(33, keyCount + 3) : -1;
        var keys = new HashSet<string>();
        bool duplicate = false;
        json.Append('{');
        for (int i = 0; i < keyCount; i++)
        {
            string key = !wide ? "k" + random.Next(keyCount * 6 + 1) : "k" + (i == repeatAt ? random.Next(i) : i);
            duplicate |= !keys.Add(key);
            json.Append(i > 0 ? "," : "").Append('"');
            json.Append(random.Next(3) == 0 ? "\\u006b" + key[1..] : key).Append("\":");
            if (depth < 3 && random.Next(5) == 0)
            {
                duplicate |= WriteRandomObject(json, random, depth + 1);
            }
            else
            {
                json.Append(i);
            }
        }

        json.Append('}');
        return duplicate;
    }

    [Test]
    public void DottedAndNestedSpellingsKeepBothValues()
    {
        Assert.That(Strings("""{"process.name":"a","process":{"name":"b"}}""", "process.name"), Is.EqualTo(new[] { "a", "b" }));
    }

    [TestCase("""{"agent":{"pid":9223372036854775808}}""", "\"agent.pid\" is 9223372036854775808, beyond the range of a long")]
    [TestCase("""{"agent":{"pid":-9223372036854775809}}""", "\"agent.pid\" is -9223372036854775809, beyond the range of a long")]
    [TestCase("""{"user":{"id":18446744073709551616}}""", "\"user.id\" is 18446744073709551616, beyond the range of a long")]
    [TestCase("""{"agent":{"x":[1,[2,1e39]]}}""", "\"agent.x\" is 1e39, beyond the range of a float")]
    [TestCase("""{"agent":[{"a":1},{"b":-4E38}]}""", "\"agent.b\" is -4E38, beyond the range of a float")]
    [TestCase("""{"a":1e999}""", "\"a\" is 1e999, beyond the range of a float")]
    [TestCase("""{"event":{"code":1e999}}""", "\"event.code\" is 1e999, beyond the range of a float")]
    [TestCase("""{"event":{"code":[1.5,3.5e38]}}""", "\"event.code\" is 3.5e38, beyond the range of a float")]
    [TestCase("""{"process":{"pid":1e400}}""", "\"process.pid\" is 1e400, beyond the range of a float")]
    [TestCase("""{"process":12345678901234567890123}""", "\"process\" is 12345678901234567890123, beyond the range of a long")]
    public void OutOfRangeNumberRejectedAnywhere(string line, string detail)
    {
        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes(line), new EventRecord(Schema));

        Assert.That(error, Is.EqualTo("number out of range: " + detail));
    }

    [Test]
    public void LongOutOfRangeNumberIsShortened()
    {
        string digits = new('9', 500);

        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes("{\"a\":" + digits + "}"), new EventRecord(Schema));

        Assert.That(error, Is.EqualTo($"number out of range: \"a\" is {digits[..100]}... (500 characters), beyond the range of a long"));
    }

    [TestCase("9223372036854775807")]
    [TestCase("-9223372036854775808")]
    [TestCase("3.4028235e38")]
    [TestCase("-3.4028235E+38")]
    [TestCase("1e-400")]
    [TestCase("123456789012345678901234567890.5")]
    [TestCase("0.000000000000000000000000000000000000000000001")]
    public void NumbersWithinRangeAreAccepted(string number)
    {
        var record = new EventRecord(Schema);

        string? error = new EventDecoder(Schema).Decode(Encoding.UTF8.GetBytes("{\"agent\":{\"n\":" + number + "},\"event\":{\"code\":" + number + "}}"), record);

        Assert.That(error, Is.Null);
        Assert.That(Strings(record, "event.code"), Is.EqualTo(new[] { number }));
    }

    [Test]
    public void LongLimitsKeepIntegerKind()
    {
        var record = Decode("""{"user":{"id":[9223372036854775807,-9223372036854775808]}}""");

        Assert.That(Values(record, "user.id").Select(value => value.Kind), Is.All.EqualTo(FieldValueKind.Integer));
        Assert.That(Values(record, "user.id").Select(value => value.Integer), Is.EqualTo(new[] { long.MaxValue, long.MinValue }));
    }

    [TestCase("""{"process":{"name":"C:\\evil\udc00.exe"}}""")]
    [TestCase("""{"process":{"na\ud800me":"x"}}""")]
    [TestCase("""{"process":{"\ud800":"x"}}""")]
    [TestCase("""{"agent":{"\ud800":"x"}}""")]
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

    private static string[] StringsOf(FieldSchema schema, string json, string field)
    {
        var record = new EventRecord(schema);
        Assert.That(new EventDecoder(schema).Decode(Encoding.UTF8.GetBytes(json), record), Is.Null, json);
        var result = new List<string>();
        foreach (var value in record.Values(schema.Slot(field)))
        {
            result.Add(record.Text(value).ToString());
        }

        return [.. result];
    }

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
