using System.Collections.Generic;
using Compiled.Generators.Diagnostics;

namespace Compiled.Generators.RuleFiles;

/// <summary>
/// A TOML value with the place it came from. Built from Tomlyn's syntax tree inside one pipeline step
/// and never stored in a pipeline model.
/// </summary>
internal abstract class TomlNode
{
    protected TomlNode(FileSpan span) => Span = span;

    public FileSpan Span { get; }

    /// <summary>The TOML type name used in messages: "a string", "an integer", "a table", ...</summary>
    public abstract string TypeName { get; }
}

internal sealed class TomlTableNode : TomlNode
{
    private readonly Dictionary<string, TomlEntry> _entries = new();

    public TomlTableNode(FileSpan span, bool isExplicit)
        : base(span)
    {
        IsExplicit = isExplicit;
    }

    /// <summary>True once a <c>[header]</c> has defined this table, so a second header is a duplicate.</summary>
    public bool IsExplicit { get; set; }

    public override string TypeName => "a table";

    public IEnumerable<KeyValuePair<string, TomlEntry>> Entries => _entries;

    public bool TryGet(string key, out TomlEntry entry) => _entries.TryGetValue(key, out entry!);

    public void Set(string key, TomlEntry entry) => _entries[key] = entry;
}

internal sealed class TomlArrayNode : TomlNode
{
    public TomlArrayNode(FileSpan span, bool isArrayOfTables)
        : base(span)
    {
        IsArrayOfTables = isArrayOfTables;
    }

    /// <summary>True for an array built from <c>[[header]]</c> tables, which later headers may extend.</summary>
    public bool IsArrayOfTables { get; }

    public List<TomlNode> Items { get; } = new();

    public override string TypeName => "an array";
}

internal enum TomlScalarKind
{
    String,
    Integer,
    Float,
    Boolean,
    DateTime,
}

internal sealed class TomlScalarNode : TomlNode
{
    public TomlScalarNode(FileSpan span, TomlScalarKind kind, object value, TomlStringMap? stringMap)
        : base(span)
    {
        Kind = kind;
        Value = value;
        StringMap = stringMap;
    }

    public TomlScalarKind Kind { get; }

    public object Value { get; }

    /// <summary>For strings: where each character of the decoded value sits in the file.</summary>
    public TomlStringMap? StringMap { get; }

    public override string TypeName => Kind switch
    {
        TomlScalarKind.String => "a string",
        TomlScalarKind.Integer => "an integer",
        TomlScalarKind.Float => "a float",
        TomlScalarKind.Boolean => "a boolean",
        _ => "a date-time",
    };
}

/// <summary>A key with its value, and the span of the key for messages about the key itself.</summary>
internal readonly record struct TomlEntry(TomlNode Value, FileSpan KeySpan);
