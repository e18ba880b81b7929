using System.CommandLine;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;

namespace Compiled.Cli;

/// <summary><c>compiled scan</c>: runs rules over NDJSON events and writes alerts.</summary>
internal static class ScanCommand
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;

    public static Command Create()
    {
        var rules = new Option<DirectoryInfo?>("--rules")
        {
            Description = "A folder of rule files (*.toml, searched recursively) to compile at start-up instead of the built-in rules.",
        };
        var output = new Option<FileInfo?>("--output", "-o")
        {
            Description = "The file to write alerts to, as NDJSON. Default: standard output.",
        };
        var inputs = new Argument<string[]>("INPUT")
        {
            Description = "NDJSON event files, folders of .ndjson and .json files (searched recursively), or - for standard input.",
            Arity = ArgumentArity.OneOrMore,
        };

        var command = new Command("scan", "Run the rules over events and write an alert per match. A summary goes to standard error.");
        command.Options.Add(rules);
        command.Options.Add(output);
        command.Arguments.Add(inputs);
        command.SetAction(parse => Run(parse.GetValue(rules), parse.GetValue(output), parse.GetValue(inputs) ?? []));
        return command;
    }

    private static int Run(DirectoryInfo? rulesDirectory, FileInfo? outputFile, string[] inputs)
    {
        var sources = InputFiles.Resolve(inputs, out var missing);
        if (missing.Count > 0)
        {
            foreach (var path in missing)
            {
                Console.Error.WriteLine($"compiled: input not found: {path}");
            }

            return ExitFailure;
        }

        RuleSet? ruleSet = rulesDirectory is null ? Compiled.Rules.RuleCatalog.CreateRuleSet() : CompileRules(rulesDirectory);
        if (ruleSet is null)
        {
            return ExitFailure;
        }

        using var alertStream = outputFile is null ? Console.OpenStandardOutput() : outputFile.Create();
        using var buffered = new BufferedStream(alertStream, 1 << 16);
        var writer = new AlertWriter(buffered);
        var engine = new ScanEngine(ruleSet, writer);
        foreach (var source in sources)
        {
            if (source == InputFiles.StandardInput)
            {
                using var stdin = Console.OpenStandardInput();
                engine.Scan(stdin, "-");
            }
            else
            {
                using var file = File.OpenRead(source);
                engine.Scan(file, source);
            }
        }

        buffered.Flush();
        SummaryPrinter.Print(Console.Error, engine.Summary, ruleSet, writer);
        return ExitSuccess;
    }

    private static RuleSet? CompileRules(DirectoryInfo directory)
    {
        if (!directory.Exists)
        {
            Console.Error.WriteLine($"compiled: rules folder not found: {directory.FullName}");
            return null;
        }

        var compilation = RuleCompiler.CompileDirectory(directory.FullName);
        foreach (var diagnostic in compilation.Diagnostics)
        {
            Console.Error.WriteLine(diagnostic.ToString());
        }

        if (!compilation.Success)
        {
            Console.Error.WriteLine($"compiled: the rules in {directory.FullName} have errors; nothing was scanned.");
            return null;
        }

        return compilation.CreateRuleSet();
    }
}
