namespace Compiled.Conformance;

/// <summary>
/// The checked-in list of suite cases that pass: one case name per line, <c>#</c> starts a comment line.
/// </summary>
public static class PassingCases
{
    /// <summary>When set to 1, <c>KnownPassingCasesStillPass</c> rewrites the list from the current results.</summary>
    public const string UpdateVariable = "COMPILED_UPDATE_PASSING_CASES";

    public static bool UpdateRequested => Environment.GetEnvironmentVariable(UpdateVariable) is "1" or "true";

    private static readonly Lazy<IReadOnlySet<string>> Listed = new(() => Read(SuitePaths.PassingCases));

    /// <summary>The listed names, read once per run.</summary>
    public static IReadOnlySet<string> Names => Listed.Value;

    public static IReadOnlySet<string> Read(string path)
    {
        if (!File.Exists(path))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        return File.ReadLines(path)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);
    }

    public static void Write(string path, IEnumerable<string> names)
    {
        var lines = new List<string>
        {
            "# Elasticsearch EQL suite cases that pass. KnownPassingCasesStillPass fails when one of them fails.",
            $"# Regenerate: {UpdateVariable}=1 dotnet test tests/Compiled.Conformance --filter Name=KnownPassingCasesStillPass",
        };
        lines.AddRange(names.Order(StringComparer.Ordinal));
        File.WriteAllLines(path, lines);
    }
}
