using System.Text;
using Compiled.Runtime.Events;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// The checking decoder scans plain valid events itself and hands anything else to its reader path. Over
/// valid events, malformed ones and corpus events with bytes changed, the decoder must give the verdict, the
/// message and the values that the reader path alone gives.
/// </summary>
public class ScannedEventDecodingTests
{
    private static readonly string[] EdgeCases =
    [
        // Numbers: the grammar, and the ranges of long and float.
        """{"n":0}""", """{"n":-0}""", """{"n":01}""", """{"n":-}""", """{"n":1.}""", """{"n":.5}""", """{"n":1e}""", """{"n":1e+}""",
        """{"n":1E-2}""", """{"n":-1.5e+300}""", """{"n":1e39}""", """{"n":3.4e38}""", """{"n":9223372036854775807}""",
        """{"n":9223372036854775808}""", """{"n":-9223372036854775808}""", """{"n":-9223372036854775809}""",
        """{"n":123456789012345678}""", """{"n":1234567890123456789}""", """{"n":+1}""", """{"n":1x}""", """{"n":1 2}""",
        """{"n":[1,2.5,-3e2]}""", """{"skip":{"n":99999999999999999999}}""", """{"skip":{"n":1e400}}""", """{"n":NaN}""", """{"n":Infinity}""",
        // Literals.
        """{"t":true,"f":false,"z":null}""", """{"t":tru}""", """{"t":truex}""", """{"z":nul}""", """{"f":False}""", """{"t":true""",
        // Strings and escapes.
        """{"d":"\/\b\f\n\r\t\"\\"}""", """{"d":"\u00e9\u20ac\ud83d\ude00"}""", """{"d":"\ud800"}""", """{"d":"\udc00x"}""", """{"skip":"\ud800"}""",
        """{"d":"\x"}""", """{"d":"\u12"}""", """{"d":"\u12g4"}""", "{\"d\":\"tab\there\"}", "{\"d\":\"nul\u0000\"}", """{"d":"unterminated}""",
        """{"d":"é ü 日本"}""", """{"d":"0123456789abcdef0123456789abcdef0123456789"}""", """{"d":"0123456789abcdef\\"}""",
        // Keys.
        """{"":1}""", """{"a":1,"a":2}""", """{"s":{"k":1,"k":2}}""", """{"a":1,"\u0061":2}""", """{"proc\u0065ss":{"name":"e"}}""", """{a:1}""",
        """{"a" 1}""", """{"a"::1}""", """{"process":{"name":"x"},"process":{"pid":1}}""", """{"process":{"name":"a","name":"b"}}""",
        """{"process.name":"a","process":{"name":"b"}}""", """{"process.name":"a","process.name":"b"}""", """{"process":{"x":1,"name":"a","x":2}}""",
        """{"user":[{"id":"a"},{"id":"b"}]}""", """{"user":[{"id":"a","id":"b"}]}""", """{"process":{"pid":1},"a":[{"process":{"pid":2}}]}""",
        // Structure.
        """{}""", """{ }""", """{"a":1,}""", """{"a":[1,]}""", """{"a":[,1]}""", """{,"a":1}""", """{"a":1}}""", """{"a":1} {"b":2}""",
        """{"a":1} x""", """{"a":1}  """, """  {"a":1}""", """[{"a":1}]""", """ "s" """, """1""", """{"a":1""", """{"a":[1""", """{"a":{""",
        "{\"a\":1}\r", "\t{\"a\"\n:\r1 }\n", "{\"a\":\f1}", "{\"a\":\v1}", "\uFEFF{\"a\":1}", """{"a":1}/*c*/""", """{"a":/*c*/1}""",
        """{"a":[[[[]]]],"b":[{},{"c":[]}]}""",
    ];

