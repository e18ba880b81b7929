using System;
using System.Collections.Generic;
using System.Text;
using Compiled.Generators.Helpers;

namespace Compiled.Generators.Emission;

/// <summary>The input to class naming: one rule file's rule name and id.</summary>
internal sealed record NameRequest(string FilePath, string RuleName, string RuleId);

/// <summary>The class name given to each rule file.</summary>
internal sealed record ClassNameMap(EquatableArray<ClassNameEntry> Entries)
{
    public string? For(string filePath)
    {
        foreach (var entry in Entries)
        {
            if (entry.FilePath == filePath)
            {
                return entry.ClassName;
            }
        }

        return null;
    }
}

internal sealed record ClassNameEntry(string FilePath, string ClassName);

/// <summary>
/// Names rule classes after rule names in PascalCase. Rules whose names give the same class name get
/// the first eight hex digits of their rule_id appended. Any tie left is broken by file path order, so
/// the result does not depend on the order the build passes files in. Names that would clash with
/// the generated files' using aliases or the catalog get a "Rule" suffix.
/// </summary>
internal static class ClassNames
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "RuleCatalog", "Object", "String", "System", "Compiled", "Rules", "Comparison", "Eql", "EqlFunctions", "EqlOperators", "EqlValue", "EventRecord", "StringComparison", "Tri",

        // Members of object, which the catalog would find before a class of the same name.
        "ToString", "GetHashCode", "Equals", "GetType", "Finalize", "MemberwiseClone", "ReferenceEquals",

        // Members of every rule class, which may not share the name of their class.
        "RuleId", "RuleIdText", "Name", "Description", "Severity", "RiskScore", "Type", "Language", "Query", "From", "Interval",
        "MaxSignals", "Version", "TimestampOverride", "TimestampOverrideFallbackDisabled", "BuildingBlockType", "License", "Maturity",
        "CreationDate", "UpdatedDate", "Tags", "Index", "References", "FalsePositives", "Author", "Threat", "Metadata", "Fields",
        "TimestampFields", "Evaluate", "Match", "MatchUntil", "Pipes", "Descriptor", "MissingStages", "Flush", "EventCategories",
        "StateEvictions",
        "EventCategoryField", "MaxSamplesPerKey",
    };

    public static ClassNameMap Assign(IReadOnlyList<NameRequest> requests)
    {
        var sorted = new List<NameRequest>(requests);
        sorted.Sort((a, b) => string.CompareOrdinal(a.FilePath, b.FilePath));
        var baseCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var request in sorted)
        {
            string name = BaseName(request.RuleName);
            baseCounts[name] = baseCounts.TryGetValue(name, out int count) ? count + 1 : 1;
        }

        var used = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<ClassNameEntry>();
        foreach (var request in sorted)
        {
            string name = BaseName(request.RuleName);
            if (baseCounts[name] > 1)
            {
                string suffix = request.RuleId.Replace("-", string.Empty);
                name = name + "_" + suffix.Substring(0, Math.Min(8, suffix.Length));
            }

            string unique = name;
            for (int i = 2; !used.Add(unique); i++)
            {
                unique = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            entries.Add(new ClassNameEntry(request.FilePath, unique));
        }

        return new ClassNameMap(entries.ToEquatableArray());
    }

    /// <summary>Turns "macOS Installer Spawns Network Event" into "MacOSInstallerSpawnsNetworkEvent".</summary>
    /// <summary>The longest class name taken from a rule name; C# metadata limits a full type name to 1,023 characters.</summary>
    public const int MaxLength = 100;

    public static string BaseName(string ruleName)
    {
        var builder = new StringBuilder();
        bool wordStart = true;
        foreach (char c in ruleName)
        {
            if (c < 128 && char.IsLetterOrDigit(c))
            {
                builder.Append(wordStart ? char.ToUpperInvariant(c) : c);
                wordStart = false;
            }
            else
            {
                wordStart = true;
            }
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, "Rule");
        }

        if (builder.Length > MaxLength)
        {
            builder.Length = MaxLength;
        }

        string name = builder.ToString();
        bool generatedMember = name.StartsWith("MatchStage", StringComparison.Ordinal) || name.StartsWith("MatchFilter", StringComparison.Ordinal)
            || name.StartsWith("Clause", StringComparison.Ordinal);
        return Reserved.Contains(name) || generatedMember ? name + "Rule" : name;
    }
}
