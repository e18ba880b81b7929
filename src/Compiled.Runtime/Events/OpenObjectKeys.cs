using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Compiled.Runtime.Events;

/// <summary>
/// The keys of every JSON object that the decoder has open, innermost last, for detecting a key that
/// appears twice in one object. Keys compare by their unescaped UTF-8 bytes, so <c>"a"</c> and
/// <c>"\u0061"</c> are the same key. The buffers grow to the largest event and are reused, so after
/// warm-up tracking allocates nothing.
/// </summary>
internal sealed class OpenObjectKeys
{
    /// <summary>Objects with at most this many keys are searched linearly. Objects with more keys get a hash table.</summary>
    private const int LinearSearchLimit = 32;

    /// <summary>The longest key or path, in characters, that a message shows in full.</summary>
    private const int MaxShownLength = 200;

    // The stack of keys: the keys of the outermost open object first, then those of each nested object.
    // A start of zero or more is an offset into the event's JSON. A negative start ~n is offset n in
    // _unescaped, which contains the keys that were written with escape sequences. Linear search compares
    // fingerprints, and hash tables use _hashes, which is set only for the keys of objects that have one.
    private long[] _fingerprints = new long[256];
    private int[] _hashes = new int[256];
    private int[] _starts = new int[256];
    private int[] _lengths = new int[256];
    private int _count;

    // Per open object: where its keys start on the stack, and its hash table once it outgrows linear
    // search (entries are key index + 1, 0 is empty, and the size is a power of two).
    private readonly int[] _firstKey;
    private readonly int[]?[] _tables;
    private readonly int[] _tableSizes;
    private int _depth;

    // Per open object in linear search: a 128-bit filter, two words, with one bit set for each key's fingerprint.
    // A key whose bit is clear is new to the object, so most keys skip the search.
    private readonly ulong[] _filters;

    private byte[] _unescaped = new byte[256];
    private int _unescapedLength;

    public OpenObjectKeys(int maxDepth)
    {
        _firstKey = new int[maxDepth + 1];
        _tables = new int[maxDepth + 1][];
        _tableSizes = new int[maxDepth + 1];
        _filters = new ulong[(maxDepth + 1) * 2];
    }

    /// <summary>Removes every key and closes every open object, before the next event.</summary>
    public void Clear()
    {
        while (_depth > 0)
        {
            EndObject();
        }

        _count = 0;
        _unescapedLength = 0;
    }

    public void BeginObject()
    {
        _firstKey[_depth] = _count;
        _filters[_depth * 2] = 0;
        _filters[(_depth * 2) + 1] = 0;
        _depth++;
    }

    public void EndObject()
    {
        // The table array stays for the next object at this depth, and BuildTable clears it before use.
        _depth--;
        _tableSizes[_depth] = 0;
        _count = _firstKey[_depth];
    }

    /// <summary>
    /// Adds the property name that <paramref name="reader"/> is on to the innermost open object.
    /// Returns false when that object already has the key. The key is added either way, so
    /// <see cref="DescribePath"/> names it.
    /// </summary>
    public bool Add(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        ReadOnlySpan<byte> key;
        int start;
        if (reader.ValueIsEscaped)
        {
            int maxLength = reader.ValueSpan.Length;
            if (_unescapedLength + maxLength > _unescaped.Length)
            {
                Array.Resize(ref _unescaped, Math.Max(_unescaped.Length * 2, _unescapedLength + maxLength));
            }

            int written = reader.CopyString(_unescaped.AsSpan(_unescapedLength));
            key = _unescaped.AsSpan(_unescapedLength, written);
            start = ~_unescapedLength;
            _unescapedLength += written;
        }
        else
        {
            // The decoder reads from one contiguous span, so a name is always a ValueSpan, and the
            // token starts at its opening quote.
            key = reader.ValueSpan;
            start = checked((int)reader.TokenStartIndex) + 1;
        }

        return Add(key, start, json);
    }

    /// <summary>
    /// Adds a key written without escape sequences, found at offset <paramref name="start"/> of the event's JSON,
    /// like <see cref="Add(ref Utf8JsonReader, ReadOnlySpan{byte})"/>.
    /// </summary>
    public bool Add(ReadOnlySpan<byte> key, int start, ReadOnlySpan<byte> json)
    {
        int level = _depth - 1;
        int first = _firstKey[level];
        long fingerprint = Fingerprint(key);
        int hash = 0;
        bool duplicate;
        if (_tableSizes[level] > 0)
        {
            hash = Hash(key);
            duplicate = ContainsInTable(level, hash, key, json);
        }
        else
        {
            int bit = (int)(((ulong)fingerprint * 0x9E3779B97F4A7C15) >> 57);
            ref ulong filter = ref _filters[(level * 2) + (bit >> 6)];
            ulong mask = 1UL << bit;
            duplicate = (filter & mask) != 0 && ContainsLinear(first, fingerprint, key, json);
            filter |= mask;
        }

        int index = Push(fingerprint, hash, start, key.Length);
        if (_tableSizes[level] > 0)
        {
            InsertInTable(level, index, json);
        }
        else if (index - first + 1 > LinearSearchLimit)
        {
            BuildTable(level, first, json);
        }

        return !duplicate;
    }

