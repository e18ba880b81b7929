using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Compiled.Runtime.Events;

namespace Compiled.Benchmarks;

/// <summary>
/// The benchmark's events: the real events of the corpus in <c>@timestamp</c> order, repeated until the
/// input reaches the requested size, each repetition later than the previous one. An event that has
/// <c>event.ingested</c>, the field most corpus rules name in <c>timestamp_override</c>, gets its new
/// <c>@timestamp</c> there too. The corpus's own values of the two fields disagree by up to years, so
/// with them no order of the events could suit both kinds of rules, and a host would find most events
/// late and skip them for sequences. With equal values the stream is in time order for every rule.
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
        var templates = new List<(JsonObject Event, long Time)>();
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
            }
        }

        // The corpus runs from 2008 to 2025, so copies that far apart would pass the year 2262, where a
        // count of nanoseconds in a long ends, after 15 copies. Gaps over an hour between neighbouring
        // events shrink to an hour, which keeps the short gaps that sequences see and makes a copy span
        // about nine days, not 17 years. Copies then follow each other one span apart.
        templates.Sort((a, b) => a.Time.CompareTo(b.Time));
        const long MaxGap = 3_600_000_000_000L;
        var offsets = new long[templates.Count];
        for (int i = 1; i < templates.Count; i++)
        {
            offsets[i] = offsets[i - 1] + Math.Min(templates[i].Time - templates[i - 1].Time, MaxGap);
        }

        long start = templates[0].Time;
        long span = offsets[^1] + 1_000_000_000L;
        var lines = new List<byte[]>();
        long size = 0;
        for (; size < targetBytes; nextCopy++)
        {
            for (int i = 0; i < templates.Count; i++)
            {
                var clone = (JsonObject)templates[i].Event.DeepClone();
                string shifted = Timestamps.Format(checked(start + offsets[i] + (nextCopy * span)));
                clone["@timestamp"] = shifted;
                ReplaceIngested(clone, shifted);
                byte[] bytes = Encoding.UTF8.GetBytes(clone.ToJsonString());
                lines.Add(bytes);
                size += bytes.Length + 1;
            }
        }

        return lines;
    }

    /// <summary>Sets <c>event.ingested</c>, written as a nested or a dotted key, to <paramref name="time"/> where the event has it.</summary>
    private static void ReplaceIngested(JsonObject ev, string time)
    {
        if (ev["event"] is JsonObject inner && inner.ContainsKey("ingested"))
        {
            inner["ingested"] = time;
        }
        else if (ev.ContainsKey("event.ingested"))
        {
            ev["event.ingested"] = time;
        }
    }

    public static string Describe(List<byte[]> lines)
    {
        long bytes = lines.Sum(line => (long)line.Length + 1);
        return string.Create(CultureInfo.InvariantCulture, $"{lines.Count:N0} events, {bytes / 1_048_576.0:F1} MiB");
    }
}
