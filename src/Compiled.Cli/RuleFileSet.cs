using Compiled.Compiler;

namespace Compiled.Cli;

/// <summary>Reads the rule files that command-line arguments name: files as given, folders searched recursively.</summary>
internal static class RuleFileSet
{
    public static List<RuleFile> Read(IEnumerable<string> paths, out List<string> problems)
    {
        problems = [];
        var files = new List<RuleFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            MatchCasing = MatchCasing.CaseInsensitive,
            AttributesToSkip = FileAttributes.ReparsePoint,
        };
        foreach (var path in paths)
        {
            IEnumerable<string> found;
            if (File.Exists(path))
            {
                found = [path];
            }
            else if (Directory.Exists(path))
            {
                found = Directory.EnumerateFiles(path, "*.toml", options).Order(StringComparer.Ordinal);
            }
            else
            {
                problems.Add($"rules not found: {path}");
                continue;
            }

            foreach (var file in found)
            {
                string fullPath = Path.GetFullPath(file);
                if (!seen.Add(fullPath))
                {
                    continue;
                }

                try
                {
                    files.Add(new RuleFile(fullPath, File.ReadAllText(fullPath)));
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException)
                {
                    problems.Add($"cannot read {file}: {error.Message}");
                }
            }
        }

        return files;
    }
}
