using System;
using System.Collections.Generic;

namespace Compiled.Generators.Kql;

/// <summary>The kinds of field that KQL matches differently.</summary>
internal enum KqlFieldKind
{
    Keyword,
    Text,
    Ip,
    Number,
    Date,
    Boolean,

    /// <summary>A <c>.caseless</c> multi-field: a keyword indexed with a lowercase normalizer.</summary>
    Caseless,
}

/// <summary>A field a KQL leaf reads: the field in the event that holds its values, and how to match them.</summary>
internal readonly record struct KqlFieldInfo(string Name, string SourceField, string Type, KqlFieldKind Kind);

/// <summary>
/// Resolves field names of one rule to mapping types. ECS types come first. A field outside ECS takes
/// the type from the rule's <c>required_fields</c>, and otherwise is a keyword.
/// </summary>
internal sealed class KqlFieldTypes
{
    private readonly EcsFieldTable _ecs;
    private readonly IReadOnlyDictionary<string, string> _ruleTypes;

    public KqlFieldTypes(EcsFieldTable ecs, IReadOnlyDictionary<string, string> ruleTypes)
    {
        _ecs = ecs;
        _ruleTypes = ruleTypes;
    }

    public KqlFieldInfo Resolve(string name)
    {
        if (IsCaseless(name, out string parent))
        {
            return new KqlFieldInfo(name, parent, "keyword", KqlFieldKind.Caseless);
        }

        string type = _ecs.TypeOf(name) ?? (_ruleTypes.TryGetValue(name, out var ruleType) ? ruleType : "keyword");

        // A multi-field such as process.command_line.text indexes its parent's value under another type,
        // and the event holds only the parent.
        string source = name;
        int dot = name.LastIndexOf('.');
        if (dot > 0 && _ecs.TypeOf(name.Substring(0, dot)) is { } parentType && IsMultiFieldParent(parentType))
        {
            source = name.Substring(0, dot);
        }

        return new KqlFieldInfo(name, source, type, KindOf(type));
    }

    /// <summary>
    /// Returns true for <c>X.caseless</c>, the multi-field that Elastic's integrations add to keyword fields
    /// with a lowercase normalizer. Events carry only <c>X</c>, so the field reads the values of <c>X</c>.
    /// A name that the field table lists with a type of its own, or whose parent is not a keyword, is an
    /// ordinary field.
    /// </summary>
    private bool IsCaseless(string name, out string parent)
    {
        const string suffix = ".caseless";
        parent = string.Empty;
        if (!name.EndsWith(suffix, StringComparison.Ordinal) || name.Length == suffix.Length || _ecs.TypeOf(name) is not null)
        {
            return false;
        }

        parent = name.Substring(0, name.Length - suffix.Length);
        string parentType = _ecs.TypeOf(parent) ?? (_ruleTypes.TryGetValue(parent, out var ruleType) ? ruleType : "keyword");
        return parentType is "keyword" or "constant_keyword" or "wildcard";
    }

    /// <summary>Lists the known fields that a field name with <c>*</c> wildcards matches, in ordinal order.</summary>
    public List<string> Expand(KqlField pattern)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var field in _ecs.Fields)
        {
            if (Matches(pattern, field.Name) && KindOfKnown(field.Type))
            {
                names.Add(field.Name);
            }
        }

        foreach (var name in _ruleTypes.Keys)
        {
            if (Matches(pattern, name))
            {
                names.Add(name);
            }
        }

        return new List<string>(names);
    }

    private static bool KindOfKnown(string type) => type is not ("object" or "nested" or "flattened" or "");

    private static bool IsMultiFieldParent(string type) =>
        type is "keyword" or "wildcard" or "constant_keyword" or "text" or "match_only_text";

    public static KqlFieldKind KindOf(string type) => type switch
    {
        "text" or "match_only_text" => KqlFieldKind.Text,
        "ip" => KqlFieldKind.Ip,
        "long" or "integer" or "short" or "byte" or "double" or "float" or "half_float" or "scaled_float" or "unsigned_long" => KqlFieldKind.Number,
        "date" or "date_nanos" => KqlFieldKind.Date,
        "boolean" => KqlFieldKind.Boolean,
        _ => KqlFieldKind.Keyword,
    };

    /// <summary>Matches a field name against a pattern whose parts sit between <c>*</c> wildcards.</summary>
    private static bool Matches(KqlField pattern, string name)
    {
        var parts = pattern.Parts;
        string first = parts[0];
        string last = parts[parts.Count - 1];
        if (!name.StartsWith(first, StringComparison.Ordinal) || name.Length < first.Length + last.Length ||
            !name.EndsWith(last, StringComparison.Ordinal))
        {
            return false;
        }

        int position = first.Length;
        int limit = name.Length - last.Length;
        for (int i = 1; i < parts.Count - 1; i++)
        {
            int found = name.IndexOf(parts[i], position, limit - position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }
}
