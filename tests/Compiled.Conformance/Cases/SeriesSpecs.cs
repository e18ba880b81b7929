using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Compiled.Conformance.Cases;

/// <summary>
/// Turns <c>unit/sequences.series-spec</c>, the specification of Elasticsearch's sequence matcher, into
/// sequence rules over generated events.
/// </summary>
/// <remarks>
/// Each spec in the file is a name line, one line per stage with tokens such as <c>A1</c> or <c>r|W2</c>
/// (letters, then the event's time, with an optional join key before <c>|</c>), a <c>;</c>, the expected
/// sequences one per line and another <c>;</c>. Lines starting with <c>//</c> are comments. A token's line,
/// not its letter, decides its stage. <c>X99</c> tokens only make Elasticsearch read further and never
/// appear in an expected sequence.
/// </remarks>
public static class SeriesSpecs
{
    public const string FileName = "unit/sequences.series-spec";

    /// <summary>The time span reserved for each spec, in milliseconds. Token times must stay below it.</summary>
    private const long SpecSpanMilliseconds = 1000;

    /// <summary>
    /// Loads every spec into one group: spec <c>n</c> gets its own event categories (<c>seriesN_stageK</c>) and
    /// its own time span, so the specs share one event stream without seeing each other's events.
    /// </summary>
    public static CaseGroup LoadGroup(string suiteFolder)
    {
        var specs = Parse(File.ReadAllLines(Path.Combine(suiteFolder, FileName)));
        var events = new List<(long Time, int Order, string Line, string Id)>();
        var cases = new List<ConformanceCase>();
        for (int n = 0; n < specs.Count; n++)
        {
            var spec = specs[n];
            bool keyed = spec.Stages.SelectMany(stage => stage).Any(token => token.Key is not null);
            for (int stage = 0; stage < spec.Stages.Count; stage++)
            {
                foreach (var token in spec.Stages[stage])
                {
                    if (token.Time >= SpecSpanMilliseconds)
                    {
                        throw new InvalidDataException($"The token {token.Id} of spec {spec.Name} is later than {SpecSpanMilliseconds - 1}.");
                    }

                    var document = new JsonObject
                    {
                        ["@timestamp"] = n * SpecSpanMilliseconds + token.Time,
                        ["event"] = new JsonObject { ["category"] = Category(n, stage) },
                        ["token"] = token.Id,
                    };
                    if (token.Key is not null)
                    {
                        document["join_key"] = token.Key;
                    }

                    events.Add((n * SpecSpanMilliseconds + token.Time, events.Count, document.ToJsonString(), token.Id));
                }
            }

            cases.Add(new ConformanceCase(
                FileName + "/" + spec.Name,
                Query(n, spec.Stages.Count, keyed),
                Expectation.Results(spec.Expected.SelectMany(sequence => sequence).Select(token => token.Id).ToList()),
                ConformanceCase.DefaultMaxResults));
        }

        var sorted = events.OrderBy(e => e.Time).ThenBy(e => e.Order).ToList();
        var stream = new EventStream(sorted.Select(e => e.Line).ToList(), sorted.Select(e => e.Id).ToList());
        return new CaseGroup(FileName, stream, cases);
    }

    /// <summary>Reads the spec names without generating events.</summary>
    public static IEnumerable<string> ReadCaseNames(string suiteFolder) =>
        Parse(File.ReadAllLines(Path.Combine(suiteFolder, FileName))).Select(spec => FileName + "/" + spec.Name);

    private static string Category(int spec, int stage) =>
        "series" + spec.ToString(CultureInfo.InvariantCulture) + "_stage" + (stage + 1).ToString(CultureInfo.InvariantCulture);

    private static string Query(int spec, int stageCount, bool keyed)
    {
        var query = new StringBuilder(keyed ? "sequence by join_key\n" : "sequence\n");
        for (int stage = 0; stage < stageCount; stage++)
        {
            query.Append("  [").Append(Category(spec, stage)).Append(" where true]\n");
        }

        return query.ToString();
    }

    private static List<Spec> Parse(IEnumerable<string> lines)
    {
        var specs = new List<Spec>();
        string? name = null;
        var stages = new List<List<Token>>();
        var expected = new List<List<Token>>();
        bool readingExpected = false;
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            if (name is null)
            {
                name = line;
            }
            else if (line == ";")
            {
                if (readingExpected)
                {
                    specs.Add(new Spec(name, stages, expected));
                    name = null;
                    stages = [];
                    expected = [];
                }

                readingExpected = !readingExpected;
            }
            else
            {
                var tokens = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(ParseToken).ToList();
                (readingExpected ? expected : stages).Add(tokens);
            }
        }

        if (name is not null)
        {
            throw new InvalidDataException($"The spec {name} in {FileName} does not end with two ';' lines.");
        }

        return specs;
    }

    private static Token ParseToken(string text)
    {
        int bar = text.IndexOf('|');
        string? key = bar < 0 ? null : text[..bar];
        string id = text[(bar + 1)..];
        int digits = id.Length;
        while (digits > 0 && char.IsAsciiDigit(id[digits - 1]))
        {
            digits--;
        }

        if (digits == 0 || digits == id.Length)
        {
            throw new InvalidDataException($"The token '{text}' in {FileName} is not letters followed by a number.");
        }

        return new Token(key, id, long.Parse(id[digits..], CultureInfo.InvariantCulture));
    }

    private sealed record Token(string? Key, string Id, long Time);

    private sealed record Spec(string Name, List<List<Token>> Stages, List<List<Token>> Expected);
}
