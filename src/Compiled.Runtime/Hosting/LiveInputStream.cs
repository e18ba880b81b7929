using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Reads a pipe, terminal or socket on a thread of its own, so that the scan can release held events on
/// time and can stop while no data arrives. Before it takes each chunk, and when a wait for data reaches
/// the delay that <c>flushDelay</c> returns, a read calls <c>flush</c>. Every wait ends with
/// <see cref="OperationCanceledException"/> when <c>cancellation</c> is cancelled.
/// </summary>
internal sealed class LiveInputStream : ReadOnlyInputStream
{
    private const int ChunkBytes = 1 << 16;

    private readonly Stream _inner;
    private readonly Func<int> _flushDelay;
    private readonly Action _flush;
    private readonly CancellationToken _cancellation;
    private readonly BlockingCollection<Chunk> _chunks = new(boundedCapacity: 4);
    private readonly CancellationTokenSource _disposed = new();
    private Chunk _current;
    private int _offset;
    private bool _ended;

    /// <summary>Starts reading <paramref name="inner"/>, which the reader thread disposes when it stops.</summary>
    /// <param name="inner">The pipe, terminal or socket.</param>
    /// <param name="flushDelay">
    /// Returns the milliseconds until <paramref name="flush"/> is due: zero or less when it is due now,
    /// <see cref="Timeout.Infinite"/> when nothing waits for it.
    /// </param>
    /// <param name="flush">Called on the thread that reads this stream, inside <see cref="Read(Span{byte})"/>.</param>
    /// <param name="cancellation">Ends a waiting read with <see cref="OperationCanceledException"/>.</param>
    public LiveInputStream(Stream inner, Func<int> flushDelay, Action flush, CancellationToken cancellation)
    {
        _inner = inner;
        _flushDelay = flushDelay;
        _flush = flush;
        _cancellation = cancellation;
        new Thread(Pump) { IsBackground = true, Name = "compiled input reader" }.Start();
    }

    private readonly record struct Chunk(byte[]? Buffer, int Count, ExceptionDispatchInfo? Error);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_offset == _current.Count)
        {
            if (_ended)
            {
                return 0;
            }

            ReturnCurrent();
            _current = Next();
            _offset = 0;
            _current.Error?.Throw();
            if (_current.Count == 0)
            {
                _ended = true;
                return 0;
            }
        }

        int n = Math.Min(buffer.Length, _current.Count - _offset);
        _current.Buffer!.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    private Chunk Next()
    {
        while (true)
        {
            int delay = _flushDelay();
            if (delay == Timeout.Infinite)
            {
                return _chunks.Take(_cancellation);
            }

            if (delay <= 0)
            {
                _flush();
                continue;
            }

            if (_chunks.TryTake(out var chunk, delay, _cancellation))
            {
                return chunk;
            }
        }
    }

    /// <summary>Reads the inner stream chunk by chunk until its end, an error or disposal.</summary>
    private void Pump()
    {
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                Chunk chunk;
                try
                {
                    int read = _inner.Read(buffer, 0, ChunkBytes);
                    chunk = new Chunk(buffer, read, null);
                }
                catch (Exception error)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    chunk = new Chunk(null, 0, ExceptionDispatchInfo.Capture(error));
                }

                _chunks.Add(chunk, _disposed.Token);
                if (chunk.Count == 0)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The stream was disposed while the queue was full, so the rest of the input is not read.
        }
        finally
        {
            _inner.Dispose();
        }
    }

    private void ReturnCurrent()
    {
        if (_current.Buffer is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _current = default;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // NOTE: a reader thread blocked in a read of a pipe that stays open waits until the process exits.
            // The thread disposes the inner stream only when that read returns.
            _disposed.Cancel();
            ReturnCurrent();
        }

        base.Dispose(disposing);
    }
}
