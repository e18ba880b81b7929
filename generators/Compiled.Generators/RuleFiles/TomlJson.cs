using System.Globalization;
using System.Text;

namespace Compiled.Generators.RuleFiles;

/// <summary>Converts a TOML value to compact JSON text, for rule keys that Kibana stores as JSON, such as <c>threat_filters</c>.</summary>
internal static class TomlJson
{
    /// <summary>
    /// Returns <paramref name="node"/> as JSON. Tables keep their key order. A date-time becomes its TOML
    /// text as a JSON string, and a non-finite float becomes the string <c>NaN</c>, <c>Infinity</c> or
    /// <c>-Infinity</c>, because JSON has no literal for either.
    /// </summary>
    public static string Convert(TomlNode node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, TomlNode node)
    {
        switch (node)
        {
            case TomlTableNode table:
                builder.Append('{');
                bool firstEntry = true;
                foreach (var entry in table.Entries)
                {
                    if (!firstEntry)
                    {
                        builder.Append(',');
                    }

                    firstEntry = false;
                    WriteString(builder, entry.Key);
                    builder.Append(':');
                    Write(builder, entry.Value.Value);
                }

                builder.Append('}');
                break;

            case TomlArrayNode array:
                builder.Append('[');
                for (int i = 0; i < array.Items.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    Write(builder, array.Items[i]);
                }

                builder.Append(']');
                break;

            case TomlScalarNode scalar:
                WriteScalar(builder, scalar);
                break;
        }
    }

    private static void WriteScalar(StringBuilder builder, TomlScalarNode scalar)
    {
        switch (scalar.Kind)
        {
            case TomlScalarKind.Integer:
                builder.Append(((long)scalar.Value).ToString(CultureInfo.InvariantCulture));
                break;

            case TomlScalarKind.Float:
                double number = (double)scalar.Value;
                if (double.IsNaN(number))
                {
                    WriteString(builder, "NaN");
                }
                else if (double.IsInfinity(number))
                {
                    WriteString(builder, number > 0 ? "Infinity" : "-Infinity");
                }
                else
                {
                    builder.Append(number.ToString("R", CultureInfo.InvariantCulture));
                }

                break;

            case TomlScalarKind.Boolean:
                builder.Append((bool)scalar.Value ? "true" : "false");
                break;

            default:
                WriteString(builder, scalar.Value.ToString());
                break;
        }
    }

    /// <summary>Appends <paramref name="text"/> as a JSON string, writing as <c>\uXXXX</c> every character that generated C# must not contain unescaped.</summary>
    public static void WriteString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (c < ' ' || Emission.CSharpText.NeedsEscape(c))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }
}
