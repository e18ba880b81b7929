namespace Compiled.Runtime.Hosting;

/// <summary>
/// The base of the host's input wrappers: a stream that can only be read forward, so every member for
/// seeking, length and writing throws <see cref="NotSupportedException"/>.
/// </summary>
internal abstract class ReadOnlyInputStream : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
