using Compiled.Tests.Support;

namespace Compiled.Tests;

/// <summary>Deletes the tests' temporary folders after the last test of the assembly.</summary>
[SetUpFixture]
public class TempFolderCleanup
{
    [OneTimeTearDown]
    public void DeleteTempFolders() => TempFolders.DeleteAll();
}
