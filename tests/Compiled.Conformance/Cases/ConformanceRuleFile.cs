using System.Security.Cryptography;
using System.Text;

namespace Compiled.Conformance.Cases;

/// <summary>Builds the minimal valid rule file that wraps one suite query.</summary>
public static class ConformanceRuleFile
{
    public static string Create(string caseName, string query, IReadOnlyList<(string Name, string Type)>? fieldTypes = null)
    {
        var text = new StringBuilder();
        text.AppendLine("[rule]");
        text.AppendLine($"rule_id = \"{RuleId(caseName)}\"");
        text.AppendLine($"name = {BasicString(caseName)}");
        text.AppendLine($"description = {BasicString("Elasticsearch EQL conformance case " + caseName + ".")}");
        text.AppendLine("risk_score = 21");
        text.AppendLine("severity = \"low\"");
        text.AppendLine("type = \"eql\"");
        text.AppendLine("language = \"eql\"");

        // A literal string keeps the query's backslashes as they are, so diagnostics point at the query
        // as the suite wrote it. Only a query that contains ''' itself needs an escaped basic string.
        if (query.Contains("'''", StringComparison.Ordinal))
        {
            text.AppendLine($"query = {BasicString(query)}");
        }
        else
        {
            text.AppendLine("query = '''");
            text.AppendLine(query.Trim('\n', '\r'));
            text.AppendLine("'''");
        }

        foreach (var (name, type) in fieldTypes ?? [])
        {
            text.AppendLine();
            text.AppendLine("[[rule.required_fields]]");
            text.AppendLine($"name = {BasicString(name)}");
            text.AppendLine($"type = {BasicString(type)}");
        }

        return text.ToString();
    }

    /// <summary>Derives a name-based UUID (version 5 layout, SHA-1) from the case name, so reruns give the same id.</summary>
    public static Guid RuleId(string caseName)
    {
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes("es-eql:" + caseName));
        Span<byte> bytes = hash.AsSpan(0, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    private static string BasicString(string value)
    {
        var text = new StringBuilder("\"");
        foreach (char c in value)
        {
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        text.Append($"\\u{(int)c:X4}");
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        return text.Append('"').ToString();
    }
}
