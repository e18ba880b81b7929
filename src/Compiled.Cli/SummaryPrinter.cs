using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;

namespace Compiled.Cli;

/// <summary>Prints the end-of-scan summary: lines read and rejected, with reasons, and alerts per rule.</summary>
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

    public static void Print(TextWriter error, ScanSummary summary, RuleSet rules, AlertWriter alerts)
    {
        error.WriteLine();
        error.WriteLine($"Scanned {summary.FilesRead} input(s) with {rules.Rules.Count} rule(s).");
        error.WriteLine($"  lines read:       {summary.LinesRead}");
        error.WriteLine($"  events evaluated: {summary.EventsEvaluated}");
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
                error.WriteLine($"    {OneLine(line.Source)}:{line.LineNumber}: {OneLine(line.Detail)}");
            }
        }

        error.WriteLine($"  alerts written:   {alerts.TotalAlerts}");
        if (alerts.DuplicatesSkipped > 0)
        {
            error.WriteLine($"  duplicate alerts skipped (same kibana.alert.uuid): {alerts.DuplicatesSkipped}");
        }
        foreach (var rule in rules.Rules)
        {
            int count = alerts.AlertsPerRule.GetValueOrDefault(rule);
            if (count > 0)
            {
                error.WriteLine($"    {count,8}  {OneLine(rule.Descriptor.Name)}");
            }
        }

        PrintStateEvictions(error, rules);
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
}
