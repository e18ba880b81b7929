using System.Buffers;
using System.Runtime.ExceptionServices;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Hosting;

public sealed partial class ScanEngine
{
    private enum DocumentKind
    {
        Blank,
        Rejected,

        /// <summary>An event read but not yet decoded.</summary>
        Undecoded,
        DecodeError,

        /// <summary>A valid event with a time in at least one group.</summary>
        Event,

        /// <summary>A valid event whose time fields are valid, but none of them is a field that a rule orders by.</summary>
        Untimed,

        /// <summary>A valid event without a valid <c>@timestamp</c>.</summary>
        TimeProblem,
    }

    /// <summary>A range of one of a batch's byte buffers.</summary>
    private readonly record struct Extent(int Start, int Length);

    private struct DecodedDocument
    {
        public DocumentKind Kind;
        public long Line;
        public long Element;
        public string? Reason;

        /// <summary>The rejection's detail, the decoder's error or the timestamp problem.</summary>
        public string? Detail;
        public bool IsReadFailure;
        public long MergeTime;
        public Extent Json;
        public Extent Id;
        public Extent Index;

        /// <summary>The decoded values in the batch's snapshot buffer, empty when they were not kept.</summary>
        public Extent Snapshot;
    }

    /// <summary>The batches that hold a document larger than their capacity, now and at most at once, across all inputs.</summary>
    internal sealed class OversizedCount
    {
        private int _current;
        private int _peak;

        public int Peak => Volatile.Read(ref _peak);

        public void Add()
        {
            int current = Interlocked.Increment(ref _current);
            int peak;
            while (current > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, current, peak) != peak)
            {
            }
        }

