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
    public static Command Create()
    {
        var rules = new Option<string?>("--rules")
        {
            Description = "A rule file, or a folder of rule files (*.toml, searched recursively), to compile at start-up instead of the built-in rules. Rule files with errors are reported and skipped.",
        };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "The file to write alerts to, in the --format chosen; - means standard output. Default: standard output.",
        };
        var outputOptions = new OutputOptions();
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "NDJSON event files, folders of .ndjson and .json files (searched recursively, symbolic links not followed), or - for standard input.",
            Arity = ArgumentArity.OneOrMore,
        };

        var command = new Command("scan", "Run the rules over events and write an alert per match. A summary goes to standard error.");
        command.Options.Add(rules);
        command.Options.Add(output);
        outputOptions.AddTo(command);
        command.Arguments.Add(inputs);
        inputs.Validators.Add(OutputOptions.RejectUnknownOptions);
        command.SetAction(parse => Run(parse.GetValue(rules), parse.GetValue(output), outputOptions.Read(parse), parse.GetValue(inputs) ?? []));
        return command;
    }

    private static int Run(string? rulesPath, string? outputPath, OutputSettings settings, string[] inputs)
    {
        string? outputFile = outputPath is null or InputFiles.StandardInput ? null : Path.GetFullPath(outputPath);
        var sources = InputFiles.Resolve(inputs, outputFile, out var problems);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("compiled: " + problem);
            }

            return ExitCodes.Failure;
        }

        RuleSet? ruleSet = rulesPath is null ? Compiled.Rules.RuleCatalog.CreateRuleSet() : CompileRules(rulesPath);
        if (ruleSet is null)
        {
            return ExitCodes.Failure;
        }

        Stream alertStream;
        try
        {
            alertStream = OutputOptions.OpenAlertStream(outputFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"compiled: cannot write alerts to {outputPath}: {error.Message}");
            return ExitCodes.Failure;
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
        long totalAlerts;
        using (alertStream)
        {
            var writer = new AlertWriter(alertStream, settings.Format) { ApplyMaxSignals = settings.ApplyMaxSignals };
            var engine = new ScanEngine(ruleSet, writer);
            using var progress = ScanProgress.StartIfTerminal(engine.Summary, writer, sources.Count);
            try
            {
                foreach (var source in sources)
                {
                    if (stop.IsCancellationRequested)
                    {
                        break;
                    }

                    progress?.StartInput(source);
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
            }
            catch (AlertOutputException error)
            {
                progress?.Dispose();
                Console.Error.WriteLine($"compiled: cannot write alerts to {outputPath ?? "standard output"}: {error.InnerException!.Message}; the scan stopped.");
                return ExitCodes.Failure;
            }

            writer.Flush();
            totalAlerts = writer.TotalAlerts;
            progress?.Dispose();
            SummaryPrinter.Print(Console.Error, engine.Summary, ruleSet, writer);
        }

        Console.CancelKeyPress -= onCancel;
        if (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("compiled: the scan was interrupted; the alerts above are complete lines, and the summary counts what was read.");
            return ExitCodes.Interrupted;
        }

        if (unreadable > 0)
        {
            Console.Error.WriteLine($"compiled: {unreadable} input(s) could not be read; see the messages above.");
            return ExitCodes.Failure;
        }

        return settings.FailOnAlert && totalAlerts > 0 ? ExitCodes.AlertsRaised : ExitCodes.Success;
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

        SummaryPrinter.PrintRuleDiagnostics(Console.Error, compilation.Diagnostics, path);

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
