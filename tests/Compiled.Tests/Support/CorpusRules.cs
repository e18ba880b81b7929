using Compiled.Compiler;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Tests.Support;

/// <summary>Every EQL rule of the real Elastic detection-rules corpus, compiled once per test run.</summary>
public static class CorpusRules
{
    public static string Folder { get; } = Path.Combine(Paths.Shared, "corpus", "detection-rules");

    private static readonly Lazy<List<RuleFile>> LazyFiles = new(ReadEqlRuleFiles);

    private static readonly Lazy<RuleCompilation> LazyCompilation = new(() => RuleCompiler.Compile(Files));

    /// <summary>The corpus files whose rule type is <c>eql</c>, ordered by path.</summary>
    public static List<RuleFile> Files => LazyFiles.Value;

    /// <summary>The compilation of <see cref="Files"/>, shared by the tests that need it.</summary>
    public static RuleCompilation Compilation => LazyCompilation.Value;

    private static List<RuleFile> ReadEqlRuleFiles()
    {
        var files = new List<RuleFile>();
        foreach (var path in Directory.EnumerateFiles(Folder, "*.toml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string text = File.ReadAllText(path);
            var root = TomlSerializer.Deserialize<TomlTable>(text);
            if (root is not null && root.TryGetValue("rule", out var rule) && rule is TomlTable table &&
                table.TryGetValue("type", out var type) && type is "eql")
            {
                files.Add(new RuleFile(path, text));
            }
        }

        return files;
    }
}
