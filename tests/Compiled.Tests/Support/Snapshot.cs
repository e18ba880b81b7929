using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Compiled.Tests.Support;

/// <summary>
/// Golden-file snapshots in Verify's layout: <c>Snapshots/NAME.verified.cs</c> contains the accepted text.
/// A mismatch writes <c>NAME.received.cs</c> and fails with a line diff. <c>ACCEPT_SNAPSHOTS=1</c>
/// overwrites the verified file instead.
/// </summary>
public static class Snapshot
{
    public const string AcceptVariable = "ACCEPT_SNAPSHOTS";

    public static string Folder { get; } = Path.Combine(Paths.TestProject, "Snapshots");

    public static void Verify(string name, string actual)
    {
        actual = actual.Replace("\r\n", "\n");
        string verified = Path.Combine(Folder, name + ".verified.cs");
        string received = Path.Combine(Folder, name + ".received.cs");
        Directory.CreateDirectory(Folder);
        if (Environment.GetEnvironmentVariable(AcceptVariable) is "1" or "true")
        {
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }

        if (!File.Exists(verified))
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"There is no snapshot {verified}. Review {received} and rename it, or rerun with {AcceptVariable}=1.");
        }

        string expected = File.ReadAllText(verified).Replace("\r\n", "\n");
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, actual);
        Assert.Fail($"The generated code differs from {verified}; wrote {received}. Rerun with {AcceptVariable}=1 to accept.\n{Diff(expected, actual)}");
    }

    private static string Diff(string expected, string actual)
    {
        var builder = new StringBuilder();
        foreach (var line in InlineDiffBuilder.Diff(expected, actual, ignoreWhiteSpace: false).Lines)
        {
            string marker = line.Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => "  ",
            };
            if (line.Type != ChangeType.Unchanged)
            {
                builder.Append(marker).AppendLine(line.Text);
            }
        }

        return builder.ToString();
    }
}
