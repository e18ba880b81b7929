namespace Compiled.Cli;

/// <summary>Expands the INPUT arguments of <c>compiled scan</c> into files.</summary>
internal static class InputFiles
{
    public const string StandardInput = "-";

    /// <summary>
    /// Returns the files to read in order: a file as given, a folder's <c>.ndjson</c> and <c>.json</c> files in
    /// ordinal path order (symbolic links inside the folder are not followed), and <c>-</c> for standard input.
    /// The alert output file is never read as input: naming it explicitly is a problem, and a folder scan skips it.
    /// </summary>
    public static List<string> Resolve(IEnumerable<string> inputs, string? outputFile, out List<string> problems)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        problems = [];
        foreach (var input in inputs)
        {
            if (input == StandardInput)
            {
                files.Add(StandardInput);
            }
            else if (File.Exists(input))
            {
                if (Path.GetFullPath(input) == outputFile)
                {
                    problems.Add($"the output file {input} is also an input; write the alerts somewhere else");
                }
                else if (seen.Add(Path.GetFullPath(input)))
                {
                    files.Add(input);
                }
            }
            else if (Directory.Exists(input))
            {
                var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
                var found = Directory.EnumerateFiles(input, "*", options)
                    .Where(path => path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    .Where(path => Path.GetFullPath(path) != outputFile && seen.Add(Path.GetFullPath(path)))
                    .Order(StringComparer.Ordinal);
                files.AddRange(found);
            }
            else
            {
                problems.Add($"input not found: {input}");
            }
        }

        return files;
    }
}
