using System.Collections.Concurrent;

namespace Compiled.Tests.Support;

/// <summary>Temporary folders for tests, deleted when the test run ends.</summary>
public static class TempFolders
{
    private static readonly ConcurrentBag<string> Created = [];

    public static DirectoryInfo Create(string prefix)
    {
        var folder = Directory.CreateTempSubdirectory(prefix);
        Created.Add(folder.FullName);
        return folder;
    }

    /// <summary>Deletes every folder <see cref="Create"/> made, and reports each one it cannot delete.</summary>
    public static void DeleteAll()
    {
        while (Created.TryTake(out string? path))
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                TestContext.Progress.WriteLine($"Temporary folder {path} was not deleted: {error.Message}");
            }
        }
    }
}
