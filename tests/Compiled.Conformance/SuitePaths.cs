using System.Reflection;

namespace Compiled.Conformance;

/// <summary>Folders the conformance tests read: this project, the repository and Elasticsearch's EQL suite.</summary>
public static class SuitePaths
{
    /// <summary>The environment variable that points the tests at another copy of the suite.</summary>
    public const string SuiteVariable = "COMPILED_ES_EQL_SUITE";

    public static string TestProject { get; } = typeof(SuitePaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "ProjectDirectory").Value!;

    public static string Repository { get; } = Path.GetFullPath(Path.Combine(TestProject, "..", ".."));

    /// <summary>
    /// The suite folder: <c>COMPILED_ES_EQL_SUITE</c> when set (a relative path is taken from the
    /// repository root), otherwise <c>../shared/conformance/es-eql</c> beside the repository.
    /// </summary>
    public static string Suite { get; } = Path.GetFullPath(Path.Combine(
        Repository,
        Environment.GetEnvironmentVariable(SuiteVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine("..", "shared", "conformance", "es-eql")));

    /// <summary>The checked-in list of cases that pass, which <c>KnownPassingCasesStillPass</c> guards.</summary>
    public static string PassingCases { get; } = Path.Combine(TestProject, "passing-cases.txt");
}
