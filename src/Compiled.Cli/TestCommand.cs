using System.CommandLine;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Microsoft.CodeAnalysis;
using RuleSet = Compiled.Runtime.Rules.RuleSet;

namespace Compiled.Cli;

/// <summary>
/// <c>compiled test</c>: runs each rule against the example events kept beside its file.
/// <c>NAME.hits.ndjson</c> must raise at least one alert of the rule in <c>NAME.toml</c>, and
/// <c>NAME.misses.ndjson</c> none.
/// </summary>
internal static class TestCommand
{
    public const string HitsSuffix = ".hits.ndjson";
    public const string MissesSuffix = ".misses.ndjson";

    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Rule files (*.toml) or folders of them, searched recursively. The examples of NAME.toml are NAME.hits.ndjson and NAME.misses.ndjson in the same folder.",
            Arity = ArgumentArity.OneOrMore,
        };
        var requireExamples = new Option<bool>("--require-examples")
        {
            Description = "Fail a rule that has neither a hits nor a misses file. By default it is reported and not counted as a failure.",
        };
        var command = new Command("test", $"Run each rule against its example events: every rule's hits file must raise an alert of that rule, and its misses file none. Prints PASS, FAIL or SKIP per rule with the reason, and a total. Exit code {ExitCodes.Failure} when a rule fails or no rule file is found.");
        command.Arguments.Add(paths);
        command.Options.Add(requireExamples);
        command.SetAction(parse => Run(parse.GetValue(paths) ?? [], parse.GetValue(requireExamples)));
        return command;
    }

    private static int Run(string[] paths, bool requireExamples)
    {
        var files = RuleFileSet.Read(paths, out var problems);
        foreach (var problem in problems)
        {
            Console.Error.WriteLine("compiled: " + problem);
        }

        if (problems.Count > 0)
        {
            return ExitCodes.Failure;
        }

        // A mistyped path must not pass a CI job, so a run that finds no rule file fails.
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"compiled: no rule file (*.toml) found in {string.Join(", ", paths)}; name a rule file or a folder that contains rule files");
            return ExitCodes.Failure;
        }

        var compilation = RuleCompiler.Compile(files, skipInvalidRules: true);
        string? setFailure = compilation.Success ? null : SetFailure(compilation, files);
        var tally = new Tally();
        foreach (var file in files)
        {
            var outcome = TestRule(file, compilation, setFailure, requireExamples);
            tally.Add(outcome.Status);
            Console.WriteLine($"{StatusText(outcome.Status),-4}  {SummaryPrinter.OneLine(DisplayPath(file.Path))}: {SummaryPrinter.OneLine(outcome.Reason)}");
        }

        foreach (var orphan in OrphanExamples(paths, files))
        {
            Console.WriteLine($"WARN  {SummaryPrinter.OneLine(orphan)}: no rule file of that name beside it, so it was not used");
        }

        Console.WriteLine($"{files.Count} rule(s): {tally.Passed} passed, {tally.Failed} failed, {tally.Skipped} skipped.");
        return tally.Failed > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }

    /// <summary>
    /// Returns why a rule set failed to compile as a whole, such as a limit of the generated assembly: the first
    /// error outside the rule files, or else the first error.
    /// </summary>
    private static string SetFailure(RuleCompilation compilation, IReadOnlyList<RuleFile> files)
    {
        var rulePaths = files.Select(file => file.Path).ToHashSet(StringComparer.Ordinal);
        var error = compilation.Errors.FirstOrDefault(d => !rulePaths.Contains(d.Location.GetLineSpan().Path)) ?? compilation.Errors.FirstOrDefault();
        string cause = error is null ? "no error was reported" : $"{error.Id}: {error.GetMessage()}";
        return $"the rule set did not compile, so no example was run: {cause}";
    }

    private static Outcome TestRule(RuleFile file, RuleCompilation compilation, string? setFailure, bool requireExamples)
    {
        var errors = compilation.Errors.Where(d => d.Location.GetLineSpan().Path == file.Path).ToList();
        if (errors.Count > 0)
        {
            var first = errors[0];
            var position = first.Location.GetLineSpan().StartLinePosition;
            return new(Status.Failed, $"does not compile: ({position.Line + 1},{position.Character + 1}) {first.Id}: {first.GetMessage()}");
        }

        if (setFailure is not null)
        {
            return new(Status.Failed, setFailure);
        }

        var table = RulesCommand.ReadRuleTable(file.Text);
        string ruleId = RulesCommand.Text(table, "rule_id");
        var descriptor = compilation.Descriptors().FirstOrDefault(rule => rule.RuleIdText == ruleId);
        if (descriptor is null)
        {
            return new(Status.Skipped, $"rule type '{RulesCommand.Text(table, "type")}' is not run by Compiled yet, so its examples were not run");
        }

        string stem = StemOf(file.Path);
        string hitsPath = stem + HitsSuffix;
        string missesPath = stem + MissesSuffix;
        bool hasHits = File.Exists(hitsPath);
        bool hasMisses = File.Exists(missesPath);
        if (!hasHits && !hasMisses)
        {
            string reason = $"no examples: add {Path.GetFileName(hitsPath)} and {Path.GetFileName(missesPath)} beside the rule";
            return new(requireExamples ? Status.Failed : Status.Skipped, reason);
        }

        // A problem with an examples file, such as a rejected line, is reported first, and the matches of both files
        // are still judged, so that fixing the problem reveals no failure that was hidden.
        var problems = new List<string>();
        var findings = new List<string>();
        bool failed = false;
        if (hasHits)
        {
            var run = RunExamples(compilation, ruleId, hitsPath);
            if (run.Problem is not null)
            {
                problems.Add(run.Problem);
            }

            if (run.AlertLines.Count == 0)
            {
                failed = true;
                findings.Add($"{Path.GetFileName(hitsPath)} raised no alert ({run.Events} event(s) evaluated)");
            }
            else
            {
                findings.Add($"{run.AlertLines.Count} match(es) in {Path.GetFileName(hitsPath)}");
            }
        }
        else
        {
            findings.Add($"no {Path.GetFileName(hitsPath)}");
        }

        if (hasMisses)
        {
            var run = RunExamples(compilation, ruleId, missesPath);
            if (run.Problem is not null)
            {
                problems.Add(run.Problem);
            }

            if (run.AlertLines.Count > 0)
            {
                failed = true;
                findings.Add($"{Path.GetFileName(missesPath)} raised {run.AlertLines.Count} match(es), the first from line(s) {run.AlertLines[0]}");
            }
            else
            {
                findings.Add($"none in {Path.GetFileName(missesPath)} ({run.Events} event(s))");
            }
        }
        else
        {
            findings.Add($"no {Path.GetFileName(missesPath)}");
        }

        if (problems.Count > 0)
        {
            return new(Status.Failed, string.Join("; ", problems.Concat(findings)));
        }

        return new(failed ? Status.Failed : Status.Passed, $"{descriptor.Name}: {string.Join("; ", findings)}");
    }

    /// <summary>
    /// Scan options that sort each example file whole, within the default buffer limits, because an example file
    /// is finite and the order of its lines must not change the verdict. The lateness is the largest the engine
    /// accepts, about 292 years.
    /// </summary>
    private static readonly ScanOptions ExampleScanOptions = new() { MaxLateness = TimeSpan.FromTicks(long.MaxValue / 100) };

    /// <summary>Scans one examples file with a fresh instance of the rule alone, so no state carries over.</summary>
    private static ExampleRun RunExamples(RuleCompilation compilation, string ruleId, string path)
    {
        var all = compilation.CreateRuleSet();
        var rule = all.Rules.First(candidate => candidate.Descriptor.RuleIdText == ruleId);
        var sink = new MatchLines();
        var engine = new ScanEngine(new RuleSet(all.Schema, [rule]), sink, ExampleScanOptions);
        try
        {
            using var input = File.OpenRead(path);
            engine.Scan(input, path);
            engine.Finish();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return new ExampleRun(0, sink.Lines, $"cannot read {path}: {error.Message}");
        }

        var summary = engine.Summary;
        if (summary.LinesRejected > 0)
        {
            var first = summary.Examples[0];
            return new ExampleRun(summary.EventsEvaluated, sink.Lines,
                $"{Path.GetFileName(path)}:{first.LineNumber} was rejected ({first.Detail}); every example line must be a valid event");
        }

        // Only a file larger than the reorder buffer can have late events here, and sequences do not see
        // late events, so the verdict would depend on the order of the lines.
        if (summary.EventsLate > 0)
        {
            return new ExampleRun(summary.EventsEvaluated, sink.Lines,
                $"{Path.GetFileName(path)} is out of time order and larger than the reorder buffer ({ExampleScanOptions.MaxBufferedEvents} events or {ExampleScanOptions.MaxBufferedBytes / (1024 * 1024)} MiB), so {summary.EventsLate} event(s) were late; sort its lines by time or split it");
        }

        return new ExampleRun(summary.EventsEvaluated, sink.Lines, null);
    }

    /// <summary>Returns the path without its <c>.toml</c> extension, in any letter case.</summary>
    private static string StemOf(string path) =>
        path.EndsWith(".toml", StringComparison.OrdinalIgnoreCase) ? path[..^5] : path;

    /// <summary>Lists hits and misses files under the given folders that no tested rule file owns.</summary>
    private static IEnumerable<string> OrphanExamples(string[] paths, List<RuleFile> files)
    {
        var stems = files.Select(file => StemOf(file.Path)).ToHashSet(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var folder in paths.Where(Directory.Exists))
        {
            foreach (var example in Directory.EnumerateFiles(folder, "*.ndjson", options).Order(StringComparer.Ordinal))
            {
                string full = Path.GetFullPath(example);
                string? stem = full.EndsWith(HitsSuffix, StringComparison.Ordinal) ? full[..^HitsSuffix.Length]
                    : full.EndsWith(MissesSuffix, StringComparison.Ordinal) ? full[..^MissesSuffix.Length]
                    : null;
                if (stem is not null && !stems.Contains(stem))
                {
                    yield return DisplayPath(full);
                }
            }
        }
    }

    /// <summary>Returns the path relative to the current folder when it is inside it, otherwise in full.</summary>
    private static string DisplayPath(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    private static string StatusText(Status status) => status switch
    {
        Status.Passed => "PASS",
        Status.Failed => "FAIL",
        _ => "SKIP",
    };

    private enum Status
    {
        Passed,
        Failed,
        Skipped,
    }

    private readonly record struct Outcome(Status Status, string Reason);

    /// <summary>The events evaluated, the line numbers of each match, and a problem that stopped the run.</summary>
    private sealed record ExampleRun(long Events, List<string> AlertLines, string? Problem);

    private sealed class Tally
    {
        public int Passed { get; private set; }

        public int Failed { get; private set; }

        public int Skipped { get; private set; }

        public void Add(Status status)
        {
            switch (status)
            {
                case Status.Passed:
                    Passed++;
                    break;
                case Status.Failed:
                    Failed++;
                    break;
                default:
                    Skipped++;
                    break;
            }
        }
    }

    /// <summary>Records, for each match, the line numbers of its events, such as <c>3</c> or <c>3,5</c> for a sequence.</summary>
    private sealed class MatchLines : IAlertSink
    {
        public List<string> Lines { get; } = [];

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) => Lines.Add(ev.LineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture));

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
        {
            var lines = new string[events.Length];
            for (int i = 0; i < events.Length; i++)
            {
                lines[i] = events[i].LineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            Lines.Add(string.Join(',', lines));
        }
    }
}
