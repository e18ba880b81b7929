using System.Text;
using Compiled.Runtime.Events;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// The host decodes each event twice: a checking decoder reads every token, and the decoder for the rules
/// then takes the bytes as valid and passes over top-level members without a schema field by matching
/// brackets. Both must fill the same values.
/// </summary>
public class CheckedEventDecodingTests
{
    internal static readonly string[] Tricky =
    [
        """{"a":1,"process":{"name":"x"},"b":true,"c":null,"d":"s","e":-1.5e3}""",
        """ { "skip" : { "k" : "}]{[\"\\" , "n" : [ 1 , { "x" : [ ] } ] } , "process" : { "name" : "y" } } """,
        """{"big":[["[",{"]":"}"}],"\\\""],"process.name":"dotted","process.pid":123456789012}""",
        """{"proc\u0065ss":{"n\u0061me":"escaped"},"\u0041":1,"user.id":"\ud83d\ude00"}""",
        """{"process":{"args":["a","b"],"parent":{"name":"p"}},"event.code":4624,"host":{"ip":["10.0.0.1","::1"]}}""",
        """{"labels":{"x":"1","y":{"z":"2"}},"tags":["t1","t2"],"n":12.0,"f":false,"t":true}""",
        "{\n\t\"process\"\r\n:\n{\"name\":\"ws\"}\n}",
        """{"user":[{"first":"a","last":"b"},{"first":"c","last":"d"}],"long":"0123456789012345678901234567890123456789\"quoted\"\\"}""",
        """{}""",
    ];

    [Test]
    public void HandWrittenEventsDecodeAlike()
    {
        var schema = FieldSchema.Create(["process.name", "process.pid", "process.args", "process.parent.name", "user.id", "event.code", "host.ip", "labels.x", "tags", "n", "f", "t", "a", "d", "e", "A"]);
        schema.PatternSlot(new FieldPattern(["labels.", ""], []));
        int users = schema.NestedScope("user");
        int compared = CompareAll(schema, Tricky.Select(Encoding.UTF8.GetBytes), users);
        Assert.That(compared, Is.EqualTo(Tricky.Length));
    }

    [Test]
    public void PatternsAtTheRootDecodeAlike()
    {
        var schema = FieldSchema.Create(["process.name"]);
        schema.PatternSlot(new FieldPattern(["", ".name"], []));
        Assert.That(CompareAll(schema, Tricky.Select(Encoding.UTF8.GetBytes)), Is.EqualTo(Tricky.Length));
    }

    [Test]
    public void CorpusEventsDecodeAlikeForTheCorpusRules()
    {
        var lines = ScannedEventDecodingTests.CorpusLines();

        // The EQL corpus rules read hundreds of fields, and the KQL ones add field patterns and nested paths.
        foreach (var schema in new[] { CorpusRules.Compilation.CreateRuleSet().Schema, CorpusRules.KqlQueryCompilation.CreateRuleSet().Schema })
        {
            Assert.That(CompareAll(schema, lines), Is.GreaterThan(2000));
        }
    }

    /// <summary>Decodes each event both ways, compares every slot, and returns how many events the checking decoder accepted.</summary>
    private static int CompareAll(FieldSchema schema, IEnumerable<byte[]> events, int nestedScope = -1)
    {
        var checking = new EventDecoder(schema);
        var trusting = new EventDecoder(schema, checkWholeEvent: false);
        var expected = new EventRecord(schema);
        var actual = new EventRecord(schema);
        int accepted = 0;
        foreach (var json in events)
        {
            if (checking.Decode(json, expected) is not null)
            {
                continue;
            }

            accepted++;
            string text = Encoding.UTF8.GetString(json);
            Assert.That(trusting.Decode(json, actual), Is.Null, text);
            for (int slot = 0; slot < schema.SlotCount; slot++)
            {
                Assert.That(Describe(actual, slot), Is.EqualTo(Describe(expected, slot)), $"slot {slot} of {text}");
            }

            if (nestedScope >= 0)
            {
                Assert.That(Elements(actual, nestedScope, schema), Is.EqualTo(Elements(expected, nestedScope, schema)), text);
            }
        }

        return accepted;
    }

    /// <summary>Describes the values of every slot inside each element of a nested scope.</summary>
    internal static List<string> Elements(EventRecord record, int scope, FieldSchema schema)
    {
        var elements = new List<string>();
        for (int element = record.NextElement(scope, -1); element >= 0; element = record.NextElement(scope, element))
        {
            int previous = record.EnterElement(element);
            for (int slot = 0; slot < schema.SlotCount; slot++)
            {
                elements.Add($"{element} {slot}: {string.Join(", ", Describe(record, slot))}");
            }

            record.ExitElement(previous);
        }

        return elements;
    }

    internal static List<string> Describe(EventRecord record, int slot)
    {
        var values = new List<string>();
        foreach (ref readonly var value in record.Values(slot))
        {
            values.Add($"{value.Kind} {record.Text(value).ToString()} {value.Integer} {value.Number}");
        }

        return values;
    }
}
