using System;
using System.Collections.Generic;
using Compiled.Generators.Diagnostics;
using Tomlyn.Syntax;

namespace Compiled.Generators.RuleFiles;

/// <summary>
/// Reads a rule file with Tomlyn's syntax parser into a <see cref="TomlTableNode"/> tree that keeps the
/// position of every key and value. Syntax errors and duplicate keys become CMP001 diagnostics.
/// </summary>
internal sealed class TomlDocumentReader
{
    private readonly string _path;
    private readonly string _text;
    private readonly SourceLines _lines;
    private readonly List<DiagnosticInfo> _diagnostics = new();

    private TomlDocumentReader(string path, string text)
    {
        _path = path;
        _text = text;
        _lines = new SourceLines(text);
    }

    public SourceLines Lines => _lines;

    /// <summary>Parses <paramref name="text"/>; the root is null when the file has TOML syntax errors.</summary>
    public static (TomlTableNode? Root, SourceLines Lines, List<DiagnosticInfo> Diagnostics) Read(string path, string text)
    {
        var reader = new TomlDocumentReader(path, text);
        var root = reader.ReadDocument();
        return (root, reader._lines, reader._diagnostics);
    }

    private TomlTableNode? ReadDocument()
    {
        DocumentSyntax document;
        try
        {
            document = Tomlyn.Parsing.SyntaxParser.Parse(_text, _path, true);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Tomlyn 2.11 throws from char.ConvertFromUtf32 instead of reporting an error when the text ends
            // inside an escape sequence, such as a file cut after "C:\" or "\u12".
            int escape = Math.Max(0, _text.LastIndexOf('\\'));
            string message = $"the file ends inside the escape sequence '{_text.Substring(escape)}'";
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TomlSyntaxError, _path, _lines.Span(escape, _text.Length - escape), message));
            return null;
        }

        if (document.HasErrors)
        {
            // Tomlyn can report follow-on errors at the start of the file, so the first error is the one that counts.
            foreach (var message in document.Diagnostics)
            {
                if (message.Kind == DiagnosticMessageKind.Error)
                {
                    _diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.TomlSyntaxError, _path, ToSpan(message.Span), message.Message));
                    break;
                }
            }

            return null;
        }

        var root = new TomlTableNode(_lines.Span(0, 0), isExplicit: true);
        foreach (var keyValue in document.KeyValues)
        {
            AddKeyValue(root, keyValue);
        }

        foreach (var table in document.Tables)
        {
            var target = OpenTable(root, table);
            if (target is null)
            {
                continue;
            }

            foreach (var keyValue in table.Items)
            {
                AddKeyValue(target, keyValue);
            }
        }

        return _diagnostics.Count == 0 ? root : null;
    }

    private TomlTableNode? OpenTable(TomlTableNode root, TableSyntaxBase table)
    {
        var names = KeyNames(table.Name!);
        var headerSpan = ToSpan(table.Name!.Span);
        var parent = Navigate(root, names, names.Count - 1, headerSpan);
        if (parent is null)
        {
            return null;
        }

        string last = names[names.Count - 1];
        bool arrayOfTables = table is TableArraySyntax;
        if (arrayOfTables)
        {
            if (!parent.TryGet(last, out var existing))
            {
                var array = new TomlArrayNode(headerSpan, isArrayOfTables: true);
                parent.Set(last, new TomlEntry(array, headerSpan));
                existing = new TomlEntry(array, headerSpan);
            }

            if (existing.Value is not TomlArrayNode { IsArrayOfTables: true } tables)
            {
                Duplicate(string.Join(".", names), headerSpan);
                return null;
            }

            var element = new TomlTableNode(headerSpan, isExplicit: true);
            tables.Items.Add(element);
            return element;
        }

        if (parent.TryGet(last, out var current))
        {
            if (current.Value is TomlTableNode { IsExplicit: false } implicitTable)
            {
                implicitTable.IsExplicit = true;
                return implicitTable;
            }

            Duplicate(string.Join(".", names), headerSpan);
            return null;
        }

        var created = new TomlTableNode(headerSpan, isExplicit: true);
        parent.Set(last, new TomlEntry(created, headerSpan));
        return created;
    }

    /// <summary>
    /// Walks the first <paramref name="count"/> names from <paramref name="table"/>, creating implicit tables
    /// and entering the last element of an array of tables, as TOML headers and dotted keys do.
    /// </summary>
    private TomlTableNode? Navigate(TomlTableNode table, List<string> names, int count, FileSpan span)
    {
        var current = table;
        for (int i = 0; i < count; i++)
        {
            if (!current.TryGet(names[i], out var entry))
            {
                var created = new TomlTableNode(span, isExplicit: false);
                current.Set(names[i], new TomlEntry(created, span));
                current = created;
                continue;
            }

            switch (entry.Value)
            {
                case TomlTableNode next:
                    current = next;
                    break;
                case TomlArrayNode { IsArrayOfTables: true } array when array.Items.Count > 0 && array.Items[array.Items.Count - 1] is TomlTableNode lastElement:
                    current = lastElement;
                    break;
                default:
                    Duplicate(string.Join(".", names.GetRange(0, i + 1)), span);
                    return null;
            }
        }

        return current;
    }

    private void AddKeyValue(TomlTableNode table, KeyValueSyntax keyValue)
    {
        var names = KeyNames(keyValue.Key!);
        var keySpan = ToSpan(keyValue.Key!.Span);
        var parent = Navigate(table, names, names.Count - 1, keySpan);
        if (parent is null)
        {
            return;
        }

        string last = names[names.Count - 1];
        if (parent.TryGet(last, out _))
        {
            Duplicate(string.Join(".", names), keySpan);
            return;
        }

        var value = ReadValue(keyValue.Value!);
        if (value is not null)
        {
            parent.Set(last, new TomlEntry(value, keySpan));
        }
    }

    private TomlNode? ReadValue(ValueSyntax value)
    {
        var span = ToSpan(value.Span);
        switch (value)
        {
            case StringValueSyntax text:
                string decoded = text.Value ?? string.Empty;
                var token = text.Token!;
                var map = TomlStringMap.Create(token.Text ?? string.Empty, token.Span.Start.Offset, decoded.Length, _lines);
                return new TomlScalarNode(span, TomlScalarKind.String, decoded, map);
            case IntegerValueSyntax integer:
                return new TomlScalarNode(span, TomlScalarKind.Integer, integer.Value, null);
            case FloatValueSyntax number:
                return new TomlScalarNode(span, TomlScalarKind.Float, number.Value, null);
            case BooleanValueSyntax boolean:
                return new TomlScalarNode(span, TomlScalarKind.Boolean, boolean.Value, null);
            case DateTimeValueSyntax dateTime:
                return new TomlScalarNode(span, TomlScalarKind.DateTime, dateTime.Token?.Text ?? string.Empty, null);
            case ArraySyntax array:
                var node = new TomlArrayNode(span, isArrayOfTables: false);
                foreach (var item in array.Items)
                {
                    var element = ReadValue(item.Value!);
                    if (element is not null)
                    {
                        node.Items.Add(element);
                    }
                }

                return node;
            case InlineTableSyntax inline:
                var inlineTable = new TomlTableNode(span, isExplicit: true);
                foreach (var item in inline.Items)
                {
                    AddKeyValue(inlineTable, item.KeyValue!);
                }

                return inlineTable;
            default:
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TomlSyntaxError, _path, span, "unsupported value " + value.Kind));
                return null;
        }
    }

    private static List<string> KeyNames(KeySyntax key)
    {
        var names = new List<string> { KeyName(key.Key!) };
        foreach (var dotted in key.DotKeys)
        {
            names.Add(KeyName(dotted.Key!));
        }

        return names;
    }

    private static string KeyName(BareKeyOrStringValueSyntax key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => key.ToString() ?? string.Empty,
    };

    private void Duplicate(string key, FileSpan span) =>
        _diagnostics.Add(DiagnosticInfo.Create(
            DiagnosticDescriptors.TomlSyntaxError, _path, span, $"the key '{key}' is defined more than once"));

    private FileSpan ToSpan(SourceSpan span)
    {
        int start = Math.Max(0, span.Start.Offset);
        int end = Math.Max(start, span.End.Offset + 1);
        return _lines.Span(start, end - start);
    }
}
