using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Microsoft.CodeAnalysis;
using RuleSet = Compiled.Runtime.Rules.RuleSet;

namespace Compiled.Cli;

/// <summary>Prints the end-of-scan summary: lines read and rejected, with reasons, alerts written and dropped, and a table of alerts per rule.</summary>
internal static class SummaryPrinter
{
    /// <summary>Replaces control characters, line breaks included, so one entry stays on one line.</summary>
    internal static string OneLine(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = char.IsControl(c) || c is '\u2028' or '\u2029' ? ' ' : c;
            }
        });

    public static void Print(TextWriter error, ScanSummary summary, RuleSet rules, AlertWriter alerts, long rulesRun, bool dispatchByValue)
    {
        error.WriteLine();
        error.WriteLine($"Scanned {summary.FilesRead} input(s) with {rules.Rules.Count} rule(s).");
        error.WriteLine($"  lines read:       {summary.LinesRead}");
        error.WriteLine($"  events evaluated: {summary.EventsEvaluated}");
        double perEvent = summary.EventsEvaluated == 0 ? 0 : (double)rulesRun / summary.EventsEvaluated;
        error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"  rule runs:        {rulesRun} ({perEvent:F1} per event{(dispatchByValue ? string.Empty : ", value dispatch off")})"));
        if (summary.BlankLinesSkipped > 0)
        {
            error.WriteLine($"  blank lines skipped: {summary.BlankLinesSkipped}");
        }

        error.WriteLine($"  lines rejected:   {summary.LinesRejected}");
        foreach (var (reason, count) in summary.RejectedByReason.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal))
        {
            error.WriteLine($"    {count,8}  {reason}");
        }

        if (summary.Examples.Count > 0)
        {
            error.WriteLine($"  first rejected lines ({summary.Examples.Count} of {summary.LinesRejected}):");
            foreach (var line in summary.Examples)
            {
                error.WriteLine($"    {OneLine(line.Location)}: {OneLine(line.Detail)}");
            }
        }

        if (summary.EventsLate > 0)
        {
            error.WriteLine($"  late for stateful rules: {summary.EventsLate} (older than an event already evaluated, so sequence, sample, threshold and new_terms rules did not see them; single-event rules saw them)");
        }

        if (summary.EarlyReleases > 0)
        {
            error.WriteLine($"  evaluated early because the reorder buffer was full: {summary.EarlyReleases}");
        }

        error.WriteLine($"  alerts written:   {alerts.TotalAlerts}");
        if (alerts.MaxSignalsDropped > 0)
        {
            error.WriteLine($"  alerts dropped by max_signals: {alerts.MaxSignalsDropped} (--all-alerts writes them)");
        }

        if (alerts.DuplicatesSkipped > 0)
        {
            error.WriteLine($"  duplicate alerts skipped (same kibana.alert.uuid): {alerts.DuplicatesSkipped}");
        }

        PrintStateEvictions(error, rules);
        PrintRuleTable(error, rules, alerts);
    }

    /// <summary>Lists the rules that evicted state because of their MaxStateEntries limit, which may have lost matches.</summary>
    private static void PrintStateEvictions(TextWriter error, RuleSet rules)
    {
        long total = 0;
        foreach (var rule in rules.Rules)
        {
            total += rule.StateEvictions;
        }

        if (total == 0)
        {
            return;
        }

        error.WriteLine($"  state entries evicted (limit per rule reached, matches may be lost): {total}");
        foreach (var rule in rules.Rules)
        {
            if (rule.StateEvictions > 0)
            {
                error.WriteLine($"    {rule.StateEvictions,8}  {OneLine(rule.Descriptor.Name)} (limit {rule.MaxStateEntries})");
            }
        }
    }

    /// <summary>
    /// Prints one row per rule that wrote or dropped alerts: alerts written, how many of them are building
    /// blocks, alerts dropped by max_signals, and whether the rule itself is a building-block rule.
    /// </summary>
    private static void PrintRuleTable(TextWriter error, RuleSet rules, AlertWriter alerts)
    {
        var rows = new List<(string Name, RuleAlertCounts Counts, bool BuildingBlockRule)>();
        foreach (var rule in rules.Rules)
        {
            if (alerts.RuleCounts.TryGetValue(rule, out var counts) && (counts.Alerts > 0 || counts.MaxSignalsDropped > 0))
            {
                rows.Add((OneLine(rule.Descriptor.Name), counts, rule.Descriptor.BuildingBlockType is not null));
            }
        }

        if (rows.Count == 0)
        {
            error.WriteLine($"  no rule raised an alert ({rules.Rules.Count} rule(s) ran).");
            return;
        }

        rows.Sort((a, b) => b.Counts.Alerts != a.Counts.Alerts
            ? b.Counts.Alerts.CompareTo(a.Counts.Alerts)
            : StringComparer.Ordinal.Compare(a.Name, b.Name));
        error.WriteLine($"  alerts per rule ({rows.Count} of {rules.Rules.Count} rule(s) raised alerts):");
        error.WriteLine($"    {"ALERTS",8}  {"BUILDING_BLOCKS",15}  {"DROPPED",8}  {"BB_RULE",-7}  RULE");
        foreach (var (name, counts, buildingBlockRule) in rows)
        {
            error.WriteLine($"    {counts.Alerts,8}  {counts.BuildingBlockAlerts,15}  {counts.MaxSignalsDropped,8}  {(buildingBlockRule ? "yes" : "no"),-7}  {name}");
        }
    }

    /// <summary>
    /// Prints the diagnostics of compiling a rules folder. Errors and warnings are printed in full. Rules of a
    /// type Compiled does not run (CMP020) and informational diagnostics are only counted, because a rule
    /// corpus has hundreds of them; <c>compiled check</c> lists them one by one.
    /// </summary>
    public static void PrintRuleDiagnostics(TextWriter error, IReadOnlyList<Diagnostic> diagnostics, string rulesPath)
    {
        int notRun = 0;
        int information = 0;
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Id == "CMP020")
            {
                notRun++;
            }
            else if (diagnostic.Severity < DiagnosticSeverity.Warning)
            {
                information++;
            }
            else
            {
                error.WriteLine(diagnostic.ToString());
            }
        }

        var hidden = new List<string>();
        if (notRun > 0)
        {
            hidden.Add($"{notRun} rule file(s) of a type Compiled does not run yet (CMP020)");
        }

        if (information > 0)
        {
            hidden.Add($"{information} informational message(s)");
        }

        if (hidden.Count > 0)
        {
            error.WriteLine($"compiled: skipped {string.Join(" and ", hidden)}; 'compiled check {rulesPath}' lists them.");
        }
    }
}
