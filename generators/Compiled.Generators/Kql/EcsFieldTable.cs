using System;
using System.Collections.Generic;
using System.Text;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Kql;

/// <summary>One field of the field table: its dotted name and its Elasticsearch mapping type.</summary>
internal sealed record EcsField(string Name, string Type);

/// <summary>
/// The field types KQL rules are compiled against, read from an ECS <c>fields.csv</c> (the CSV that ECS
/// generates, with <c>Field</c> and <c>Type</c> columns). Equality compares the fields, so the table can
/// be combined with every rule in the incremental pipeline.
/// </summary>
internal sealed class EcsFieldTable : IEquatable<EcsFieldTable>
{
    private Dictionary<string, string>? _byName;

    public EcsFieldTable(string? sourcePath, EquatableArray<EcsField> fields)
    {
        SourcePath = sourcePath;
        Fields = fields;
    }

    /// <summary>The table used when the build passes no field file: every field is a keyword.</summary>
    public static EcsFieldTable None { get; } = new(null, EquatableArray<EcsField>.Empty);

    /// <summary>The file the table came from, or null when none was given.</summary>
    public string? SourcePath { get; }

    public EquatableArray<EcsField> Fields { get; }

    public bool IsLoaded => SourcePath is not null;

    /// <summary>Returns the mapping type of <paramref name="name"/>, or null when the table does not list it.</summary>
    public string? TypeOf(string name)
    {
        if (_byName is null)
        {
            var byName = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var field in Fields)
            {
                byName[field.Name] = field.Type;
            }

            _byName = byName;
        }

        return _byName.TryGetValue(name, out var type) ? type : null;
    }

    /// <summary>True when the text starts with a CSV header that has <c>Field</c> and <c>Type</c> columns.</summary>
    public static bool LooksLikeFieldFile(string text)
    {
        int end = text.IndexOf('\n');
        string header = (end < 0 ? text : text.Substring(0, end)).Trim();
        var columns = new List<string>(header.Split(','));
        return columns.Contains("Field") && columns.Contains("Type");
    }

    /// <summary>Reads an ECS <c>fields.csv</c>; returns null and an error message when the text is not one.</summary>
    public static EcsFieldTable? Parse(string path, string text, out string? error)
    {
        error = null;
        var rows = ReadCsv(text, out bool unterminated);
        if (unterminated)
        {
            error = "a quoted field is never closed";
            return null;
        }

        if (rows.Count == 0)
        {
            error = "the file is empty";
            return null;
        }

        int fieldColumn = rows[0].IndexOf("Field");
        int typeColumn = rows[0].IndexOf("Type");
        if (fieldColumn < 0 || typeColumn < 0)
        {
            error = "the first line has no 'Field' and 'Type' columns";
            return null;
        }

        var fields = new List<EcsField>();
        for (int i = 1; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row.Count <= Math.Max(fieldColumn, typeColumn) || row[fieldColumn].Length == 0)
            {
                continue;
            }

            fields.Add(new EcsField(row[fieldColumn], row[typeColumn]));
        }

        if (fields.Count == 0)
        {
            error = "the file lists no fields";
            return null;
        }

        fields.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new EcsFieldTable(path, fields.ToEquatableArray());
    }

    /// <summary>Splits CSV text into rows of fields; quoted fields may hold commas, newlines and doubled quotes.</summary>
    private static List<List<string>> ReadCsv(string text, out bool unterminated)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case ',':
                    row.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    row.Add(field.ToString());
                    field.Clear();
                    rows.Add(row);
                    row = new List<string>();
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        unterminated = quoted;
        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            rows.Add(row);
        }

        return rows;
    }

    public bool Equals(EcsFieldTable? other) =>
        other is not null && SourcePath == other.SourcePath && Fields.Equals(other.Fields);

    public override bool Equals(object? obj) => Equals(obj as EcsFieldTable);

    public override int GetHashCode() => (SourcePath?.GetHashCode() ?? 0) ^ Fields.GetHashCode();
}