    [Test]
    public void EdgeCasesMatchReader()
    {
        var events = EdgeCases.Concat(CheckedEventDecodingTests.Tricky).Select(Encoding.UTF8.GetBytes).ToList();
        events.Add(Deep(EventDecoder.MaxDepth - 3));
        events.Add(Deep(EventDecoder.MaxDepth - 1));
        events.Add(Deep(EventDecoder.MaxDepth));
        events.Add(Deep(EventDecoder.MaxDepth + 1));
        events.Add([(byte)'{', (byte)'"', (byte)'d', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}']);

        var schema = FieldSchema.Create(["n", "t", "f", "z", "d", "a", "process.name", "process.pid", "user.id", "labels.x", "A", "e"]);
        schema.PatternSlot(new FieldPattern(["labels.", ""], []));
        var result = Compare(schema, events, schema.NestedScope("user"));

        // Both verdicts occur, and the scanner decodes the plain valid events itself.
        Assert.That(result.Accepted, Is.GreaterThan(30));
        Assert.That(result.Rejected, Is.GreaterThan(40));
        Assert.That(result.Scanned, Is.GreaterThan(25));
    }

    [Test]
    public void CorpusEventsMatchReader()
    {
        var lines = CorpusLines();
        foreach (var schema in new[] { CorpusRules.Compilation.CreateRuleSet().Schema, CorpusRules.KqlQueryCompilation.CreateRuleSet().Schema })
        {
            var result = Compare(schema, lines);
            Assert.That(result.Accepted, Is.GreaterThan(2000));

            // Most corpus events are plain, so besides the rejected ones the reader path decodes only a few.
            Assert.That(result.Scanned, Is.GreaterThan(result.Accepted * 9 / 10));
        }
    }

    /// <summary>
    /// Changes corpus events one byte at a time (deleted, replaced or inserted, with bytes that matter to JSON) at
    /// random places, which makes most of them malformed in a different way each, and compares each result.
    /// </summary>
    [Test]
    public void ChangedCorpusEventsMatchReader()
    {
        byte[] interesting = "{}[]\",:\\/ \t\r\n0123456789-+.eEtrufalsn\u0001\u001f"u8.ToArray();
        var random = new Random(20261205);
        var lines = CorpusLines();
        var changed = new List<byte[]>();
        for (int i = 0; i < 40_000; i++)
        {
            var line = lines[random.Next(lines.Count)];
            int at = random.Next(line.Length);
            byte value = random.Next(8) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            changed.Add(random.Next(3) switch
            {
                0 => [.. line[..at], .. line[(at + 1)..]],
                1 => [.. line[..at], value, .. line[(at + 1)..]],
                _ => [.. line[..at], value, .. line[at..]],
            });
        }

        var result = Compare(CorpusRules.Compilation.CreateRuleSet().Schema, changed);
        Assert.That(result.Rejected, Is.GreaterThan(10_000));
        Assert.That(result.Accepted, Is.GreaterThan(5_000));
    }

    /// <summary>Numbers of every form and length, near the limits of long and float too, in a field that is read and one that is not.</summary>
    [Test]
    public void RandomNumbersMatchReader()
    {
        var random = new Random(7);
        var events = new List<byte[]>();
        for (int i = 0; i < 20_000; i++)
        {
            var number = new StringBuilder();
            if (random.Next(3) == 0)
            {
                number.Append('-');
            }

            number.Append(Digits(random, random.Next(1, 24)));
            if (random.Next(3) == 0)
            {
                number.Append('.').Append(Digits(random, random.Next(1, 20)));
            }

            if (random.Next(4) == 0)
            {
                number.Append(random.Next(2) == 0 ? 'e' : 'E').Append(random.Next(3) switch { 0 => "+", 1 => "-", _ => "" });
                number.Append(Digits(random, random.Next(1, 4)));
            }

            events.Add(Encoding.UTF8.GetBytes($$"""{"n":{{number}},"skip":[{{number}}]}"""));
        }

        var result = Compare(FieldSchema.Create(["n"]), events);
        Assert.That(result.Accepted, Is.GreaterThan(5_000));
        Assert.That(result.Rejected, Is.GreaterThan(1_000));
        Assert.That(result.Scanned, Is.GreaterThan(5_000));
    }

    /// <summary>
    /// Strings of quotes, backslashes, escapes and control characters at every offset up to three 16-byte chunks, so
    /// escapes start and end on each side of a chunk's edge, in a field that is read and one that is not.
    /// </summary>
    [Test]
    public void EscapesAtEveryOffsetMatchReader()
    {
        string[] pieces = [@"\\", @"\""", @"\/", @"\n", @"\u00e9", @"\ud83d\ude00", @"\ud800", @"\u12", @"\x", @"\", "\"", "\t", "é", "日"];
        var random = new Random(11);
        var events = new List<byte[]>();
        for (int offset = 0; offset < 48; offset++)
        {
            foreach (string piece in pieces)
            {
                string text = new string('a', offset) + piece + new string('b', random.Next(0, 20));
                events.Add(Encoding.UTF8.GetBytes($$"""{"d":"{{text}}","skip":"{{text}}"}"""));
                events.Add(Encoding.UTF8.GetBytes($$"""{"skip":"{{text}}","d":"{{text}}{{piece}}{{text}}"}"""));
            }
        }

        for (int i = 0; i < 5_000; i++)
        {
            var text = new StringBuilder();
            int count = random.Next(1, 30);
            for (int j = 0; j < count; j++)
            {
                text.Append(random.Next(3) == 0 ? pieces[random.Next(pieces.Length)] : new string('c', random.Next(1, 18)));
            }

            events.Add(Encoding.UTF8.GetBytes($$"""{"d":"{{text}}","skip":"{{text}}"}"""));
        }

        var result = Compare(FieldSchema.Create(["d"]), events);
        Assert.That(result.Accepted, Is.GreaterThan(500));
        Assert.That(result.Rejected, Is.GreaterThan(500));
        Assert.That(result.Scanned, Is.GreaterThan(500));
    }

    private static string Digits(Random random, int count)
    {
        var digits = new char[count];
        for (int i = 0; i < count; i++)
        {
            digits[i] = (char)('0' + random.Next(10));
        }

        return new string(digits);
    }

    internal static List<byte[]> CorpusLines()
    {
        var lines = Directory.EnumerateFiles(Paths.CorpusEvents, "*.ndjson", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines)
            .Select(Encoding.UTF8.GetBytes)
            .ToList();
        Assert.That(lines, Has.Count.GreaterThan(2000));
        return lines;
    }

    private static byte[] Deep(int depth) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{\"n\":1}" + new string('}', depth - 1));

    private readonly record struct Comparison(int Accepted, int Rejected, long Scanned);

    /// <summary>Decodes each event with the scanner on and with the reader path alone, and compares verdicts, messages and every slot.</summary>
    private static Comparison Compare(FieldSchema schema, IEnumerable<byte[]> events, int nestedScope = -1)
    {
        var scanning = new EventDecoder(schema);
        var reading = new EventDecoder(schema) { ReaderOnly = true };
        var actual = new EventRecord(schema);
        var expected = new EventRecord(schema);
        int accepted = 0, rejected = 0;
        foreach (var json in events)
        {
            string text = Encoding.UTF8.GetString(json);
            string? verdict = reading.Decode(json, expected);
            Assert.That(scanning.Decode(json, actual), Is.EqualTo(verdict), text);
            if (verdict is not null)
            {
                rejected++;
                continue;
            }

            accepted++;
            for (int slot = 0; slot < schema.SlotCount; slot++)
            {
                Assert.That(CheckedEventDecodingTests.Describe(actual, slot), Is.EqualTo(CheckedEventDecodingTests.Describe(expected, slot)), $"slot {slot} of {text}");
            }

            if (nestedScope >= 0)
            {
                Assert.That(CheckedEventDecodingTests.Elements(actual, nestedScope, schema), Is.EqualTo(CheckedEventDecodingTests.Elements(expected, nestedScope, schema)), text);
            }
        }

        return new Comparison(accepted, rejected, accepted + rejected - scanning.ReaderDecodes);
    }
}
