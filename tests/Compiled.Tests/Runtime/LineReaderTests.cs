using System.Text;
using Compiled.Runtime.Hosting;

namespace Compiled.Tests.Runtime;

public class LineReaderTests
{
    [Test]
    public void SplitsLfAndCrlfAndKeepsLastLine()
    {
        Assert.That(ReadAll("a\r\nb\nc"), Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public void StripsByteOrderMarkOnlyAtStart()
    {
        var lines = ReadAll("\uFEFF{\"a\":1}\n\uFEFFx");

        Assert.That(lines[0], Is.EqualTo("{\"a\":1}"));
        Assert.That(lines[1], Is.EqualTo("\uFEFFx"));
    }

    [Test]
    public void KeepsEmptyLinesAndCountsThem()
    {
        var reader = new LineReader(Stream("a\n\nb\n"), 1024);
        var lines = new List<(long, string)>();
        while (reader.TryReadLine(out var line, out _))
        {
            lines.Add((reader.LineNumber, Encoding.UTF8.GetString(line.Span)));
        }

        Assert.That(lines, Is.EqualTo(new[] { (1L, "a"), (2L, ""), (3L, "b") }));
    }

    [Test]
    public void LineOverLimitIsReportedAndSkipped()
    {
        var reader = new LineReader(Stream("short\n" + new string('x', 5000) + "\nafter\n"), 100);
        var results = new List<(string, bool)>();
        while (reader.TryReadLine(out var line, out bool tooLong))
        {
            results.Add((Encoding.UTF8.GetString(line.Span), tooLong));
        }

        Assert.That(results, Is.EqualTo(new[] { ("short", false), ("", true), ("after", false) }));
    }

    [Test]
    public void LinesLongerThanBufferAreWhole()
    {
        string big = new('y', 200_000);

        Assert.That(ReadAll(big + "\nz"), Is.EqualTo(new[] { big, "z" }));
    }

    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    private static List<string> ReadAll(string text)
    {
        var reader = new LineReader(Stream(text), 1 << 20);
        var lines = new List<string>();
        while (reader.TryReadLine(out var line, out _))
        {
            lines.Add(Encoding.UTF8.GetString(line.Span));
        }

        return lines;
    }
}
