namespace Compiled.Runtime.Hosting;

/// <summary>The order of events: time, then input (in the order given), then position in the input.</summary>
internal readonly record struct OrderKey(long Time, int Input, long Ordinal) : IComparable<OrderKey>
{
    public int CompareTo(OrderKey other)
    {
        int byTime = Time.CompareTo(other.Time);
        if (byTime != 0)
        {
            return byTime;
        }

        int byInput = Input.CompareTo(other.Input);
        return byInput != 0 ? byInput : Ordinal.CompareTo(other.Ordinal);
    }
}

/// <summary>An event held for reordering: where its bytes are, where it came from, and how many queues still hold it.</summary>
internal struct StoredEvent
{
    public int Chunk;
    public int Offset;
    public int Length;
    public int Input;

    // The lengths of the hit's _id and _index tokens, which are stored right after the JSON. 0 when the event had none.
    public int IdLength;
    public int IndexLength;
    public long Line;
    public long Element;
    public int References;

    // The location of the event's decoded values, stored when another event replaced them while a group still had this one queued.
    // SnapshotLength is 0 until then, and stays 0 when the values did not fit in the budget for decoded values.
    public int SnapshotChunk;
    public int SnapshotOffset;
    public int SnapshotLength;

    /// <summary>The full decode failed when the event was first released, so it is not evaluated again.</summary>
    public bool Rejected;

    /// <summary>The event was read ahead of the reorder buffer and is not yet queued, so the buffer's limits do not count it.</summary>
    public bool ReadAhead;

    /// <summary>A group released the event early because the reorder buffer was full, and the summary counted it.</summary>
    public bool ReleasedEarly;

    /// <summary>The entry contains an event, from <see cref="EventStore.Add"/> until its last release.</summary>
    public bool InUse;
}

/// <summary>
/// Holds copies of buffered events in reused 1 MiB chunks, so reordering allocates nothing once the
/// chunks exist. A chunk is reused when every event in it is released. Released chunks are all kept, so
/// the store keeps as many chunks as it ever needed at once. A document larger than a chunk gets an
/// array of its own, dropped when it is released.
/// A few events held long, such as events dated far in the future, would each keep a whole chunk in use.
/// When the chunks in use take more than twice the bytes of all held events and decoded values (large
/// documents included) plus four chunks, the store packs the events into its first chunks and keeps the
/// others as spares.
/// </summary>
internal sealed class EventStore
{
    internal const int ChunkSize = 1 << 20;

    /// <summary>The chunks in use that a store may have beyond twice the bytes held before it packs them.</summary>
    private const int SlackChunks = 4;

    private readonly List<byte[]?> _chunks = [];
    private readonly List<int> _live = [];
    private readonly Stack<int> _spare = new();
    private readonly Stack<int> _emptySlots = new();
    private readonly Stack<int> _freeEntries = new();
    private StoredEvent[] _entries = new StoredEvent[1024];
    private int _entryCount;
    private int _chunksInUse;
    private int _current = -1;
    private int _offset;

    /// <summary>The number of events held.</summary>
    public int Count { get; private set; }

    /// <summary>The bytes of the events held.</summary>
    public long Bytes { get; private set; }

    /// <summary>The number of held events marked by <see cref="SetReadAhead"/>.</summary>
    public int ReadAheadCount { get; private set; }

    /// <summary>The bytes of the events in <see cref="ReadAheadCount"/>, without their stored decoded values.</summary>
    public long ReadAheadBytes { get; private set; }

    /// <summary>The bytes of all stored decoded values, which <see cref="Bytes"/> does not count.</summary>
    public long SnapshotBytes { get; private set; }

    /// <summary>The number of 1 MiB chunks in use or kept for reuse.</summary>
    public int ChunkCount => _chunksInUse + _spare.Count;

    /// <summary>The number of times the store packed its chunks.</summary>
    public int Packs { get; private set; }

    public ref StoredEvent this[int id] => ref _entries[id];

    public ReadOnlyMemory<byte> Json(int id)
    {
        ref var entry = ref _entries[id];
        return new ReadOnlyMemory<byte>(_chunks[entry.Chunk], entry.Offset, entry.Length);
    }

    /// <summary>The <c>_id</c> token stored with the event, or empty.</summary>
    public ReadOnlyMemory<byte> HitId(int id)
    {
        ref var entry = ref _entries[id];
        return new ReadOnlyMemory<byte>(_chunks[entry.Chunk], entry.Offset + entry.Length, entry.IdLength);
    }

