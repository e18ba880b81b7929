using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Compiled.Runtime.Alerts;

/// <summary>
/// Formats an alert document as one readable line: time, severity, rule name (marked when the alert is a
/// building block), host, process and the ids of the source events. Control characters in event values are
/// replaced by spaces, so an event cannot break the line or send escape sequences to a terminal.
/// </summary>
internal static class AlertTable
{
    public static void WriteLine(ReadOnlySpan<byte> alertJson, IBufferWriter<byte> output)
    {
        using var document = JsonDocument.Parse(alertJson.ToArray());
        var alert = document.RootElement;
        var line = new StringBuilder(256);
        line.Append(Text(alert, "@timestamp") ?? "-");
        line.Append("  ").Append((Text(alert, "kibana.alert.severity") ?? "-").PadRight(8));
        line.Append("  ").Append(Text(alert, "kibana.alert.rule.name") ?? "-");
        if (alert.TryGetProperty("kibana.alert.building_block_type", out _))
        {
            line.Append(" [building block]");
        }

        line.Append("  host=").Append(Text(alert, "host", "name") ?? Text(alert, "host", "hostname") ?? "-");
        line.Append("  process=").Append(Process(alert));
        line.Append("  events=").Append(EventIds(alert));
        for (int i = 0; i < line.Length; i++)
        {
            if (char.IsControl(line[i]) || line[i] is '\u2028' or '\u2029')
            {
                line[i] = ' ';
            }
        }

        line.Append('\n');
        var bytes = Encoding.UTF8.GetBytes(line.ToString());
        output.Write(bytes);
    }

    private static string Process(JsonElement alert)
    {
        string? name = Text(alert, "process", "name") ?? Text(alert, "process", "executable");
        string? pid = Text(alert, "process", "pid");
        return (name, pid) switch
        {
            (null, null) => "-",
            (null, _) => "pid " + pid,
            (_, null) => name,
            _ => $"{name}({pid})",
        };
    }

    private static string EventIds(JsonElement alert)
    {
        if (!alert.TryGetProperty("kibana.alert.ancestors", out var ancestors) || ancestors.ValueKind != JsonValueKind.Array)
        {
            return "-";
        }

        var ids = new List<string>();
        foreach (var ancestor in ancestors.EnumerateArray())
        {
            if (ancestor.ValueKind == JsonValueKind.Object && ancestor.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                ids.Add(id.GetString()!);
            }
        }

        return ids.Count == 0 ? "-" : string.Join(',', ids);
    }

    /// <summary>
    /// Returns the value at a field path, written as nested objects (<c>{"host":{"name":..}}</c>) or with a
    /// dotted key (<c>{"host.name":..}</c>); the first element of an array; null when missing.
    /// </summary>
    private static string? Text(JsonElement element, params string[] path)
    {
        var value = Find(element, path, 0);
        if (value is not { } found)
        {
            return null;
        }

        if (found.ValueKind == JsonValueKind.Array)
        {
            found = found.GetArrayLength() > 0 ? found[0] : default;
        }

        return found.ValueKind switch
        {
            JsonValueKind.String => found.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => found.GetRawText(),
            _ => null,
        };
    }

    private static JsonElement? Find(JsonElement element, string[] path, int start)
    {
        if (start == path.Length)
        {
            return element;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        // Try the longest dotted key first, then shorter ones with the rest nested below.
        for (int end = path.Length; end > start; end--)
        {
            string key = string.Join('.', path, start, end - start);
            if (element.TryGetProperty(key, out var child) && Find(child, path, end) is { } found)
            {
                return found;
            }
        }

        return null;
    }
}
