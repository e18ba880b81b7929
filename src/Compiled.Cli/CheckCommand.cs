using System.CommandLine;
using Compiled.Compiler;
using Microsoft.CodeAnalysis;

namespace Compiled.Cli;

/// <summary><c>compiled check</c>: compiles rule files and prints every diagnostic, like a compiler.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Rule files (*.toml) or folders of them, searched recursively.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("check", "Compile rule files and print each problem as file(line,col): severity ID: message. Exit code 1 when any rule has an error.");
        command.Arguments.Add(paths);
        command.SetAction(parse => Run(parse.GetValue(paths) ?? []));
        return command;
    }

    private static int Run(string[] paths)
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

        var compilation = RuleCompiler.Compile(files, skipInvalidRules: true);
        foreach (var diagnostic in compilation.Diagnostics)
        {
            Console.WriteLine(diagnostic.ToString());
        }

        int errors = compilation.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
        int warnings = compilation.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Warning);
        int invalidFiles = compilation.Errors.Select(d => d.Location.GetLineSpan().Path).Distinct().Count();
        int compiled = compilation.Success ? compilation.Descriptors().Count : 0;
        Console.WriteLine($"{files.Count} rule file(s): {compiled} compiled, {invalidFiles} with errors; {errors} error(s), {warnings} warning(s).");
        return errors > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }
}
