namespace Compiled.Runtime.Hosting;

/// <summary>
/// A read-only stream that can look at its first bytes before they are read, so the format of standard
/// input or a compressed file can be found without seeking.
/// </summary>
internal sealed class PeekStream(Stream inner) : ReadOnlyInputStream
{
    private byte[] _head = [];
    private int _headStart;
    private int _headEnd;
    private bool _innerEnded;

    // A read error met while peeking, such as a damaged gzip stream. It is thrown once the bytes before it
    // have been read, so that a truncated gzip file still yields its complete lines.
    private Exception? _pendingError;

    /// <summary>True once the inner stream returned 0 bytes from a read.</summary>
    public bool InnerEnded => _innerEnded;

    /// <summary>Returns up to <paramref name="count"/> bytes from the current position without consuming them; fewer at the end of the input.</summary>
    public ReadOnlySpan<byte> Peek(int count)
    {
        if (_headEnd - _headStart < count && !_innerEnded)
        {
            if (_head.Length - _headStart < count)
            {
                var larger = new byte[Math.Max(Math.Max(count, 4096), _head.Length * 2)];
                Buffer.BlockCopy(_head, _headStart, larger, 0, _headEnd - _headStart);
                _headEnd -= _headStart;
                _headStart = 0;
                _head = larger;
            }

            while (_headEnd - _headStart < count)
            {
                int read;
                try
                {
                    read = inner.Read(_head, _headEnd, _head.Length - _headEnd);
                }
                catch (Exception error) when (error is IOException or InvalidDataException)
                {
                    _pendingError = error;
                    _innerEnded = true;
                    break;
                }

                if (read == 0)
                {
                    _innerEnded = true;
                    break;
                }

                _headEnd += read;
            }
        }

        return _head.AsSpan(_headStart, Math.Min(count, _headEnd - _headStart));
    }

    /// <summary>The bytes read ahead and not yet consumed.</summary>
    public ReadOnlySpan<byte> Buffered => _head.AsSpan(_headStart, _headEnd - _headStart);

    /// <summary>
    /// Reads ahead with one read of the inner stream, which returns what a pipe has available instead of
    /// waiting for a fixed amount. Returns false at the end of the input.
    /// </summary>
    public bool PeekMore()
    {
        if (_innerEnded)
        {
            return false;
        }

        int before = _headEnd - _headStart;
        Peek(before + 1);
        return _headEnd - _headStart > before;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_headEnd > _headStart)
        {
            int n = Math.Min(buffer.Length, _headEnd - _headStart);
            _head.AsSpan(_headStart, n).CopyTo(buffer);
            _headStart += n;
            return n;
        }

        if (_pendingError is { } error)
        {
            _pendingError = null;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        if (_innerEnded || buffer.IsEmpty)
        {
            return 0;
        }

        int read = inner.Read(buffer);
        _innerEnded = read == 0;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
