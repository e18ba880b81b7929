using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using Compiled.Generators.Diagnostics;
using Compiled.Generators.Emission;
using Compiled.Generators.Helpers;
using Compiled.Generators.Kql;
using Compiled.Generators.RuleFiles;
using Microsoft.CodeAnalysis;

namespace Compiled.Generators;

/// <summary>
/// Compiles detection rule files (<c>*.toml</c> passed as AdditionalFiles) into one C# class per rule and
/// a <c>RuleCatalog</c>. Each pipeline step holds only equatable models, so an unchanged rule is never
/// re-emitted, and diagnostics flow through their own output so that moving text does not re-emit code.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RuleGenerator : IIncrementalGenerator
{
    public const string TrackRuleFiles = "RuleFiles";
    public const string TrackParsedRules = "ParsedRules";
    public const string TrackRules = "Rules";
    public const string TrackClassNames = "ClassNames";
    public const string TrackEmittedRules = "EmittedRules";
    public const string TrackCatalog = "Catalog";
    public const string TrackEcsFields = "EcsFields";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".toml", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, cancellationToken) => ReadRuleFile(text, cancellationToken))
            .WithTrackingName(TrackRuleFiles);

        // KQL rules are bound to the field types of the ECS field file, passed as a .csv AdditionalFile.
        var ecsFiles = context.AdditionalTextsProvider
            .Where(static text => EcsFieldFiles.IsCandidate(text))
            .Select(static (text, cancellationToken) => EcsFieldFiles.Read(text, cancellationToken))
            .Collect();
        var ecsFields = ecsFiles
            .Select(static (all, _) => EcsFieldFiles.Merge(all))
            .WithTrackingName(TrackEcsFields);

        var results = files
            .Combine(ecsFields)
            .Select(static (pair, _) => pair.Left.ReadError is { } error ? error : RuleFileParser.Parse(pair.Left.Path, pair.Left.Text, pair.Right))
            .WithTrackingName(TrackParsedRules);

        var kqlRulePaths = results
            .Where(static result => result.Rule is { Language: "kuery" })
            .Select(static (result, _) => result.Rule!.FilePath)
            .Collect();
        context.RegisterSourceOutput(ecsFiles.Combine(ecsFields).Combine(kqlRulePaths), static (output, input) =>
        {
            foreach (var diagnostic in EcsFieldFiles.Diagnostics(input.Left.Left, input.Left.Right, input.Right))
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        context.RegisterSourceOutput(results.Select(static (result, _) => result.Diagnostics), static (output, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        var rules = results
            .Where(static result => result.Rule is not null)
            .Select(static (result, _) => result.Rule!)
            .WithTrackingName(TrackRules);

        var classNames = rules
            .Select(static (rule, _) => new NameRequest(rule.FilePath, rule.Name, rule.RuleGuid))
            .Collect()
            .Select(static (requests, _) => ClassNames.Assign(requests))
            .WithTrackingName(TrackClassNames);

        var emitted = rules
            .Combine(classNames)
            .Select(static (pair, _) => EmitRule(pair.Left, pair.Right))
            .WithTrackingName(TrackEmittedRules);

        context.RegisterSourceOutput(emitted, static (output, result) =>
        {
            if (result.File is { } file)
            {
                output.AddSource(file.HintName, file.Source);
            }

            if (result.Error is { } error)
            {
                output.ReportDiagnostic(error.ToDiagnostic());
            }
        });

        var catalog = classNames
            .Select(static (names, _) => CatalogEmitter.Emit(ClassNamesOf(names)))
            .WithTrackingName(TrackCatalog);
        context.RegisterSourceOutput(catalog, static (output, file) => output.AddSource(file.HintName, file.Source));

        var identities = results
            .Where(static result => result.Identity is not null)
            .Select(static (result, _) => result.Identity!)
            .Collect()
            .Select(static (all, _) => DuplicateRuleIds(all));
        context.RegisterSourceOutput(identities, static (output, diagnostics) =>
        {
            foreach (var diagnostic in diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });
    }

    /// <summary>Reads a rule file's text; a file that cannot be read becomes a CMP999 diagnostic instead of an exception.</summary>
    private static RuleFileText ReadRuleFile(AdditionalText text, System.Threading.CancellationToken cancellationToken)
    {
        try
        {
            var source = text.GetText(cancellationToken);
            if (source is null)
            {
                return new RuleFileText(text.Path, string.Empty, Failure(text.Path, "the file could not be read"));
            }

            return new RuleFileText(text.Path, source.ToString(), null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new RuleFileText(text.Path, string.Empty, Failure(text.Path, exception.GetType().Name + ": " + exception.Message));
        }
    }

    private static RuleFileResult Failure(string path, string reason)
    {
        var error = new DiagnosticInfo(
            DiagnosticDescriptors.InternalError.Id, path, default, new[] { Path.GetFileName(path), reason }.ToEquatableArray());
        return new RuleFileResult(null, new[] { error }.ToEquatableArray(), null);
    }

    /// <summary>Emits one rule; an unexpected failure becomes a CMP999 diagnostic that names the rule file.</summary>
    private static EmitResult EmitRule(RuleSpec rule, ClassNameMap names)
    {
        try
        {
            string className = names.For(rule.FilePath) ?? ClassNames.BaseName(rule.Name);
            return new EmitResult(RuleEmitter.Emit(rule, className), null);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var failure = Failure(rule.FilePath, exception.GetType().Name + ": " + exception.Message);
            return new EmitResult(null, failure.Diagnostics[0]);
        }
    }

    private static List<string> ClassNamesOf(ClassNameMap names)
    {
        var result = new List<string>();
        foreach (var entry in names.Entries)
        {
            result.Add(entry.ClassName);
        }

        return result;
    }

    private static EquatableArray<DiagnosticInfo> DuplicateRuleIds(ImmutableArray<RuleIdentity> identities)
    {
        var sorted = new List<RuleIdentity>(identities);
        sorted.Sort((a, b) => string.CompareOrdinal(a.FilePath, b.FilePath));
        var firstByRuleId = new Dictionary<string, RuleIdentity>(StringComparer.OrdinalIgnoreCase);
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var identity in sorted)
        {
            if (firstByRuleId.TryGetValue(identity.RuleId, out var first))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.DuplicateRuleId, identity.FilePath, identity.RuleIdSpan, identity.RuleId, first.FilePath));
            }
            else
            {
                firstByRuleId[identity.RuleId] = identity;
            }
        }

        return diagnostics.ToEquatableArray();
    }

    /// <summary>The path and text of one rule file, or the error that kept it from being read.</summary>
    private sealed record RuleFileText(string Path, string Text, RuleFileResult? ReadError);

    /// <summary>The generated file of one rule, or the error that stopped it.</summary>
    private sealed record EmitResult(GeneratedFile? File, DiagnosticInfo? Error);
}
