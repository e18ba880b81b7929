using System.Collections.Generic;
using Compiled.Generators.Diagnostics;

namespace Compiled.Generators.RuleFiles;

/// <summary>Converts character offsets in a rule file to zero-based lines and columns.</summary>
internal sealed class SourceLines
{
    private readonly List<int> _lineStarts = new() { 0 };
    private readonly int _length;

    public SourceLines(string text)
    {
        _length = text.Length;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                continue;
            }

            if (c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    /// <summary>Returns the span from <paramref name="start"/> with <paramref name="length"/> characters, clamped to the file.</summary>
    public FileSpan Span(int start, int length)
    {
        if (start < 0)
        {
            start = 0;
        }

        if (start > _length)
        {
            start = _length;
        }

        if (length < 0 || start + length > _length)
        {
            length = _length - start;
        }

        var (startLine, startColumn) = Position(start);
        var (endLine, endColumn) = Position(start + length);
        return new FileSpan(start, length, startLine, startColumn, endLine, endColumn);
    }

    private (int Line, int Column) Position(int offset)
    {
        int low = 0;
        int high = _lineStarts.Count - 1;
        while (low < high)
        {
            int mid = (low + high + 1) / 2;
            if (_lineStarts[mid] <= offset)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return (low, offset - _lineStarts[low]);
    }
}
