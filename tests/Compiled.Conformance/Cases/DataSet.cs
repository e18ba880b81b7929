using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compiled.Runtime.Events;

namespace Compiled.Conformance.Cases;

/// <summary>How the events of a data set get their time, as Elasticsearch's QA data loader sets it.</summary>
public enum TimestampSource
{
    /// <summary>
    /// <c>@timestamp = timestamp / 10000 - 11644473600000</c>: a Windows FILETIME (100 ns ticks since 1601)
    /// turned into epoch milliseconds with integer division.
    /// </summary>
    FileTimeAsMilliseconds,

    /// <summary>
    /// <c>@timestamp</c> is <c>timestamp</c> read as nanoseconds since the Unix epoch, and <c>timestamp</c>
    /// becomes <c>timestamp / 1e6</c>, for the <c>date_nanos</c> copy of the endgame data.
    /// </summary>
    TimestampAsNanoseconds,

    /// <summary>The events carry <c>@timestamp</c>, as epoch-millisecond digits or ISO 8601 text.</summary>
    Document,

    /// <summary>The events carry no time. Sample queries ignore time.</summary>
    None,
}

/// <summary>
/// Loads data sets from the suite's <c>data</c> folder into the event stream the runtime reads: mapping
/// applied, time derived, sorted by time and tiebreaker as Elasticsearch orders search results.
/// </summary>
public static class DataSet
{
    private const long FileTimeTicksPerMillisecond = 10_000;
    private const long MillisecondsFrom1601To1970 = 11_644_473_600_000;
    private const long NanosecondsPerMillisecond = 1_000_000;

    private static readonly JsonSerializerOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Loads <c>data/NAME.data</c> with <c>data/NAME.mapping</c> for each name, in order, and sorts all events
    /// by (<c>@timestamp</c>, tiebreaker), with events that lack a tiebreaker after those that have one and
    /// file order breaking the remaining ties.
    /// </summary>
    public static EventStream Load(string suiteFolder, IReadOnlyList<string> names, TimestampSource timestamps)
    {
        var events = new List<LoadedEvent>();
        foreach (string name in names)
        {
            var mapping = IndexMapping.Read(Path.Combine(suiteFolder, "data", name + ".mapping"));
            string idField = mapping.Tiebreaker ?? "id";
            foreach (var document in ReadDocuments(Path.Combine(suiteFolder, "data", name + ".data")))
            {
                long? time = SetTime(document, timestamps);
                mapping.Apply(document);
                double? tiebreaker = mapping.Tiebreaker is null ? null : ToNumber(JsonPaths.Get(document, mapping.Tiebreaker));
                string id = JsonPaths.Get(document, idField) is { } value ? IdText(value) : "<no " + idField + ">";
                events.Add(new LoadedEvent(document, time, tiebreaker, id, events.Count));
            }
        }

        var sorted = events
            .OrderBy(e => e.TimeNanoseconds is null)
            .ThenBy(e => e.TimeNanoseconds)
            .ThenBy(e => e.Tiebreaker is null)
            .ThenBy(e => e.Tiebreaker)
            .ThenBy(e => e.FileOrder)
            .ToList();
        return new EventStream(
            sorted.Select(e => e.Document.ToJsonString(LineOptions)).ToList(),
            sorted.Select(e => e.Id).ToList());
    }

    /// <summary>Reads a JSON array of objects. Some data files contain <c>//</c> comments, which Jackson accepts.</summary>
    private static IEnumerable<JsonObject> ReadDocuments(string path)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var root = JsonNode.Parse(File.ReadAllText(path), documentOptions: options) as JsonArray
            ?? throw new InvalidDataException($"The data file {path} is not a JSON array.");
        return root.Select(node => node as JsonObject ?? throw new InvalidDataException($"The data file {path} holds a value that is not an object: {node?.ToJsonString()}"));
    }

    /// <summary>Sets <c>@timestamp</c> from <paramref name="source"/> and returns the event time in nanoseconds, or null when it has none.</summary>
    private static long? SetTime(JsonObject document, TimestampSource source)
    {
        switch (source)
        {
            case TimestampSource.FileTimeAsMilliseconds:
            {
                long fileTime = RequiredInteger(document, "timestamp");
                long milliseconds = fileTime / FileTimeTicksPerMillisecond - MillisecondsFrom1601To1970;
                document["@timestamp"] = milliseconds;
                return milliseconds * NanosecondsPerMillisecond;
            }

            case TimestampSource.TimestampAsNanoseconds:
            {
                long nanoseconds = RequiredInteger(document, "timestamp");
                document["@timestamp"] = FormatNanoseconds(nanoseconds);
                document["timestamp"] = nanoseconds / 1e6;
                return nanoseconds;
            }

            case TimestampSource.None when !document.ContainsKey("@timestamp"):
                // NOTE: the runtime rejects events without a time, so untimed sample data gets the epoch.
                document["@timestamp"] = 0;
                return 0;

            default:
                return DocumentTime(document);
        }
    }

    private static long? DocumentTime(JsonObject document)
    {
        if (document["@timestamp"] is not JsonValue value)
        {
            return null;
        }

        if (value.GetValueKind() == JsonValueKind.Number)
        {
            return (long)(value.GetValue<double>() * NanosecondsPerMillisecond);
        }

        string text = value.GetValue<string>();
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long milliseconds))
        {
            // Elasticsearch's default date format accepts epoch milliseconds as a string. The runtime reads
            // strings only as ISO 8601, so the harness passes the number instead.
            // TODO: drop this once the runtime accepts epoch-millisecond strings.
            document["@timestamp"] = milliseconds;
            return milliseconds * NanosecondsPerMillisecond;
        }

        return Timestamps.TryParseIso8601(text, out long nanoseconds) ? nanoseconds : null;
    }

    private static long RequiredInteger(JsonObject document, string field) =>
        document[field] is JsonValue value && value.TryGetValue(out long number)
            ? number
            : throw new InvalidDataException($"An event has no integer '{field}': {document.ToJsonString()}");

    /// <summary>Formats nanoseconds since the epoch as ISO 8601 UTC with nine fraction digits.</summary>
    private static string FormatNanoseconds(long nanoseconds)
    {
        long seconds = Math.DivRem(nanoseconds, 1_000_000_000, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000;
        }

        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + fraction.ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    private static double? ToNumber(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;

    private static string IdText(JsonNode node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : node.ToJsonString();

    private sealed record LoadedEvent(JsonObject Document, long? TimeNanoseconds, double? Tiebreaker, string Id, int FileOrder);
}
