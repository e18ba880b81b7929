using System.CommandLine;
using Compiled.Compiler;
using Compiled.Runtime.Rules;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Cli;

/// <summary><c>compiled rules</c>: lists the built-in rules, or the rules in the given files and folders.</summary>
internal static class RulesCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Rule files or folders to list instead of the built-in rules.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("rules", "List rules: rule_id, name, type, severity, language, and whether the rule compiled. A file that is not a valid rule is listed by its file name, with its first error.");
        command.Arguments.Add(paths);
        command.SetAction(parse => Run(parse.GetValue(paths) ?? []));
        return command;
    }

    private static int Run(string[] paths)
    {
        var rows = new List<string[]>();
        if (paths.Length == 0)
        {
            rows.AddRange(Compiled.Rules.RuleCatalog.Descriptors.Select(rule => Row(rule.RuleIdText, rule.Name, rule.Type, SeverityText(rule.Severity), rule.Language, "yes")));
        }
        else
        {
            var files = RuleFileSet.Read(paths, out var problems);
            foreach (var problem in problems)
            {
                Console.Error.WriteLine("compiled: " + problem);
            }

            if (files.Count == 0 && problems.Count > 0)
            {
                return ExitCodes.Failure;
            }

            var compilation = RuleCompiler.Compile(files, skipInvalidRules: true);
            var compiledIds = compilation.Success
                ? compilation.Descriptors().Select(rule => rule.RuleIdText).ToHashSet(StringComparer.Ordinal)
                : [];
            var invalidFiles = compilation.InvalidFiles;
            foreach (var file in files)
            {
                var rule = ReadRuleTable(file.Text);
                if (rule is null)
                {
                    // Without a readable [rule] table only the file name identifies the row.
                    rows.Add(Row("-", Path.GetFileName(file.Path), "-", "-", "-", "no: " + FirstError(compilation, file.Path)));
                    continue;
                }

                string ruleId = Text(rule, "rule_id");
                rows.Add(Row(ruleId, Text(rule, "name"), Text(rule, "type"), Text(rule, "severity"), Text(rule, "language"),
                    compiledIds.Contains(ruleId) && !invalidFiles.Contains(file.Path) ? "yes" : "no"));
            }

            if (problems.Count > 0)
            {
                Print(rows);
                return ExitCodes.Failure;
            }
        }

        Print(rows);
        return ExitCodes.Success;
    }

    private static void Print(List<string[]> rows)
    {
        var table = new List<string[]> { new[] { "RULE_ID", "NAME", "TYPE", "SEVERITY", "LANGUAGE", "COMPILED" } };
        table.AddRange(rows.OrderBy(row => row[1], StringComparer.Ordinal));
        var widths = Enumerable.Range(0, 6).Select(column => table.Max(row => row[column].Length)).ToArray();
        foreach (var row in table)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, column) => column == 5 ? cell : cell.PadRight(widths[column]))).TrimEnd());
        }

        Console.WriteLine($"{rows.Count} rule(s), {rows.Count(row => row[5] == "yes")} compiled.");
    }

    /// <summary>Returns the first error reported in the file as <c>(line,column) ID: message</c>.</summary>
    private static string FirstError(RuleCompilation compilation, string path)
    {
        var error = compilation.Errors.FirstOrDefault(d => d.Location.GetLineSpan().Path == path);
        if (error is null)
        {
            return "the file has no [rule] table";
        }

        var position = error.Location.GetLineSpan().StartLinePosition;
        return $"({position.Line + 1},{position.Character + 1}) {error.Id}: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static string[] Row(params string[] cells) => cells.Select(SummaryPrinter.OneLine).ToArray();

    internal static TomlTable? ReadRuleTable(string text)
    {
        try
        {
            return TomlSerializer.Deserialize<TomlTable>(text)?.TryGetValue("rule", out var rule) == true ? rule as TomlTable : null;
        }
        catch (TomlException)
        {
            return null;
        }
    }

    internal static string Text(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out var value) && value is string text ? text : "-";

    private static string SeverityText(Severity severity) => severity.ToString().ToLowerInvariant();
}