        public void Remove() => Interlocked.Decrement(ref _current);
    }

    /// <summary>
    /// Documents of one input in order, with the bytes they need. Its buffers have fixed sizes, so a batch reused
    /// from input to input allocates nothing. A document larger than the whole JSON buffer takes a pooled array.
    /// </summary>
    private sealed class Batch
    {
        private readonly DecodedDocument[] _items;
        private readonly long[] _times;
        private readonly byte[] _snapshots;
        private readonly int _groups;
        private readonly byte[] _buffer;
        private readonly OversizedCount _oversized;

        /// <summary>The JSON bytes: <see cref="_buffer"/>, or a pooled array for a document larger than it.</summary>
        private byte[] _bytes;
        private int _snapshotBytes;

        /// <summary>
        /// The <see cref="Generation"/> in the high 32 bits, then the end and the start of the documents that no
        /// thread has taken for decoding, 16 bits each.
        /// </summary>
        private long _claims;
        private int _finished;
        private int _failedItem = int.MaxValue;

        /// <param name="groups">The engine's order groups, each with a time per document.</param>
        /// <param name="capacity">The JSON bytes a batch reads before it is full. Decoded values get four times as many.</param>
        /// <param name="oversized">The engine's count of batches that hold a document larger than their capacity.</param>
        public Batch(int groups, int capacity, OversizedCount oversized)
        {
            _oversized = oversized;
            _groups = groups;
            Capacity = capacity;
            _buffer = new byte[capacity];
            _bytes = _buffer;
            _snapshots = new byte[4 * capacity];

            // Events take well over 64 bytes each, so the item limit only ends a batch of blank lines or tiny documents.
            _items = new DecodedDocument[Math.Clamp(capacity / 64, 64, ushort.MaxValue)];
            _times = new long[_items.Length * groups];
        }

        public int Capacity { get; }

        public int Count { get; private set; }

        /// <summary>The next document the engine takes.</summary>
        public int Next { get; set; }

        public int Bytes { get; private set; }

        /// <summary>True when a document larger than <see cref="Capacity"/> gave the batch a buffer of its own size.</summary>
        public bool IsOversized => _bytes != _buffer;

        /// <summary>True when no further document is read into the batch.</summary>
        public bool IsFull => Count == _items.Length || Bytes >= Capacity;

        /// <summary>True once every document is read and <see cref="Count"/> is final.</summary>
        public bool Read { get; set; }

        /// <summary>True once every document is decoded and the engine may take the batch.</summary>
        public bool Decoded { get; set; }

        public bool HasUnclaimed
        {
            get
            {
                long claims = Volatile.Read(ref _claims);
                return (ushort)claims < (ushort)(claims >> 16);
            }
        }

        /// <summary>How many times the batch was emptied for reuse, modulo 2^32.</summary>
        public int Generation => (int)(Volatile.Read(ref _claims) >> 32);

        /// <summary>True when the input ends after this batch.</summary>
        public bool Ended { get; set; }

        public string? InputError { get; set; }

        public ExceptionDispatchInfo? Failure { get; set; }

        public ref DecodedDocument this[int item] => ref _items[item];

        public ReadOnlySpan<byte> Slice(Extent extent) => _bytes.AsSpan(extent.Start, extent.Length);

        public ReadOnlyMemory<byte> Memory(Extent extent) => _bytes.AsMemory(extent.Start, extent.Length);

        public ReadOnlySpan<byte> Snapshot(Extent extent) => _snapshots.AsSpan(extent.Start, extent.Length);

        /// <summary>The times of a document in each order group.</summary>
        public Span<long> Times(int item) => _times.AsSpan(item * _groups, _groups);

        /// <summary>
        /// Adds a document, copying its bytes. False when the batch is not empty and the document's bytes do not fit,
        /// and then the batch is unchanged. Call only while <see cref="IsFull"/> is false.
        /// </summary>
        public bool TryAdd(in Document document)
        {
            bool isEvent = !document.IsBlank && !document.IsRejected;
            int size = isEvent ? document.Json.Length + document.Id.Length + document.Index.Length : 0;
            if (Bytes + size > _bytes.Length)
            {
                if (Count > 0)
                {
                    return false;
                }

                // A document larger than the buffer gets a pooled array, returned when the batch is cleared, so
                // that large documents do not leave an array each on the large object heap.
                _bytes = ArrayPool<byte>.Shared.Rent(size);
                _oversized.Add();
            }

            ref var item = ref _items[Count++];
            item = default;
            item.Line = document.Line;
            item.Element = document.Element;
            if (isEvent)
            {
                item.Kind = DocumentKind.Undecoded;
                item.Json = Copy(document.Json.Span);
                item.Id = Copy(document.Id.Span);
                item.Index = Copy(document.Index.Span);
            }
            else if (document.IsBlank)
            {
                item.Kind = DocumentKind.Blank;
            }
            else
            {
                item.Kind = DocumentKind.Rejected;
                item.Reason = document.Reason;
                item.Detail = document.Detail;
                item.IsReadFailure = document.IsReadFailure;
            }

            return true;
        }

        /// <summary>Makes every document available for decoding, once <see cref="Count"/> is final.</summary>
        public void OpenClaims() => Volatile.Write(ref _claims, ((long)Generation << 32) | ((long)Count << 16));

        /// <summary>
        /// Takes up to <paramref name="size"/> documents for one thread to decode, from the start or from the end of
        /// those not taken, so that two threads work apart and seldom write the same cache lines. False when every
        /// document is taken or the batch is no longer at <paramref name="generation"/>, and then the batch is unchanged.
        /// </summary>
        public bool TryClaim(int generation, bool fromEnd, int size, out int first, out int end)
        {
            while (true)
            {
                long claims = Volatile.Read(ref _claims);
                int start = (ushort)claims;
                int stop = (ushort)(claims >> 16);
                if ((int)(claims >> 32) != generation || start >= stop)
                {
                    first = end = 0;
                    return false;
                }

                int count = Math.Min(size, stop - start);
                long next = fromEnd ? claims - ((long)count << 16) : claims + count;
                if (Interlocked.CompareExchange(ref _claims, next, claims) == claims)
                {
                    first = fromEnd ? stop - count : start;
                    end = first + count;
                    return true;
                }
            }
        }

        /// <summary>Counts taken documents as decoded. True when they were the last ones.</summary>
        public bool Finish(int count) => Interlocked.Add(ref _finished, count) == Count;

        /// <summary>
        /// Writes a record's decoded values into the snapshot buffer, which threads share by reserving space
        /// atomically. Returns an empty extent when they do not fit, and the engine then decodes the event again.
        /// </summary>
        public Extent TryWriteSnapshot(EventRecord record, long length)
        {
            if (length > _snapshots.Length)
            {
                return default;
            }

            int end = Interlocked.Add(ref _snapshotBytes, (int)length);
            if (end > _snapshots.Length || end < 0)
            {
                return default;
            }

            var extent = new Extent(end - (int)length, (int)length);
            record.WriteSnapshot(_snapshots.AsSpan(extent.Start, extent.Length));
            return extent;
        }

        /// <summary>Records an unexpected exception while decoding a document; the first document's exception is kept.</summary>
        public void Fail(int item, Exception error)
        {
            if (item < _failedItem)
            {
                _failedItem = item;
                Failure = ExceptionDispatchInfo.Capture(error);
            }
        }

        /// <summary>Drops the documents from the one that failed to decode on, and ends the input there. True when one failed.</summary>
        public bool EndAtFailure()
        {
            if (_failedItem == int.MaxValue)
            {
                return false;
            }

            Count = _failedItem;
            Ended = true;
            InputError = null;
            return true;
        }

        /// <summary>Empties the batch for reuse, and gives back the buffer of a document larger than <see cref="Capacity"/>.</summary>
        public void Clear()
        {
            // Strings of rejected documents are dropped, so a batch keeps only its buffers.
            Array.Clear(_items, 0, Count);
            if (_bytes != _buffer)
            {
                ArrayPool<byte>.Shared.Return(_bytes);
                _bytes = _buffer;
                _oversized.Remove();
            }

            Count = 0;
            Next = 0;
            Bytes = 0;
            _snapshotBytes = 0;
            Read = false;
            Decoded = false;
            _finished = 0;
            _failedItem = int.MaxValue;
            Volatile.Write(ref _claims, (long)(Generation + 1) << 32);
            Ended = false;
            InputError = null;
            Failure = null;
        }

        private Extent Copy(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_bytes.AsSpan(Bytes));
            var extent = new Extent(Bytes, bytes.Length);
            Bytes += bytes.Length;
            return extent;
        }
    }
}
