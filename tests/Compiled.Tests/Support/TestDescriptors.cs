using Compiled.Runtime.Rules;

namespace Compiled.Tests.Support;

/// <summary>Metadata for rules written in C# by the tests, which match on their own code, not on a query.</summary>
public static class TestDescriptors
{
    /// <summary>Returns the metadata of an EQL rule named <paramref name="name"/> with a new rule id.</summary>
    public static RuleDescriptor Create(string name, string? timestampOverride = null) => new()
    {
        RuleId = Guid.NewGuid(),
        Name = name,
        Description = $"The test rule {name}.",
        Severity = Severity.Low,
        RiskScore = 21,
        Type = "eql",
        Language = "eql",
        Query = "any where true",
        SourceFile = name + ".toml",
        TimestampOverride = timestampOverride,
    };
}
