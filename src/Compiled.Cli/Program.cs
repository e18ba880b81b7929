using System.CommandLine;
using System.CommandLine.Invocation;
using Compiled.Cli;

var root = new RootCommand("Compiled runs Elastic detection rules, compiled to C#, over JSON events.");
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(TestCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(RulesCommand.Create());

var parse = root.Parse(args);
int exitCode = parse.Invoke();

// System.CommandLine prints parse errors with the help text and returns 1; a usage error is 2 here, as in most CLIs.
return parse.Action is ParseErrorAction ? ExitCodes.Usage : exitCode;
