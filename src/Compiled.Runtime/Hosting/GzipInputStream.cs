using System.IO.Compression;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Decompresses a gzip input and reports a damaged one as <see cref="CompressedDataException"/>, telling a
/// file that was cut short from one whose data is corrupt.
/// </summary>
/// <remarks>
/// <see cref="GZipStream"/> detects a cut-short stream only when the AppContext switch
/// <c>System.IO.Compression.UseStrictValidation</c> is on (.NET 7 and later). Without it, a truncated file
/// reads as if it ended there, and only its last, incomplete line is rejected. The <c>compiled</c>
/// executable and the tests turn the switch on in their project files.
/// NOTE: bytes after the last gzip member that do not start another member end the input without a
/// rejection, because <see cref="GZipStream"/> stops there and does not report how much input it used.
/// </remarks>
internal sealed class GzipInputStream(PeekStream compressed) : ReadOnlyInputStream
{
    private readonly GZipStream _gzip = new(compressed, CompressionMode.Decompress);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _gzip.Read(buffer);
        }
        catch (InvalidDataException error)
        {
            // A stream that needed more input after the compressed bytes ended was cut short. Corrupt data and
            // CRC or length mismatches are found while the decompressor still has input.
            throw compressed.InnerEnded
                ? new CompressedDataException("truncated gzip stream",
                    "truncated gzip stream: the compressed data ends inside a gzip member, so the file was cut short; the lines before this one were read",
                    error)
                : new CompressedDataException("invalid gzip data",
                    $"invalid gzip data: the decompressor reported \"{error.Message}\" (corrupt data, or a CRC or length mismatch); the rest of the input was not read",
                    error);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A compressed input that is cut short or corrupt. <see cref="Reason"/> is the rejection reason for the summary.</summary>
internal sealed class CompressedDataException(string reason, string message, Exception inner) : IOException(message, inner)
{
    public string Reason { get; } = reason;
}
