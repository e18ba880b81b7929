using System.CommandLine;
using Compiled.Cli;

var root = new RootCommand("Compiled runs Elastic detection rules, compiled to C#, over JSON events.");
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(RulesCommand.Create());
return root.Parse(args).Invoke();
