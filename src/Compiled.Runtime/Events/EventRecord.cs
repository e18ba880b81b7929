using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Compiled.Runtime.Events;

/// <summary>
/// One decoded event: the values of the schema's fields, the raw JSON line and where it came from.
/// A host reuses one record for every event, so after warm-up decoding allocates nothing.
/// </summary>
public sealed class EventRecord
{
    private readonly int[] _first;
    private readonly int[] _last;
    private readonly int[] _generationOfSlot;
    private readonly int[] _filledSlots;
    private readonly long[] _timestampCache;
    private readonly int[] _timestampGeneration;
    private FieldValue[] _values = new FieldValue[64];
    private int[] _elementScope = new int[16];
    private int[] _elementParent = new int[16];
    private int _elementCount;
    private int _currentElement = -1;
    private int _elementFilter = -1;
    private char[] _chars = new char[4096];
    private int _valueCount;
    private int _filledCount;
    private int _charCount;
    private int _generation = 1;

    private const int SnapshotHeaderInts = 5;

    public EventRecord(FieldSchema schema)
    {
        Schema = schema;
        schema.Freeze();
        int count = schema.SlotCount;
        _first = new int[count];
        _last = new int[count];
        _generationOfSlot = new int[count];
        _filledSlots = new int[count];
        _timestampCache = new long[count];
        _timestampGeneration = new int[count];
    }

    public FieldSchema Schema { get; }

    /// <summary>Space for strings built while the current event is evaluated, such as the results of <c>concat</c>.</summary>
    public Compiled.Runtime.Matching.Scratch Scratch { get; } = new();

    /// <summary>The event's JSON text, valid until the next event is decoded.</summary>
    public ReadOnlyMemory<byte> Json { get; internal set; }

    /// <summary>The input name, such as a file path or "-" for standard input.</summary>
    public string Source { get; internal set; } = string.Empty;

    /// <summary>The one-based line number of the event in its input.</summary>
    public long LineNumber { get; internal set; }

    /// <summary>The zero-based index of the event in a JSON array or in a response's hits, or -1 when it is a line of its own.</summary>
    public long ElementIndex { get; internal set; } = -1;

    /// <summary>
    /// The <c>_id</c> of the search hit or <c>_bulk</c> action that carried the event, as a JSON string token with
    /// its quotes, or empty when the event was not in one. <see cref="GetHitId"/> decodes it.
    /// </summary>
    public ReadOnlyMemory<byte> HitId { get; internal set; }

    /// <summary>The <c>_index</c> of the hit or bulk action, like <see cref="HitId"/>.</summary>
    public ReadOnlyMemory<byte> HitIndex { get; internal set; }

    /// <summary>Returns <see cref="HitId"/> decoded, or null when the event has none.</summary>
    public string? GetHitId() => DecodeJsonString(HitId.Span);

    /// <summary>Returns <see cref="HitIndex"/> decoded, or null when the event has none.</summary>
    public string? GetHitIndex() => DecodeJsonString(HitIndex.Span);

    /// <summary>
    /// Decodes a JSON string token with its quotes. Returns null when <paramref name="token"/> is empty, JSON null or
    /// the empty string, because Elasticsearch gives no document an empty <c>_id</c> or <c>_index</c>.
    /// </summary>
    internal static string? DecodeJsonString(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty)
        {
            return null;
        }

