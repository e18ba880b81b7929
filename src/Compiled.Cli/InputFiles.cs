using System.Text;
using System.Text.RegularExpressions;

namespace Compiled.Cli;

/// <summary>Expands the INPUT arguments of <c>compiled scan</c> into files.</summary>
internal static class InputFiles
{
    public const string StandardInput = "-";

    /// <summary>The names a folder scan reads; the content, not the name, decides the format.</summary>
    private static readonly string[] FolderExtensions = [".ndjson", ".json", ".jsonl", ".ndjson.gz", ".json.gz", ".jsonl.gz"];

    /// <summary>
    /// Returns the files to read in order: a file as given; a folder's <c>.ndjson</c>, <c>.jsonl</c> and
    /// <c>.json</c> files, gzipped or not, in ordinal path order (symbolic links inside the folder are not
    /// followed); the files a glob matches (<c>*</c>, <c>?</c> and <c>**</c> for any number of folders), in
    /// ordinal path order; and <c>-</c> for standard input. A file named twice is read once. A folder or glob
    /// takes regular files only and lists each FIFO, socket or device it skips in <paramref name="skipped"/>;
    /// one named explicitly is read like a pipe.
    /// </summary>
    public static List<string> Resolve(IEnumerable<string> inputs, out List<string> problems, out List<string> skipped)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        problems = [];
        var skippedFiles = new List<string>();
        skipped = skippedFiles;

        bool IsRegular(string path)
        {
            if (FileKind.SpecialKind(path) is not { } kind)
            {
                return true;
            }

            string message = $"skipped {path}: a {kind}, not a regular file";
            if (!skippedFiles.Contains(message))
            {
                skippedFiles.Add(message);
            }

            return false;
        }

        foreach (var input in inputs)
        {
            if (input == StandardInput)
            {
                // Standard input can be read only once.
                if (seen.Add(StandardInput))
                {
                    files.Add(StandardInput);
                }
            }
            else if (File.Exists(input))
            {
                if (seen.Add(Path.GetFullPath(input)))
                {
                    files.Add(input);
                }
            }
            else if (Directory.Exists(input))
            {
                var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
                var found = Directory.EnumerateFiles(input, "*", options)
                    .Where(path => FolderExtensions.Any(extension => path.EndsWith(extension, StringComparison.OrdinalIgnoreCase)))
                    .Where(path => IsRegular(path) && seen.Add(Path.GetFullPath(path)))
                    .Order(StringComparer.Ordinal);
                files.AddRange(found);
            }
            else if (IsGlob(input))
            {
                var found = ExpandGlob(input).ToList();
                if (found.Count == 0)
                {
                    problems.Add($"no file matches {input}");
                }

                files.AddRange(found.Where(path => IsRegular(path) && seen.Add(Path.GetFullPath(path))));
            }
            else
            {
                problems.Add($"input not found: {input}");
            }
        }

        return files;
    }

    /// <summary>
    /// Returns the input file that is the alert output file, or null. Two paths are the same file when they
    /// match once symbolic links are resolved, or when they have the same device and inode, as hard links do.
    /// Writing alerts there would truncate events before they are read.
    /// </summary>
    public static string? FindInputWrittenByOutput(IEnumerable<string> files, string outputFile)
    {
        string output = ResolveLinks(outputFile);
        var outputIdentity = FileKind.Identity(outputFile);
        foreach (var file in files)
        {
            if (file == StandardInput)
            {
                continue;
            }

            if (ResolveLinks(file) == output || outputIdentity is not null && FileKind.Identity(file) == outputIdentity)
            {
                return file;
            }
        }

        return null;
    }

    /// <summary>
    /// Returns the absolute path with every symbolic link in it replaced by its target, as realpath(3) does.
    /// The part of the path that does not exist is kept as written. <c>..</c> is removed before links are
    /// resolved, as <see cref="Path.GetFullPath(string)"/> does.
    /// </summary>
    internal static string ResolveLinks(string path)
    {
        // Linux stops following a chain of links after 40 of them (ELOOP).
        const int MaxLinks = 40;
        string pending = Path.GetFullPath(path);
        for (int links = 0; links < MaxLinks; links++)
        {
            string root = Path.GetPathRoot(pending) ?? "";
            var parts = pending[root.Length..].Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
            string resolved = root;
            string? relinked = null;
            for (int i = 0; i < parts.Length; i++)
            {
                string next = Path.Combine(resolved, parts[i]);
                if (new FileInfo(next).LinkTarget is { } target)
                {
                    relinked = Path.GetFullPath(Path.Combine([Path.GetFullPath(target, resolved), .. parts[(i + 1)..]]));
                    break;
                }

                resolved = next;
            }

            if (relinked is null)
            {
                return resolved;
            }

            pending = relinked;
        }

        return pending;
    }

    private static bool IsGlob(string input) => input.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>
    /// Expands a glob the same way on every shell: the part before the first folder with a wildcard is the
    /// root, and the rest is matched against each file's path below it. <c>*</c> and <c>?</c> stay within one
    /// folder name; <c>**</c> as a whole folder name matches any number of folders, none included.
    /// Symbolic links to folders are not followed.
    /// </summary>
    internal static IEnumerable<string> ExpandGlob(string pattern)
    {
        var parts = pattern.Split('/', '\\');
        int firstWild = Array.FindIndex(parts, part => IsGlob(part));
        string root = firstWild == 0 ? "." : string.Join('/', parts[..firstWild]);
        if (root.Length == 0)
        {
            root = "/";
        }

        if (!Directory.Exists(root))
        {
            return [];
        }

        var regex = new Regex("^" + ToRegex(parts[firstWild..]) + "$", RegexOptions.CultureInvariant);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        return Directory.EnumerateFiles(root, "*", options)
            .Where(path => regex.IsMatch(Path.GetRelativePath(root, path).Replace('\\', '/')))
            .Select(path => firstWild == 0 ? Path.GetRelativePath(".", path) : path)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static string ToRegex(string[] parts)
    {
        var regex = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            if (parts[i] == "**")
            {
                regex.Append(last ? ".*" : "(?:[^/]+/)*");
                continue;
            }

            foreach (char c in parts[i])
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }

            if (!last)
            {
                regex.Append('/');
            }
        }

        return regex.ToString();
    }
}
