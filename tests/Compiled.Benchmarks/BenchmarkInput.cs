using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Compiled.Runtime.Events;

namespace Compiled.Benchmarks;

/// <summary>
/// The benchmark's events: the real events of the corpus, repeated until the input reaches the
/// requested size. Each repetition shifts <c>@timestamp</c> and <c>event.ingested</c>, the field the
/// corpus rules name in <c>timestamp_override</c>, past the previous repetition, so the stream stays in
/// time order for every rule and sequences see realistic gaps.
/// </summary>
internal static class BenchmarkInput
{
    public static List<byte[]> Build(string corpusFolder, long targetBytes)
    {
        int nextCopy = 0;
        return Build(corpusFolder, targetBytes, ref nextCopy);
    }

    /// <summary>
    /// Returns copies <paramref name="nextCopy"/> onwards of the corpus events, as many as reach
    /// <paramref name="targetBytes"/>, and advances <paramref name="nextCopy"/> past them, so that inputs
    /// built one after the other form one stream in time order.
    /// </summary>
    public static List<byte[]> Build(string corpusFolder, long targetBytes, ref int nextCopy)
    {
        var templates = new List<(JsonObject Event, long Offset)>();
        long earliest = long.MaxValue, latest = long.MinValue;
        var schema = FieldSchema.Create([]);
        var checker = new EventDecoder(schema);
        var checkedEvent = new EventRecord(schema);
        foreach (var path in Directory.EnumerateFiles(corpusFolder, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadLines(path))
            {
                // Events the host would reject, such as one with a number beyond a long, are left out.
                if (JsonNode.Parse(line) is not JsonObject ev ||
                    ev["@timestamp"]?.GetValue<string>() is not { } text ||
                    !Timestamps.TryParse(text, out long time) ||
                    checker.Decode(Encoding.UTF8.GetBytes(line), checkedEvent) is not null)
                {
                    continue;
                }

                templates.Add((ev, time));
                earliest = Math.Min(earliest, time);
                latest = Math.Max(latest, time);
                if (Ingested(ev) is { } ingested)
                {
                    earliest = Math.Min(earliest, ingested);
                    latest = Math.Max(latest, ingested);
                }
            }
        }

        // Events keep their place within one copy; copies follow each other one span later.
        templates.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        long span = latest - earliest + 1_000_000_000L;
        var lines = new List<byte[]>();
        long size = 0;
        for (; size < targetBytes; nextCopy++)
        {
            foreach (var (ev, time) in templates)
            {
                long shift = nextCopy * span;
                var clone = (JsonObject)ev.DeepClone();
                clone["@timestamp"] = Timestamps.Format(time + shift);
                ShiftIngested(clone, shift);
                byte[] bytes = Encoding.UTF8.GetBytes(clone.ToJsonString());
                lines.Add(bytes);
                size += bytes.Length + 1;
            }
        }

        return lines;
    }

    /// <summary>Returns <c>event.ingested</c>, written as a nested or a dotted key, or null when the event has none.</summary>
    private static long? Ingested(JsonObject ev)
    {
        var node = ev["event"] is JsonObject inner ? inner["ingested"] : ev["event.ingested"];
        return node is JsonValue value && value.TryGetValue(out string? text) && Timestamps.TryParse(text, out long time) ? time : null;
    }

    private static void ShiftIngested(JsonObject ev, long shift)
    {
        if (Ingested(ev) is not { } time)
        {
            return;
        }

        if (ev["event"] is JsonObject inner && inner.ContainsKey("ingested"))
        {
            inner["ingested"] = Timestamps.Format(time + shift);
        }
        else
        {
            ev["event.ingested"] = Timestamps.Format(time + shift);
        }
    }

    public static string Describe(List<byte[]> lines)
    {
        long bytes = lines.Sum(line => (long)line.Length + 1);
        return string.Create(CultureInfo.InvariantCulture, $"{lines.Count:N0} events, {bytes / 1_048_576.0:F1} MiB");
    }
}