        var reader = new System.Text.Json.Utf8JsonReader(token);
        reader.Read();
        return reader.GetString() is { Length: > 0 } text ? text : null;
    }

    /// <summary>
    /// Returns true when the field has at least one non-null value. Inside <see cref="EnterElement"/>, only
    /// the values of the current element count.
    /// </summary>
    public bool HasValue(int slot)
    {
        if (_generationOfSlot[slot] != _generation)
        {
            return false;
        }

        if (_elementFilter < 0)
        {
            return true;
        }

        for (int index = _first[slot]; index >= 0; index = _values[index].Next)
        {
            if (InElementFilter(index))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The slots that have at least one value, in the order their first values were decoded. Element restrictions do not apply.</summary>
    internal ReadOnlySpan<int> FilledSlots => _filledSlots.AsSpan(0, _filledCount);

    /// <summary>Enumerates the values of a field without allocating. Inside <see cref="EnterElement"/>, only the current element's values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueEnumerator Values(int slot) => new(this, _generationOfSlot[slot] == _generation ? _first[slot] : -1);

    /// <summary>
    /// Returns the first element of the nested scope <paramref name="scope"/> after element
    /// <paramref name="after"/> (pass -1 to start), or -1 when there are no more. An element is one object
    /// at the scope's path, such as one entry of an array of objects. Inside <see cref="EnterElement"/>,
    /// only elements within the current element are returned.
    /// </summary>
    public int NextElement(int scope, int after)
    {
        for (int element = after + 1; element < _elementCount; element++)
        {
            if (_elementScope[element] == scope && (_elementFilter < 0 || IsWithin(element, _elementFilter)))
            {
                return element;
            }
        }

        return -1;
    }

    /// <summary>
    /// Restricts <see cref="Values"/> and <see cref="HasValue"/> to the values inside
    /// <paramref name="element"/>, as Elasticsearch's nested query tests one nested object at a time.
    /// Returns the previous restriction, which <see cref="ExitElement"/> restores.
    /// </summary>
    public int EnterElement(int element)
    {
        int previous = _elementFilter;
        _elementFilter = element;
        return previous;
    }

    /// <summary>Restores the restriction that <see cref="EnterElement"/> returned.</summary>
    public void ExitElement(int previous) => _elementFilter = previous;

    /// <summary>
    /// Starts an element of <paramref name="scope"/> inside the current one and returns the previous current
    /// element. Values added until <see cref="EndElement"/> belong to the new element.
    /// </summary>
    internal int StartElement(int scope)
    {
        if (_elementCount == _elementScope.Length)
        {
            Array.Resize(ref _elementScope, _elementCount * 2);
            Array.Resize(ref _elementParent, _elementCount * 2);
        }

        int element = _elementCount++;
        _elementScope[element] = scope;
        _elementParent[element] = _currentElement;
        int parent = _currentElement;
        _currentElement = element;
        return parent;
    }

    /// <summary>Ends the current element and makes <paramref name="parent"/>, which <see cref="StartElement"/> returned, current again.</summary>
    internal void EndElement(int parent) => _currentElement = parent;

    private bool InElementFilter(int index) => IsWithin(_values[index].Element, _elementFilter);

    /// <summary>Returns true when <paramref name="element"/> is <paramref name="ancestor"/> or lies inside it.</summary>
    private bool IsWithin(int element, int ancestor)
    {
        while (element >= 0)
        {
            if (element == ancestor)
            {
                return true;
            }

            element = _elementParent[element];
        }

        return false;
    }

    /// <summary>Returns the index of the field's first value, or -1; <see cref="ValueAt"/> and <see cref="FieldValue.Next"/> walk the rest.</summary>
    internal int FirstIndex(int slot) => HasValue(slot) ? _first[slot] : -1;

    internal ref readonly FieldValue ValueAt(int index) => ref _values[index];

    /// <summary>Returns the text of a value: the decoded string, the number as written, or true/false.</summary>
    public ReadOnlySpan<char> Text(in FieldValue value) => _chars.AsSpan(value.TextStart, value.TextLength);

    /// <summary>
    /// Reads the event time from <paramref name="slot"/>, falling back to <paramref name="fallbackSlot"/>
    /// (pass -1 for none), in nanoseconds since the Unix epoch. Strings are ISO 8601 or epoch-millisecond
    /// digits, and numbers are epoch milliseconds, as Elasticsearch's default date format reads them.
    /// </summary>
    public bool TryGetTimestamp(int slot, int fallbackSlot, out long nanoseconds)
    {
        if (TryGetTimestamp(slot, out nanoseconds))
        {
            return true;
        }

        return fallbackSlot >= 0 && TryGetTimestamp(fallbackSlot, out nanoseconds);
    }

    public bool TryGetTimestamp(int slot, out long nanoseconds)
    {
        if (_timestampGeneration[slot] == _generation)
        {
            nanoseconds = _timestampCache[slot];
            return nanoseconds != long.MinValue;
        }

        bool found = false;
        nanoseconds = 0;
        foreach (ref readonly var value in Values(slot))
        {
            found = value.Kind switch
            {
                FieldValueKind.String => Timestamps.TryParse(Text(value), out nanoseconds),
                FieldValueKind.Integer => Timestamps.TryFromEpochMilliseconds(value.Integer, out nanoseconds),
                FieldValueKind.Float => Timestamps.TryFromEpochMilliseconds(value.Number, out nanoseconds),
                _ => false,
            };
            break;
        }

        _timestampGeneration[slot] = _generation;
        _timestampCache[slot] = found ? nanoseconds : long.MinValue;
        return found;
    }

    internal void Clear()
    {
        Scratch.Clear();
        _generation++;
        _valueCount = 0;
        _filledCount = 0;
        _charCount = 0;
        _elementCount = 0;
        _currentElement = -1;
        _elementFilter = -1;
    }

    /// <summary>The size in bytes of what <see cref="WriteSnapshot"/> writes for the current event.</summary>
    internal long SnapshotLength =>
        (SnapshotHeaderInts * sizeof(int))
        + ((long)_valueCount * Unsafe.SizeOf<FieldValue>())
        + ((long)_filledCount * 3 * sizeof(int))
        + ((long)_elementCount * 2 * sizeof(int))
        + ((long)_charCount * sizeof(char))
        + ((long)CachedTimestampCount * 2 * sizeof(long));

    /// <summary>The number of the schema's timestamp fields whose parsed time is cached for the current event.</summary>
    private int CachedTimestampCount
    {
        get
        {
            int count = 0;
            foreach (int slot in Schema.TimestampSlots)
            {
                if (_timestampGeneration[slot] == _generation)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>
    /// Writes the decoded values of the current event into <paramref name="target"/>, which must hold
    /// <see cref="SnapshotLength"/> bytes, so that <see cref="RestoreSnapshot"/> can bring them back
    /// after other events were decoded. The times parsed from the schema's timestamp fields come along, so
    /// that rules do not parse them again. The origin (<see cref="Json"/>, <see cref="Source"/> and the
    /// positions) is not part of the snapshot.
    /// </summary>
    internal void WriteSnapshot(Span<byte> target)
    {
        Span<int> header = [_valueCount, _filledCount, _elementCount, _charCount, CachedTimestampCount];
        var writer = new SnapshotWriter(target);
        writer.Write<int>(header);
        writer.Write<FieldValue>(_values.AsSpan(0, _valueCount));
        for (int i = 0; i < _filledCount; i++)
        {
            int slot = _filledSlots[i];
            writer.Write<int>([slot, _first[slot], _last[slot]]);
        }

        writer.Write<int>(_elementScope.AsSpan(0, _elementCount));
        writer.Write<int>(_elementParent.AsSpan(0, _elementCount));
        writer.Write<char>(_chars.AsSpan(0, _charCount));
        foreach (int slot in Schema.TimestampSlots)
        {
            if (_timestampGeneration[slot] == _generation)
            {
                writer.Write<long>([slot, _timestampCache[slot]]);
            }
        }
    }

    /// <summary>
    /// Replaces the current event's values with those that <see cref="WriteSnapshot"/> wrote. Restoring
    /// copies arrays, so it costs far less than decoding the JSON again.
    /// </summary>
    internal void RestoreSnapshot(ReadOnlySpan<byte> snapshot)
    {
        Clear();
        Span<int> header = stackalloc int[SnapshotHeaderInts];
        var reader = new SnapshotReader(snapshot);
        reader.Read(header);
        int valueCount = header[0];
        int filledCount = header[1];
        int elementCount = header[2];
        int charCount = header[3];
        int timestampCount = header[4];

        if (valueCount > _values.Length)
        {
            Array.Resize(ref _values, valueCount);
        }

        reader.Read(_values.AsSpan(0, valueCount));
        Span<int> filled = stackalloc int[3];
        for (int i = 0; i < filledCount; i++)
        {
            reader.Read(filled);
            int slot = filled[0];
            _filledSlots[i] = slot;
            _generationOfSlot[slot] = _generation;
            _first[slot] = filled[1];
            _last[slot] = filled[2];
        }

        if (elementCount > _elementScope.Length)
        {
            Array.Resize(ref _elementScope, elementCount);
            Array.Resize(ref _elementParent, elementCount);
        }

        reader.Read(_elementScope.AsSpan(0, elementCount));
        reader.Read(_elementParent.AsSpan(0, elementCount));
        if (charCount > _chars.Length)
        {
            Array.Resize(ref _chars, charCount);
        }

        reader.Read(_chars.AsSpan(0, charCount));
        Span<long> slotAndTime = stackalloc long[2];
        for (int i = 0; i < timestampCount; i++)
        {
            reader.Read(slotAndTime);
            _timestampGeneration[(int)slotAndTime[0]] = _generation;
            _timestampCache[(int)slotAndTime[0]] = slotAndTime[1];
        }

        _valueCount = valueCount;
        _filledCount = filledCount;
        _elementCount = elementCount;
        _charCount = charCount;
    }

    /// <summary>Reserves room for <paramref name="length"/> characters and returns where they go.</summary>
    internal Span<char> ReserveChars(int length)
    {
        if (_charCount + length > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _charCount + length));
        }

        return _chars.AsSpan(_charCount, length);
    }

    /// <summary>Appends a value whose text was just written at <see cref="ReserveChars"/> and returns its index.</summary>
    internal int Add(int slot, FieldValueKind kind, int textLength, long integer, double number)
    {
        int index = Append(slot, new FieldValue(kind, _charCount, textLength, integer, number, -1, _currentElement));
        _charCount += textLength;
        return index;
    }

    /// <summary>Appends the value at <paramref name="index"/> to another slot as well, sharing its text.</summary>
    internal void AddCopy(int slot, int index)
    {
        ref readonly var value = ref _values[index];
        Append(slot, value.Copy());
    }

    private int Append(int slot, in FieldValue value)
    {
        if (_valueCount == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
        }

        int index = _valueCount++;
        _values[index] = value;
        if (_generationOfSlot[slot] != _generation)
        {
            _generationOfSlot[slot] = _generation;
            _first[slot] = index;
            _filledSlots[_filledCount++] = slot;
        }
        else
        {
            ref var previous = ref _values[_last[slot]];
            previous = previous.WithNext(index);
        }

        _last[slot] = index;
        return index;
    }

    /// <summary>Iterates the values of one field in document order.</summary>
    public ref struct ValueEnumerator
    {
        private readonly EventRecord _record;
        private int _next;
        private int _current;

        internal ValueEnumerator(EventRecord record, int first)
        {
            _record = record;
            _next = first;
            _current = -1;
        }

        public readonly ref readonly FieldValue Current => ref _record._values[_current];

        public readonly ValueEnumerator GetEnumerator() => this;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool MoveNext()
        {
            while (_next >= 0)
            {
                _current = _next;
                _next = _record._values[_current].Next;
                if (_record._elementFilter < 0 || _record.InElementFilter(_current))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Copies spans of unmanaged values into a byte span one after another.</summary>
    private ref struct SnapshotWriter(Span<byte> target)
    {
        private Span<byte> _rest = target;

        public void Write<T>(scoped ReadOnlySpan<T> values)
            where T : unmanaged
        {
            var bytes = MemoryMarshal.AsBytes(values);
            bytes.CopyTo(_rest);
            _rest = _rest[bytes.Length..];
        }
    }

    /// <summary>Reads back what <see cref="SnapshotWriter"/> wrote, in the same order.</summary>
    private ref struct SnapshotReader(ReadOnlySpan<byte> source)
    {
        private ReadOnlySpan<byte> _rest = source;

        public void Read<T>(scoped Span<T> values)
            where T : unmanaged
        {
            var bytes = MemoryMarshal.AsBytes(values);
            _rest[..bytes.Length].CopyTo(bytes);
            _rest = _rest[bytes.Length..];
        }
    }
}
