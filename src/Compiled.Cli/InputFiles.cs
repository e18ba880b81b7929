namespace Compiled.Cli;

/// <summary>Expands the INPUT arguments of <c>compiled scan</c> into files.</summary>
internal static class InputFiles
{
    public const string StandardInput = "-";

    /// <summary>
    /// Returns the files to read in order: a file as given, a folder's <c>.ndjson</c> and <c>.json</c> files
    /// in ordinal path order, and <c>-</c> for standard input. Paths that do not exist go to <paramref name="missing"/>.
    /// </summary>
    public static List<string> Resolve(IEnumerable<string> inputs, out List<string> missing)
    {
        var files = new List<string>();
        missing = [];
        foreach (var input in inputs)
        {
            if (input == StandardInput)
            {
                files.Add(StandardInput);
            }
            else if (File.Exists(input))
            {
                files.Add(input);
            }
            else if (Directory.Exists(input))
            {
                files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(path => path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else
            {
                missing.Add(input);
            }
        }

        return files;
    }
}
