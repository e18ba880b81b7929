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
            Description = "The file to write alerts to, in the --format chosen; - means standard output. Default: standard output. It must not be one of the input files, also not through a symbolic link.",
        };
        var outputOptions = new OutputOptions();
        var indicators = new Option<string?>("--indicators")
        {
            Description = "An NDJSON file of threat indicator documents (or search hits) for the threat_match rules.",
        };
        var maxStateEntries = new Option<int>("--max-state-entries")
        {
            Description = "The maximum number of state entries (sequence and sample join keys, threshold buckets, seen terms, open alert suppression groups) each rule keeps; beyond it the oldest is evicted and counted.",
            DefaultValueFactory = _ => DetectionRule.DefaultMaxStateEntries,
        };
        var command = new Command("scan", "Run the rules over events and write an alert per match. A summary goes to standard error.");
        command.Options.Add(rules);
        command.Options.Add(maxStateEntries);
        command.Options.Add(output);
        command.Options.Add(indicators);
        outputOptions.AddTo(command);
        var input = InputOptions.Add(command);
        command.SetAction(parse =>
        {
            int maxEntries = parse.GetValue(maxStateEntries);
            if (maxEntries < 1)
            {
                Console.Error.WriteLine($"compiled: --max-state-entries {maxEntries} must be at least 1");
                return ExitCodes.Usage;
            }

            return input.Parse(parse) is { } inputs
                ? Run(parse.GetValue(rules), parse.GetValue(output), outputOptions.Read(parse), inputs, parse.GetValue(indicators), maxEntries)
                : ExitCodes.Usage;
        });
        return command;
    }

    /// <summary>The inputs of <c>compiled scan</c> and how their events are ordered.</summary>
    private sealed class InputOptions
    {
        private readonly Argument<string[]> _inputs = new("INPUT")
        {
            Description = "Event files, folders (their .ndjson, .jsonl and .json files, gzipped or not, searched recursively; symbolic links not followed), globs such as 'logs/**/*.ndjson' (quote them), or - for standard input. NDJSON, JSON arrays, Elasticsearch _search responses and _bulk bodies, gzipped or not, are recognised by their content.",
            Arity = ArgumentArity.OneOrMore,
        };

        private readonly Option<string?> _maxLateness = new("--max-lateness")
        {
            Description = "How long, in event time, an event is held so that older events read after it still go first: a number with ms, s, m, h or d, or 0. An event older than one already evaluated is late. Single-event rules still see it, but rules that keep state (sequences, samples, threshold, new_terms) do not. Default: unbounded while every input is a regular file, so files are sorted fully within --max-buffered-events; 5m once standard input or another pipe is read.",
        };

        private readonly Option<string> _idleFlush = new("--idle-flush")
        {
            Description = "The longest wall-clock time an event from standard input (or another pipe) is held for reordering: once the oldest held event has waited this long, every held event is evaluated, so alerts from a live stream appear without waiting for --max-lateness. A number with ms, s, m, h or d, 0, or 'off'.",
            DefaultValueFactory = _ => "1s",
        };

        private readonly Option<int> _maxBufferedEvents = new("--max-buffered-events")
        {
            Description = $"The most events held for reordering (also at most {ScanOptions.DefaultMaxBufferedBytes / (1024 * 1024)} MiB of them); past it the oldest is evaluated early.",
            DefaultValueFactory = _ => ScanOptions.DefaultMaxBufferedEvents,
        };

        private readonly Option<bool> _noValueDispatch = new("--no-value-dispatch")
        {
            Description = "Run every rule of an event's categories on it, not only the rules whose literal values the event has. The alerts are the same and the scan is slower; the summary's rule runs show the difference.",
        };

        private readonly Option<bool> _oneThread = new("--one-thread")
        {
            Description = "Read, decode and evaluate on one thread. By default, files are read and decoded on other threads while the rules run, when the machine has more than one processor and at most 32 files are open at once. The alerts and the summary are the same.",
        };

        private readonly Option<bool> _strict = new("--strict")
        {
            Description = "Stop at the first rejected line, print it with its file, line and reason, and exit with code 4.",
        };

        public static InputOptions Add(Command command)
        {
            var options = new InputOptions();
            command.Options.Add(options._maxLateness);
            command.Options.Add(options._idleFlush);
            command.Options.Add(options._maxBufferedEvents);
            command.Options.Add(options._strict);
            command.Options.Add(options._noValueDispatch);
            command.Options.Add(options._oneThread);
            command.Arguments.Add(options._inputs);
            options._inputs.Validators.Add(OutputOptions.RejectUnknownOptions);
            return options;
        }

        /// <summary>Reads the values; prints the problem and returns null when one is invalid.</summary>
        public (string[] Inputs, ScanOptions Options)? Parse(ParseResult parse)
        {
            string? lateness = parse.GetValue(_maxLateness);
            var maxLateness = ScanOptions.DefaultMaxLateness;
            if (lateness is not null && !TryParseDuration(lateness, out maxLateness))
            {
                Console.Error.WriteLine($"compiled: --max-lateness {lateness} is not a duration such as 500ms, 30s, 5m, 2h or 1d");
                return null;
            }

            string idle = parse.GetValue(_idleFlush) ?? "1s";
            var idleFlush = Timeout.InfiniteTimeSpan;
            if (idle != "off" && !TryParseDuration(idle, out idleFlush))
            {
                Console.Error.WriteLine($"compiled: --idle-flush {idle} is not a duration such as 500ms, 1s or 5m, or 'off'");
                return null;
            }

            int maxBuffered = parse.GetValue(_maxBufferedEvents);
            if (maxBuffered < 0)
            {
                Console.Error.WriteLine($"compiled: --max-buffered-events {maxBuffered} must be 0 or more");
                return null;
            }

            // Without --max-lateness, regular files are sorted fully, because Elasticsearch queries indexed events
            // by time range whatever order they were indexed in.
            var options = new ScanOptions
            {
                MaxLateness = maxLateness,
                SortSeekableInputsFully = lateness is null,
                IdleFlush = idleFlush,
                MaxBufferedEvents = maxBuffered,
                Strict = parse.GetValue(_strict),
                DispatchByValue = !parse.GetValue(_noValueDispatch),
                DecodeAhead = !parse.GetValue(_oneThread) && Environment.ProcessorCount > 1,
            };
            return (parse.GetValue(_inputs) ?? [], options);
        }

        /// <summary>Parses a non-negative whole number followed by ms, s, m, h or d, or a bare zero, which needs no unit.</summary>
        internal static bool TryParseDuration(string text, out TimeSpan duration)
        {
            duration = default;
            if (text.Length > 0 && text.AsSpan().TrimStart('0').IsEmpty)
            {
                return true;
            }

            int digits = 0;
            while (digits < text.Length && char.IsAsciiDigit(text[digits]))
            {
                digits++;
            }

            if (digits == 0 || !long.TryParse(text.AsSpan(0, digits), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value))
            {
                return false;
            }

            long? milliseconds = text[digits..] switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => null,
            };
            if (milliseconds is null || value > TimeSpan.MaxValue.TotalMilliseconds / milliseconds.Value / 2)
            {
                return false;
            }

            duration = TimeSpan.FromMilliseconds(value * milliseconds.Value);
            return true;
        }
    }

    private static int Run(string? rulesPath, string? outputPath, OutputSettings settings, (string[] Inputs, ScanOptions Options) input, string? indicatorsPath, int maxStateEntries)
    {
        var (inputs, scanOptions) = input;

        // Ctrl+C and SIGTERM stop the scan between two lines, or while it waits for standard input. The
        // alerts already produced are flushed whole. Before the scan starts (while rules compile) they
        // exit at once, since nothing has been read or written. A second signal also exits at once, for
        // a read that cannot be cancelled, such as opening a FIFO that has no writer.
        using var stop = new CancellationTokenSource();
        bool scanning = false;
        int signals = 0;
        void Interrupt()
        {
            stop.Cancel();
            if (!Volatile.Read(ref scanning))
            {
                Console.Error.WriteLine("compiled: interrupted before the scan started; nothing was read.");
                Environment.Exit(ExitCodes.Interrupted);
            }

            if (Interlocked.Increment(ref signals) > 1)
            {
                Console.Error.WriteLine("compiled: interrupted again; exiting without the summary.");
                Environment.Exit(ExitCodes.Interrupted);
            }
        }

        ConsoleCancelEventHandler onCancel = (_, args) =>
        {
            args.Cancel = true;
            Interrupt();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            context =>
            {
                context.Cancel = true;
                Interrupt();
            });

        string? outputFile = outputPath is null or InputFiles.StandardInput ? null : Path.GetFullPath(outputPath);
        var sources = InputFiles.Resolve(inputs, out var problems, out var skipped);
        foreach (var message in skipped)
        {
            Console.Error.WriteLine("compiled: " + message);
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("compiled: " + problem);
            }

            return ExitCodes.Failure;
        }

        // Checked before anything is opened for writing, because opening the output truncates it.
        if (outputFile is not null && InputFiles.FindInputWrittenByOutput(sources, outputFile) is { } overwritten)
        {
            string reason = overwritten == outputPath ? "" : $" ({overwritten} is the same file)";
            Console.Error.WriteLine($"compiled: the output file {outputPath} is also an input{reason}; write the alerts somewhere else");
            return ExitCodes.Usage;
        }

        RuleSet? ruleSet = rulesPath is null ? BuiltInRules() : CompileRules(rulesPath);
        if (ruleSet is null || !Indicators.Load(ruleSet, indicatorsPath, Console.Error))
        {
            return ExitCodes.Failure;
        }

        foreach (var rule in ruleSet.Rules)
        {
            rule.MaxStateEntries = maxStateEntries;
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

        int unreadable = 0;
        RejectedLine? stoppedAt = null;
        long totalAlerts;
        using (alertStream)
        {
            var writer = new AlertWriter(alertStream, settings.Format) { ApplyMaxSignals = settings.ApplyMaxSignals };
            var engine = new ScanEngine(ruleSet, writer, scanOptions);
            using var progress = ScanProgress.StartIfTerminal(engine.Summary, writer, sources.Count);
            Volatile.Write(ref scanning, true);

            try
            {
                engine.Scan(sources.Select(source => ToScanInput(source, progress)).ToList(), stop.Token);
                foreach (var problem in engine.Summary.InputErrors)
                {
                    Console.Error.WriteLine("compiled: cannot read " + problem);
                }

                unreadable = engine.Summary.InputErrors.Count;
                stoppedAt = engine.Summary.StoppedAt;

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
            SummaryPrinter.Print(Console.Error, engine.Summary, ruleSet, writer, engine.RulesRun, scanOptions.DispatchByValue);
        }

        Console.CancelKeyPress -= onCancel;
        if (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("compiled: the scan was interrupted; the alerts above are complete lines, and the summary counts what was read.");
            return ExitCodes.Interrupted;
        }

        if (stoppedAt is not null)
        {
            Console.Error.WriteLine($"compiled: {SummaryPrinter.OneLine(stoppedAt.Location)}: {SummaryPrinter.OneLine(stoppedAt.Detail)}");
            Console.Error.WriteLine($"compiled: --strict stopped the scan at this {stoppedAt.Reason} document.");
            return ExitCodes.InputRejected;
        }

        if (unreadable > 0)
        {
            Console.Error.WriteLine($"compiled: {unreadable} input(s) could not be read; see the messages above.");
            return ExitCodes.Failure;
        }

        return settings.FailOnAlert && totalAlerts > 0 ? ExitCodes.AlertsRaised : ExitCodes.Success;
    }

    /// <summary>
    /// Standard input is "-"; a file is opened when the scan reaches it, which is also when the progress
    /// line starts naming it.
    /// </summary>
    private static ScanInput ToScanInput(string source, ScanProgress? progress)
    {
        if (source == InputFiles.StandardInput)
        {
            return new ScanInput("-", () =>
            {
                progress?.StartInput(source);
                return Console.OpenStandardInput();
            });
        }

        return new ScanInput(source, () =>
        {
            progress?.StartInput(source);
            return new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        });
    }

    /// <summary>
    /// Returns the rules built into this command, or null after an error message when the build had
    /// none, as <c>--rules</c> does for a folder where no rule compiles.
    /// </summary>
    private static RuleSet? BuiltInRules()
    {
        var ruleSet = Compiled.Rules.RuleCatalog.CreateRuleSet();
        if (ruleSet.Rules.Count == 0)
        {
            Console.Error.WriteLine("compiled: no rule is built into this command, so nothing was scanned; " +
                "pass --rules DIR, or build with -p:CompiledRulesDirectory=DIR where DIR holds rule files");
            return null;
        }

        return ruleSet;
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
