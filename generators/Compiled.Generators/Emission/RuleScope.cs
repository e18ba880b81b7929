using System.Collections.Generic;
using System.Text;

namespace Compiled.Generators.Emission;

/// <summary>
/// The members one rule class declares as its code is emitted: a slot field per event field it reads and
/// static data (value lists, patterns, CIDR blocks) named after the field they test.
/// </summary>
internal sealed class RuleScope
{
    private readonly Dictionary<string, string> _slotFields = new();
    private readonly Dictionary<Kql.KqlFieldPattern, string> _patternSlots = new();
    private readonly HashSet<string> _names = new() { "Metadata", "Fields", "TimestampFields", "Evaluate", "Descriptor" };

    /// <summary>The fields the rule reads, in the order they were first used.</summary>
    public List<string> Fields { get; } = new();

    /// <summary>Methods for computed conditions, each a block of generated code.</summary>
    public List<string> Methods { get; } = new();

    /// <summary>Static field declarations, such as <c>private static readonly string[] s_x = ...;</c>.</summary>
    public List<string> StaticFields { get; } = new();

    /// <summary>Returns the name of the instance field that stores the slot of <paramref name="path"/>.</summary>
    public string Slot(string path)
    {
        if (_slotFields.TryGetValue(path, out var name))
        {
            return name;
        }

        name = Unique("_" + CamelCase(path));
        _slotFields[path] = name;
        AddField(path);
        return name;
    }

    /// <summary>Adds <paramref name="path"/> to <see cref="Fields"/> without a slot field, for a field that a base class reads.</summary>
    public void AddField(string path)
    {
        if (!Fields.Contains(path))
        {
            Fields.Add(path);
        }
    }

    public IEnumerable<KeyValuePair<string, string>> SlotFields => _slotFields;

    /// <summary>The instance fields that store nested scopes, each with the path it registers.</summary>
    public List<KeyValuePair<string, string>> NestedScopeFields { get; } = new();

    /// <summary>Declares an instance field for the nested scope of <paramref name="path"/> and returns its name.</summary>
    public string NestedScope(string path)
    {
        foreach (var existing in NestedScopeFields)
        {
            if (existing.Value == path)
            {
                return existing.Key;
            }
        }

        string name = Unique("_" + CamelCase(path) + "Nested");
        NestedScopeFields.Add(new KeyValuePair<string, string>(name, path));
        return name;
    }

    /// <summary>The instance fields that store the slots of field patterns, each with the static pattern it registers.</summary>
    public List<KeyValuePair<string, string>> PatternSlotFields { get; } = new();

    /// <summary>
    /// Declares a static <c>FieldPattern</c> for a KQL field name with wildcards and an instance field for
    /// its slot, and returns the slot field's name. Equal patterns share one slot.
    /// </summary>
    public string PatternSlot(string name, Kql.KqlFieldPattern pattern)
    {
        if (_patternSlots.TryGetValue(pattern, out var existing))
        {
            return existing;
        }

        string staticName = AddStatic(name, "FieldPattern", "global::Compiled.Runtime.Events.FieldPattern",
            $"new({StringArray(pattern.Parts)}, {StringArray(pattern.Excluded)})");
        string slotName = Unique("_" + CamelCase(name) + "Matches");
        _patternSlots[pattern] = slotName;
        PatternSlotFields.Add(new KeyValuePair<string, string>(slotName, staticName));
        return slotName;
    }

    /// <summary>Declares a static field named after <paramref name="path"/> and returns its name.</summary>
    public string AddStatic(string path, string suffix, string type, string initializer)
    {
        string name = Unique("s_" + CamelCase(path) + suffix);
        StaticFields.Add($"private static readonly {type} {name} = {initializer};");
        return name;
    }

    private static string StringArray(IEnumerable<string> values)
    {
        var literals = new List<string>();
        foreach (var value in values)
        {
            literals.Add(CSharpText.Literal(value));
        }

        return literals.Count == 0 ? "global::System.Array.Empty<string>()" : "new string[] { " + string.Join(", ", literals) + " }";
    }

    public string Unique(string name)
    {
        string candidate = name;
        for (int i = 2; !_names.Add(candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    /// <summary>Turns "process.parent.executable" into "processParentExecutable".</summary>
    public static string CamelCase(string path)
    {
        var builder = new StringBuilder();
        bool wordStart = false;
        foreach (char c in path)
        {
            if (c < 128 && char.IsLetterOrDigit(c))
            {
                if (builder.Length == 0)
                {
                    builder.Append(char.ToLowerInvariant(c));
                }
                else
                {
                    builder.Append(wordStart ? char.ToUpperInvariant(c) : c);
                }

                wordStart = false;
            }
            else
            {
                wordStart = true;
            }
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, "field");
        }

        return builder.ToString();
    }
}
