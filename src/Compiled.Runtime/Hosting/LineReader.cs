namespace Compiled.Runtime.Hosting;

/// <summary>
/// Splits a stream into lines without allocating per line. Handles LF and CRLF endings, a UTF-8
/// byte-order mark at the start, and a last line without a newline. A line longer than the limit is
/// reported as too long and skipped to its end.
/// </summary>
public sealed class LineReader
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;
    private bool _atStart = true;

    public LineReader(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Min(1 << 16, maxLineBytes + 2)];
    }

    /// <summary>The one-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>
    /// Reads the next line. Returns false at the end of the stream. <paramref name="tooLong"/> is true when
    /// the line exceeded the limit; <paramref name="line"/> is then empty.
    /// </summary>
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out bool tooLong)
    {
        tooLong = false;
        int scanFrom = _start;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', scanFrom, _end - scanFrom);

            // The buffer holds up to 64 KiB past the limit, so a line can end inside it and still be too long.
            if (newline >= 0 ? newline - _start > _maxLineBytes : _end - _start > _maxLineBytes)
            {
                SkipRestOfLine();
                tooLong = true;
                line = ReadOnlyMemory<byte>.Empty;
                LineNumber++;
                return true;
            }

            if (newline >= 0)
            {
                line = Take(newline, newline + 1);
                return true;
            }

            if (_endOfStream)
            {
                if (_end > _start)
                {
                    line = Take(_end, _end);
                    return true;
                }

                line = ReadOnlyMemory<byte>.Empty;
                return false;
            }

            // Fill moves the unread bytes to the front, so remember how far the scan got relative to the line start.
            int scanned = _end - _start;
            Fill();
            scanFrom = _start + scanned;
        }
    }

    private ReadOnlyMemory<byte> Take(int lineEnd, int next)
    {
        int start = _start;
        if (_atStart)
        {
            _atStart = false;
            if (lineEnd - start >= 3 && _buffer[start] == 0xEF && _buffer[start + 1] == 0xBB && _buffer[start + 2] == 0xBF)
            {
                start += 3;
            }
        }

        int end = lineEnd;
        if (end > start && _buffer[end - 1] == (byte)'\r')
        {
            end--;
        }

        _start = next;
        LineNumber++;
        return new ReadOnlyMemory<byte>(_buffer, start, end - start);
    }

    /// <summary>Reads more bytes, moving the unread part to the front and growing the buffer when it is full.</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _maxLineBytes + 2 + (1 << 16)));
        }

        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfStream = true;
        }

        _end += read;
    }

    private void SkipRestOfLine()
    {
        _atStart = false;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                _start = newline + 1;
                return;
            }

            _start = _end;
            if (_endOfStream)
            {
                return;
            }

            Fill();
        }
    }
}
