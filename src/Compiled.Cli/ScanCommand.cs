using System.CommandLine;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Microsoft.CodeAnalysis;
using RuleSet = Compiled.Runtime.Rules.RuleSet;

namespace Compiled.Cli;

/// <summary><c>compiled scan</c>: runs rules over NDJSON events and writes alerts.</summary>
internal static class ScanCommand
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;

    /// <summary>The exit code after Ctrl+C or SIGTERM stopped the scan: 128 plus SIGINT's number, as shells report it.</summary>
    public const int ExitInterrupted = 130;

    public static Command Create()
    {
        var rules = new Option<string?>("--rules")
        {
            Description = "A rule file, or a folder of rule files (*.toml, searched recursively), to compile at start-up instead of the built-in rules. Rule files with errors are reported and skipped.",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "The file to write alerts to, as NDJSON; - means standard output. Default: standard output.",
        };
        var maxStateEntries = new Option<int>("--max-state-entries")
        {
            Description = $"The maximum number of state entries (pending sequences, sample keys) each rule keeps; beyond it the oldest is evicted and counted. Default: {DetectionRule.DefaultMaxStateEntries}.",
            DefaultValueFactory = _ => DetectionRule.DefaultMaxStateEntries,
        };
        maxStateEntries.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--max-state-entries must be at least 1.");
            }
        });
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "NDJSON event files, folders of .ndjson and .json files (searched recursively, symbolic links not followed), or - for standard input.",
            Arity = ArgumentArity.OneOrMore,
        };

        var command = new Command("scan", "Run the rules over events and write an alert per match. A summary goes to standard error.");
        command.Options.Add(rules);
        command.Options.Add(output);
        command.Options.Add(maxStateEntries);
        command.Arguments.Add(inputs);
        command.SetAction(parse => Run(parse.GetValue(rules), parse.GetValue(output), parse.GetValue(inputs) ?? [], parse.GetValue(maxStateEntries)));
        return command;
    }

    private static int Run(string? rulesPath, string? outputPath, string[] inputs, int maxStateEntries)
    {
        string? outputFile = outputPath is null or InputFiles.StandardInput ? null : Path.GetFullPath(outputPath);
        var sources = InputFiles.Resolve(inputs, outputFile, out var problems);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("compiled: " + problem);
            }

            return ExitFailure;
        }

        RuleSet? ruleSet = rulesPath is null ? Compiled.Rules.RuleCatalog.CreateRuleSet() : CompileRules(rulesPath);
        if (ruleSet is null)
        {
            return ExitFailure;
        }

        foreach (var rule in ruleSet.Rules)
        {
            rule.MaxStateEntries = maxStateEntries;
        }

        Stream alertStream;
        try
        {
            alertStream = outputFile is null ? Console.OpenStandardOutput() : File.Create(outputFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"compiled: cannot write alerts to {outputPath}: {error.Message}");
            return ExitFailure;
        }

        // Ctrl+C and SIGTERM stop the scan between two lines; the alerts already produced are flushed whole.
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, args) =>
        {
            args.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });

        int unreadable = 0;
        using (alertStream)
        using (var buffered = new BufferedStream(alertStream, 1 << 16))
        {
            var writer = new AlertWriter(buffered);
            var engine = new ScanEngine(ruleSet, writer);
            foreach (var source in sources)
            {
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                if (!ScanOne(engine, source, stop.Token))
                {
                    unreadable++;
                }
            }

            // Held sequences are reported only when their window closed, which an interrupted scan cannot know.
            if (!stop.IsCancellationRequested)
            {
                engine.Finish();
            }

            buffered.Flush();
            SummaryPrinter.Print(Console.Error, engine.Summary, ruleSet, writer);
        }

        Console.CancelKeyPress -= onCancel;
        if (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("compiled: the scan was interrupted; the alerts above are complete lines, and the summary counts what was read.");
            return ExitInterrupted;
        }

        if (unreadable > 0)
        {
            Console.Error.WriteLine($"compiled: {unreadable} input(s) could not be read; see the messages above.");
            return ExitFailure;
        }

        return ExitSuccess;
    }

    /// <summary>Scans one input; a file that cannot be opened or read is reported and skipped.</summary>
    private static bool ScanOne(ScanEngine engine, string source, CancellationToken stop)
    {
        try
        {
            if (source == InputFiles.StandardInput)
            {
                using var stdin = Console.OpenStandardInput();
                engine.Scan(stdin, "-", stop);
            }
            else
            {
                using var file = File.OpenRead(source);
                engine.Scan(file, source, stop);
            }

            return true;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"compiled: cannot read {source}: {error.Message}");
            return false;
        }
    }

    private static RuleSet? CompileRules(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            Console.Error.WriteLine($"compiled: rules not found: {path}");
            return null;
        }

        RuleCompilation compilation;
        try
        {
            compilation = RuleCompiler.CompileDirectory(path, skipInvalidRules: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"compiled: cannot read the rules in {path}: {error.Message}");
            return null;
        }

        foreach (var diagnostic in compilation.Diagnostics)
        {
            Console.Error.WriteLine(diagnostic.ToString());
        }

        var ruleSet = compilation.Success ? compilation.CreateRuleSet() : null;
        int invalid = compilation.Errors.Select(d => d.Location.GetLineSpan().Path).Distinct().Count();
        if (ruleSet is null || ruleSet.Rules.Count == 0)
        {
            Console.Error.WriteLine($"compiled: no rule in {path} compiled, so nothing was scanned.");
            return null;
        }

        if (invalid > 0)
        {
            Console.Error.WriteLine($"compiled: {invalid} rule file(s) have errors and were skipped; {ruleSet.Rules.Count} rule(s) compiled.");
        }

        return ruleSet;
    }
}
