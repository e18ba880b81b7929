using System.CommandLine;
using System.CommandLine.Invocation;
using Compiled.Cli;

var root = new RootCommand("Compiled runs Elastic detection rules, compiled to C#, over JSON events.");
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(TestCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(RulesCommand.Create());

// System.CommandLine reports an unknown first word as a missing command too, so that case gets one message here.
if (args.Length > 0 && !args[0].StartsWith('-') && !root.Subcommands.Any(command => command.Name == args[0]))
{
    Console.Error.WriteLine($"compiled: unknown command '{args[0]}'. Commands: {string.Join(", ", root.Subcommands.Select(command => command.Name))}. Run 'compiled --help' for usage.");
    return ExitCodes.Usage;
}

var parse = root.Parse(args);
int exitCode = parse.Invoke();

// System.CommandLine prints parse errors with the help text and returns 1; a usage error is 2 here, as in most CLIs.
return parse.Action is ParseErrorAction ? ExitCodes.Usage : exitCode;
