using System.Reflection;

namespace Compiled.Tests.Support;

/// <summary>Folders the tests read: the repository and the shared test material beside it.</summary>
public static class Paths
{
    public static string TestProject { get; } = typeof(Paths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "ProjectDirectory").Value!;

    public static string Repository { get; } = Path.GetFullPath(Path.Combine(TestProject, "..", ".."));

    public static string Rules { get; } = Path.Combine(Repository, "rules");

    public static string Samples { get; } = Path.Combine(Repository, "samples");

    /// <summary>The shared, read-only test material: rule corpus, real events, Elasticsearch's EQL suite.</summary>
    public static string Shared { get; } = Path.GetFullPath(Path.Combine(Repository, "..", "shared"));

    public static string CorpusEvents { get; } = Path.Combine(Shared, "corpus-events");

    /// <summary>ECS's generated field list, which KQL rules take their field types from.</summary>
    public static string EcsFields { get; } = Path.Combine(Shared, "reference", "ecs", "fields.csv");

    public static string SeedRule { get; } = Path.Combine(Rules, "macos_installer_spawns_network_event.toml");
}