    /// <summary>The <c>_index</c> token stored with the event, or empty.</summary>
    public ReadOnlyMemory<byte> HitIndex(int id)
    {
        ref var entry = ref _entries[id];
        return new ReadOnlyMemory<byte>(_chunks[entry.Chunk], entry.Offset + entry.Length + entry.IdLength, entry.IndexLength);
    }

    /// <summary>
    /// Copies an event in, with the <c>_id</c> and <c>_index</c> tokens of its hit (empty when it has none). It stays
    /// until <see cref="Release"/> was called once per <see cref="AddReference"/>.
    /// </summary>
    public int Add(ReadOnlySpan<byte> json, ReadOnlySpan<byte> hitId, ReadOnlySpan<byte> hitIndex, int input, long line, long element)
    {
        int size = json.Length + hitId.Length + hitIndex.Length;
        var target = Allocate(size, out int chunk, out int offset);
        json.CopyTo(target);
        hitId.CopyTo(target[json.Length..]);
        hitIndex.CopyTo(target[(json.Length + hitId.Length)..]);
        int id;
        if (_freeEntries.Count > 0)
        {
            id = _freeEntries.Pop();
        }
        else
        {
            if (_entryCount == _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            id = _entryCount++;
        }

        _entries[id] = new StoredEvent
        {
            Chunk = chunk, Offset = offset, Length = json.Length, IdLength = hitId.Length, IndexLength = hitIndex.Length,
            Input = input, Line = line, Element = element, InUse = true,
        };
        Count++;
        Bytes += size;
        return id;
    }

    public void AddReference(int id) => _entries[id].References++;

    /// <summary>Drops one reference and returns true when the event was freed and its id may be reused.</summary>
    public bool Release(int id)
    {
        ref var entry = ref _entries[id];
        if (--entry.References > 0)
        {
            return false;
        }

        SetReadAhead(id, false);
        entry.InUse = false;
        Count--;
        Bytes -= entry.Length + entry.IdLength + entry.IndexLength;
        Free(entry.Chunk);
        if (entry.SnapshotLength > 0)
        {
            SnapshotBytes -= entry.SnapshotLength;
            Free(entry.SnapshotChunk);
        }

        _freeEntries.Push(id);
        return true;
    }

    /// <summary>
    /// Reserves <paramref name="length"/> bytes for the decoded values of event <paramref name="id"/> and
    /// returns them to be written. They count toward <see cref="SnapshotBytes"/> and are freed with the event.
    /// </summary>
    public Span<byte> ReserveSnapshot(int id, int length)
    {
        var target = Allocate(length, out int chunk, out int offset);
        ref var entry = ref _entries[id];
        entry.SnapshotChunk = chunk;
        entry.SnapshotOffset = offset;
        entry.SnapshotLength = length;
        SnapshotBytes += length;
        return target;
    }

    /// <summary>Marks or unmarks an event as read ahead, moving its bytes in or out of <see cref="ReadAheadBytes"/>.</summary>
    public void SetReadAhead(int id, bool readAhead)
    {
        ref var entry = ref _entries[id];
        if (entry.ReadAhead == readAhead)
        {
            return;
        }

        entry.ReadAhead = readAhead;
        int sign = readAhead ? 1 : -1;
        ReadAheadCount += sign;
        ReadAheadBytes += sign * (long)(entry.Length + entry.IdLength + entry.IndexLength);
    }

    /// <summary>Returns the decoded values stored by <see cref="ReserveSnapshot"/>, or an empty span when there are none.</summary>
    public ReadOnlySpan<byte> Snapshot(int id)
    {
        ref var entry = ref _entries[id];
        return entry.SnapshotLength == 0 ? default : _chunks[entry.SnapshotChunk].AsSpan(entry.SnapshotOffset, entry.SnapshotLength);
    }

    /// <summary>Returns <paramref name="size"/> bytes in the current chunk, or in a new one, and counts them as live there.</summary>
    private Span<byte> Allocate(int size, out int chunk, out int offset)
    {
        if (size > ChunkSize)
        {
            chunk = NewSlot(new byte[size]);
            offset = 0;
        }
        else
        {
            // Every event in the current chunk was released, so writing starts over at its beginning.
            if (_current >= 0 && _live[_current] == 0)
            {
                _offset = 0;
            }

            // Packing can leave room for the event in the last packed chunk.
            if (_current >= 0 && _offset + size > ChunkSize &&
                (long)_chunksInUse * ChunkSize > (2 * (Bytes + SnapshotBytes)) + (SlackChunks * (long)ChunkSize))
            {
                Pack();
            }

            if (_current < 0 || _offset + size > ChunkSize)
            {
                int previous = _current;
                _current = _spare.Count > 0 ? _spare.Pop() : NewSlot(new byte[ChunkSize]);
                _chunksInUse++;
                _offset = 0;
                if (previous >= 0 && _live[previous] == 0)
                {
                    Retire(previous);
                }
            }

            chunk = _current;
            offset = _offset;
            _offset += size;
        }

        _live[chunk]++;
        return _chunks[chunk].AsSpan(offset, size);
    }

    private void Free(int chunk)
    {
        if (--_live[chunk] == 0 && chunk != _current)
        {
            Retire(chunk);
        }
    }

    private void Retire(int chunk)
    {
        if (_chunks[chunk]!.Length == ChunkSize)
        {
            _chunksInUse--;
            _spare.Push(chunk);
        }
        else
        {
            _chunks[chunk] = null;
            _emptySlots.Push(chunk);
        }
    }

    /// <summary>
    /// Slides the events and decoded values held in chunks toward the first chunks, in chunk and offset order,
    /// so they fill the chunks without gaps, and keeps the emptied chunks as spares. Each block moves to the same
    /// or an earlier position, so no block is overwritten before it moves. Memory that a caller has from
    /// <see cref="Json"/>, <see cref="HitId"/>, <see cref="HitIndex"/> or <see cref="Snapshot"/> may then hold
    /// other bytes, so callers read those again after every <see cref="Add"/> and <see cref="ReserveSnapshot"/>.
    /// </summary>
    private void Pack()
    {
        Packs++;

        // The full-size chunks in slot order, and for each slot its place in that order.
        var order = new List<int>();
        var place = new int[_chunks.Count];
        for (int slot = 0; slot < _chunks.Count; slot++)
        {
            if (_chunks[slot] is { Length: ChunkSize })
            {
                place[slot] = order.Count;
                order.Add(slot);
            }
        }

        // Every block in a full-size chunk: its entry, whether it is the decoded values, and its position.
        var blocks = new List<(int Place, int Offset, int Id, bool Snapshot)>();
        for (int id = 0; id < _entryCount; id++)
        {
            ref var entry = ref _entries[id];
            if (!entry.InUse)
            {
                continue;
            }

            if (_chunks[entry.Chunk]!.Length == ChunkSize)
            {
                blocks.Add((place[entry.Chunk], entry.Offset, id, false));
            }

            if (entry.SnapshotLength > 0 && _chunks[entry.SnapshotChunk]!.Length == ChunkSize)
            {
                blocks.Add((place[entry.SnapshotChunk], entry.SnapshotOffset, id, true));
            }
        }

        blocks.Sort((a, b) => a.Place != b.Place ? a.Place.CompareTo(b.Place) : a.Offset.CompareTo(b.Offset));
        foreach (int slot in order)
        {
            _live[slot] = 0;
        }

        int target = 0;
        int targetOffset = 0;
        foreach (var (blockPlace, offset, id, snapshot) in blocks)
        {
            ref var entry = ref _entries[id];
            int size = snapshot ? entry.SnapshotLength : entry.Length + entry.IdLength + entry.IndexLength;
            if (targetOffset + size > ChunkSize)
            {
                target++;
                targetOffset = 0;
            }

            int slot = order[target];
            _chunks[order[blockPlace]].AsSpan(offset, size).CopyTo(_chunks[slot].AsSpan(targetOffset, size));
            if (snapshot)
            {
                entry.SnapshotChunk = slot;
                entry.SnapshotOffset = targetOffset;
            }
            else
            {
                entry.Chunk = slot;
                entry.Offset = targetOffset;
            }

            _live[slot]++;
            targetOffset += size;
        }

        // The chunks after the last one written are empty now.
        _spare.Clear();
        int used = blocks.Count == 0 ? 0 : target + 1;
        for (int i = order.Count - 1; i >= used; i--)
        {
            _spare.Push(order[i]);
        }

        _chunksInUse = used;
        _current = used == 0 ? -1 : order[target];
        _offset = used == 0 ? 0 : targetOffset;
    }

    private int NewSlot(byte[] data)
    {
        if (_emptySlots.Count > 0)
        {
            int slot = _emptySlots.Pop();
            _chunks[slot] = data;
            return slot;
        }

        _chunks.Add(data);
        _live.Add(0);
        return _chunks.Count - 1;
    }
}