    /// <summary>
    /// Returns the dotted path of the value being read, from the last key added to each open object,
    /// as a JSON string literal shortened to <see cref="MaxShownLength"/> characters.
    /// </summary>
    public string DescribePath(ReadOnlySpan<byte> json)
    {
        var path = new StringBuilder();
        for (int level = 0; level < _depth; level++)
        {
            int last = level + 1 < _depth ? _firstKey[level + 1] - 1 : _count - 1;
            if (last < _firstKey[level])
            {
                // Only the innermost object can be empty here, because an enclosing one contains the key of its child.
                continue;
            }

            if (path.Length > 0)
            {
                path.Append('.');
            }

            path.Append(Encoding.UTF8.GetString(KeyBytes(last, json)));
        }

        return Quote(path.ToString());
    }

    /// <summary>Returns <paramref name="text"/> as a JSON string literal, cut to <see cref="MaxShownLength"/> characters.</summary>
    internal static string Quote(string text)
    {
        string shortened = text.Length > MaxShownLength ? text[..MaxShownLength] + "..." : text;
        return "\"" + JsonEncodedText.Encode(shortened, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString() + "\"";
    }

    private ReadOnlySpan<byte> KeyBytes(int index, ReadOnlySpan<byte> json)
    {
        int start = _starts[index];
        return start >= 0 ? json.Slice(start, _lengths[index]) : _unescaped.AsSpan(~start, _lengths[index]);
    }

    /// <summary>
    /// Returns the fingerprint of a key for linear search, made from its length and its first and last bytes.
    /// Different keys can share a fingerprint, so a match is compared byte by byte.
    /// </summary>
    private static long Fingerprint(ReadOnlySpan<byte> key)
    {
        ulong head;
        ulong tail = 0;
        if (key.Length >= 8)
        {
            head = BinaryPrimitives.ReadUInt64LittleEndian(key);
            tail = BinaryPrimitives.ReadUInt64LittleEndian(key[^8..]);
        }
        else if (key.Length >= 4)
        {
            // The two 4-byte reads overlap, and together they cover every byte of a key of 4 to 7 bytes.
            head = BinaryPrimitives.ReadUInt32LittleEndian(key) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(key[^4..]) << 24);
        }
        else
        {
            head = 0;
            foreach (byte b in key)
            {
                head = (head << 8) | b;
            }
        }

        return (long)(head ^ BitOperations.RotateLeft(tail, 29) ^ ((ulong)key.Length << 56));
    }

    /// <summary>
    /// Returns the hash of a key for the hash tables. <see cref="HashCode"/> is seeded per process, so keys
    /// that collide cannot be chosen without knowing the seed.
    /// </summary>
    private static int Hash(ReadOnlySpan<byte> key)
    {
        var hashCode = new HashCode();
        hashCode.AddBytes(key);
        return hashCode.ToHashCode();
    }

    private bool ContainsLinear(int first, long fingerprint, ReadOnlySpan<byte> key, ReadOnlySpan<byte> json)
    {
        // A plain loop: most objects have a few keys, too few for a vectorized search to pay for its set-up.
        var fingerprints = _fingerprints;
        for (int index = first; index < _count; index++)
        {
            if (fingerprints[index] == fingerprint && KeyBytes(index, json).SequenceEqual(key))
            {
                return true;
            }
        }

        return false;
    }

    private bool ContainsInTable(int level, int hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> json)
    {
        var table = _tables[level]!;
        int mask = _tableSizes[level] - 1;
        for (int bucket = hash & mask; table[bucket] != 0; bucket = (bucket + 1) & mask)
        {
            int index = table[bucket] - 1;
            if (_hashes[index] == hash && KeyBytes(index, json).SequenceEqual(key))
            {
                return true;
            }
        }

        return false;
    }

    private int Push(long fingerprint, int hash, int start, int length)
    {
        if (_count == _hashes.Length)
        {
            Array.Resize(ref _fingerprints, _count * 2);
            Array.Resize(ref _hashes, _count * 2);
            Array.Resize(ref _starts, _count * 2);
            Array.Resize(ref _lengths, _count * 2);
        }

        _fingerprints[_count] = fingerprint;
        _hashes[_count] = hash;
        _starts[_count] = start;
        _lengths[_count] = length;
        return _count++;
    }

    /// <summary>Adds a key to the object's hash table, doubling the table first when it would pass half full.</summary>
    private void InsertInTable(int level, int index, ReadOnlySpan<byte> json)
    {
        int keyCount = index - _firstKey[level] + 1;
        if (keyCount * 2 > _tableSizes[level])
        {
            BuildTable(level, _firstKey[level], json);
            return;
        }

        Insert(_tables[level]!, _tableSizes[level] - 1, index);
    }

    /// <summary>
    /// Builds the object's hash table from its keys, sized to at most a quarter full. The first build
    /// hashes every key of the object, and a rebuild reuses those hashes.
    /// </summary>
    private void BuildTable(int level, int first, ReadOnlySpan<byte> json)
    {
        if (_tableSizes[level] == 0)
        {
            for (int index = first; index < _count; index++)
            {
                _hashes[index] = Hash(KeyBytes(index, json));
            }
        }

        int keyCount = _count - first;
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)keyCount * 4);
        var table = _tables[level];
        if (table is null || table.Length < size)
        {
            table = new int[size];
            _tables[level] = table;
        }
        else
        {
            Array.Clear(table, 0, size);
        }

        _tableSizes[level] = size;
        for (int index = first; index < _count; index++)
        {
            Insert(table, size - 1, index);
        }
    }

    private void Insert(int[] table, int mask, int index)
    {
        int bucket = _hashes[index] & mask;
        while (table[bucket] != 0)
        {
            bucket = (bucket + 1) & mask;
        }

        table[bucket] = index + 1;
    }
}
