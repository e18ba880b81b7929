using Compiled.Runtime.Rules;
using Compiled.Runtime.Stateful;

namespace Compiled.Cli;

/// <summary>Loads the indicator documents of <c>--indicators</c> into every threat_match rule of a scan.</summary>
internal static class Indicators
{
    private const int ListedRejections = 20;

    /// <summary>
    /// Loads <paramref name="path"/> into each threat_match rule and reports what was read to
    /// <paramref name="messages"/>. Returns false when the file cannot be read.
    /// </summary>
    public static bool Load(RuleSet rules, string? path, TextWriter messages)
    {
        var threatRules = rules.Rules.OfType<ThreatMatchRule>().ToList();
        if (path is null)
        {
            foreach (var rule in threatRules)
            {
                messages.WriteLine($"compiled: the threat_match rule '{rule.Descriptor.Name}' has no indicators and matches nothing; pass --indicators FILE.");
            }

            return true;
        }

        if (threatRules.Count == 0)
        {
            messages.WriteLine($"compiled: no threat_match rule compiled, so the indicators in {path} are not used.");
            return true;
        }

        foreach (var rule in threatRules)
        {
            IndicatorLoadResult result;
            try
            {
                using var file = File.OpenRead(path);
                result = rule.LoadIndicators(file, Path.GetFileName(path));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                messages.WriteLine($"compiled: cannot read the indicators in {path}: {error.Message}");
                return false;
            }

            messages.WriteLine(
                $"compiled: '{rule.Descriptor.Name}' loaded {result.Loaded} indicator(s) from {path}; its threat query left out {result.Filtered}; {result.Rejected.Count} line(s) rejected.");
            foreach (var (line, reason) in result.Rejected.Take(ListedRejections))
            {
                messages.WriteLine($"compiled: {path}:{line}: {reason}");
            }
        }

        return true;
    }
}
