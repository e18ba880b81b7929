using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Helpers;
using Microsoft.CodeAnalysis;

namespace Compiled.Generators.Kql;

/// <summary>One CSV AdditionalFile read as an ECS field file: its table, or the reason it is not one.</summary>
internal sealed record EcsFieldFile(EcsFieldTable? Table, DiagnosticInfo? Error);

/// <summary>
/// Finds the ECS field files among the AdditionalFiles. A <c>.csv</c> file whose header has <c>Field</c>
/// and <c>Type</c> columns is one; other CSV files are ignored.
/// </summary>
internal static class EcsFieldFiles
{
    public static bool IsCandidate(AdditionalText text) => text.Path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    public static EcsFieldFile? Read(AdditionalText text, System.Threading.CancellationToken cancellationToken)
    {
        try
        {
            string? content = text.GetText(cancellationToken)?.ToString();
            if (content is null)
            {
                return new EcsFieldFile(null, Error(text.Path, "the file could not be read"));
            }

            if (!EcsFieldTable.LooksLikeFieldFile(content))
            {
                return null;
            }

            var table = EcsFieldTable.Parse(text.Path, content, out string? error);
            return table is null ? new EcsFieldFile(null, Error(text.Path, error ?? "the file is not an ECS fields.csv")) : new EcsFieldFile(table, null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new EcsFieldFile(null, Error(text.Path, exception.GetType().Name + ": " + exception.Message));
        }
    }

    /// <summary>Merges every field file into one table; when two files list a field, the first path in ordinal order wins.</summary>
    public static EcsFieldTable Merge(ImmutableArray<EcsFieldFile?> files)
    {
        var tables = new List<EcsFieldTable>();
        foreach (var file in files)
        {
            if (file?.Table is { } table)
            {
                tables.Add(table);
            }
        }

        if (tables.Count == 0)
        {
            return EcsFieldTable.None;
        }

        tables.Sort((a, b) => string.CompareOrdinal(a.SourcePath, b.SourcePath));
        if (tables.Count == 1)
        {
            return tables[0];
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var fields = new List<EcsField>();
        var paths = new List<string>();
        foreach (var table in tables)
        {
            paths.Add(table.SourcePath!);
            foreach (var field in table.Fields)
            {
                if (seen.Add(field.Name))
                {
                    fields.Add(field);
                }
            }
        }

        fields.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new EcsFieldTable(string.Join(";", paths), fields.ToEquatableArray());
    }

    /// <summary>
    /// Returns the diagnostics about field files: each file that could not be read, and one warning on the
    /// first KQL rule when no table was loaded.
    /// </summary>
    public static EquatableArray<DiagnosticInfo> Diagnostics(ImmutableArray<EcsFieldFile?> files, EcsFieldTable table, ImmutableArray<string> kqlRulePaths)
    {
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var file in files)
        {
            if (file?.Error is { } error)
            {
                diagnostics.Add(error);
            }
        }

        if (!table.IsLoaded && kqlRulePaths.Length > 0)
        {
            var paths = new List<string>(kqlRulePaths);
            paths.Sort(StringComparer.Ordinal);
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingEcsFieldFile, paths[0], default));
        }

        return diagnostics.ToEquatableArray();
    }

    private static DiagnosticInfo Error(string path, string reason) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEcsFieldFile, path, default, System.IO.Path.GetFileName(path), reason);
}
