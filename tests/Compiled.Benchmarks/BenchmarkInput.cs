using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Compiled.Runtime.Events;

namespace Compiled.Benchmarks;

/// <summary>
/// The benchmark's events: the real events of the corpus, repeated until the input reaches the
/// requested size. Each repetition shifts <c>@timestamp</c> past the previous one, so the stream stays
/// in time order and sequences see realistic gaps.
/// </summary>
internal static class BenchmarkInput
{
    public static List<byte[]> Build(string corpusFolder, long targetBytes)
    {
        var templates = new List<(JsonObject Event, long Offset)>();
        long earliest = long.MaxValue, latest = long.MinValue;
        foreach (var path in Directory.EnumerateFiles(corpusFolder, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (JsonNode.Parse(line) is not JsonObject ev ||
                    ev["@timestamp"]?.GetValue<string>() is not { } text ||
                    !Timestamps.TryParse(text, out long time))
                {
                    continue;
                }

                templates.Add((ev, time));
                earliest = Math.Min(earliest, time);
                latest = Math.Max(latest, time);
            }
        }

        // Events keep their place within one copy; copies follow each other one span later.
        templates.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        long span = latest - earliest + 1_000_000_000L;
        var lines = new List<byte[]>();
        long size = 0;
        for (int copy = 0; size < targetBytes; copy++)
        {
            foreach (var (ev, time) in templates)
            {
                long shifted = time + copy * span;
                var clone = (JsonObject)ev.DeepClone();
                clone["@timestamp"] = Timestamps.Format(shifted);
                byte[] bytes = Encoding.UTF8.GetBytes(clone.ToJsonString());
                lines.Add(bytes);
                size += bytes.Length + 1;
            }
        }

        return lines;
    }

    public static string Describe(List<byte[]> lines)
    {
        long bytes = lines.Sum(line => (long)line.Length + 1);
        return string.Create(CultureInfo.InvariantCulture, $"{lines.Count:N0} events, {bytes / 1_048_576.0:F1} MiB");
    }
}
