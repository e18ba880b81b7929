using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Compiled.Runtime.Events;

/// <summary>
/// The known paths of a schema as a tree of keys, which the decoder walks with the UTF-8 bytes of each key,
/// so it finds a member's node without writing the member's path out as text. Node 0 is the event object.
/// A key is split at its dots, so <c>{"process.name":1}</c> and <c>{"process":{"name":1}}</c> reach the same
/// node, as a path string joins keys with dots. The tree is built once and only read after that.
/// </summary>
internal sealed class PathTrie
{
    /// <summary>The node number of a path that leads to no schema field.</summary>
    public const int Unknown = -1;

    public const int Root = 0;

    private static readonly PathNode UnknownNode = new(-1, false, false, -1);

    private readonly PathNode[] _nodes;
    private readonly byte[] _keys;

    // Open addressing with the edges in the table itself, so a probe reads one entry. A bucket whose child is 0 is
    // empty, because the root is no node's child. The size is a power of two.
    private readonly Edge[] _table;
    private readonly int _mask;

    private PathTrie(PathNode[] nodes, Edge[] edges, byte[] keys)
    {
        _nodes = nodes;
        _keys = keys;
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, edges.Length * 4));
        _table = new Edge[size];
        _mask = size - 1;
        foreach (var edge in edges)
        {
            int bucket = (int)edge.Hash & _mask;
            while (_table[bucket].Child != Root)
            {
                bucket = (bucket + 1) & _mask;
            }

            _table[bucket] = edge;
        }
    }

    /// <summary>The number of nodes, the root included. Nodes are numbered from 0.</summary>
    public int NodeCount => _nodes.Length;

    /// <summary>Returns the node's path data, or that of a path with no schema field for <see cref="Unknown"/>.</summary>
    public PathNode this[int node]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => node >= 0 ? _nodes[node] : UnknownNode;
    }

    /// <summary>
    /// Returns the node reached from <paramref name="parent"/> by the key <paramref name="key"/>, given as unescaped
    /// UTF-8, one node per dot-separated segment, or <see cref="Unknown"/> when no schema path continues that way.
    /// </summary>
    public int Child(int parent, ReadOnlySpan<byte> key) => Child(parent, key, out _);

    /// <summary>Returns the node reached from <paramref name="parent"/> by <paramref name="key"/>, and whether the key contains a dot.</summary>
    public int Child(int parent, ReadOnlySpan<byte> key, out bool dotted)
    {
        if (parent < 0)
        {
            dotted = key.Contains((byte)'.');
            return Unknown;
        }

        // Most keys have no dot and take one lookup. Hashing the whole key also finds its dots, so a key without
        // one is read once. A dotted key is hashed again part by part.
        uint hash = Hash(parent, key, out dotted);
        if (!dotted)
        {
            return Find(parent, key, hash);
        }

        int node = parent;
        while (node >= 0)
        {
            int dot = key.IndexOf((byte)'.');
            if (dot < 0)
            {
                return Find(node, key, Hash(node, key, out _));
            }

            node = Find(node, key[..dot], Hash(node, key[..dot], out _));
            key = key[(dot + 1)..];
        }

        return Unknown;
    }

    /// <summary>Builds the tree from path strings and their data. Every dotted prefix of a path must be a path too.</summary>
    public static PathTrie Build(IReadOnlyDictionary<string, PathNode> paths)
    {
        var nodes = new List<PathNode> { new(-1, paths.Count > 0, false, -1) };
        var edges = new List<Edge>();
        var keys = new List<byte>();
        var children = new Dictionary<(int Parent, string Key), int>();

        // Sorting makes node numbers, and so the tree, the same for the same schema.
        foreach (var path in paths.Keys.Order(StringComparer.Ordinal))
        {
            int node = Root;
            foreach (string segment in path.Split('.'))
            {
                if (!children.TryGetValue((node, segment), out int child))
                {
                    child = nodes.Count;
                    nodes.Add(UnknownNode);
                    byte[] bytes = Encoding.UTF8.GetBytes(segment);
                    edges.Add(new Edge(Hash(node, bytes, out _), node, child, keys.Count, bytes.Length));
                    keys.AddRange(bytes);
                    children[(node, segment)] = child;
                }

                node = child;
            }

            nodes[node] = paths[path];
        }

        return new PathTrie([.. nodes], [.. edges], [.. keys]);
    }

    private int Find(int parent, ReadOnlySpan<byte> key, uint hash)
    {
        var table = _table;
        for (int bucket = (int)hash & _mask; table[bucket].Child != Root; bucket = (bucket + 1) & _mask)
        {
            ref readonly var edge = ref table[bucket];
            if (edge.Hash == hash && edge.Parent == parent && edge.KeyLength == key.Length
                && key.SequenceEqual(_keys.AsSpan(edge.KeyStart, edge.KeyLength)))
            {
                return edge.Child;
            }
        }

        return Unknown;
    }

    /// <summary>
    /// Hashes a parent node and a key, and reports whether the key contains a dot. The table is fixed after it
    /// is built, so keys chosen to collide can only lengthen the probes of their own lookups.
    /// </summary>
    private static uint Hash(int parent, ReadOnlySpan<byte> key, out bool dotted)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        const ulong Ones = 0x0101010101010101;
        const ulong Dots = Ones * '.';
        const ulong HighBits = Ones * 0x80;
        ulong hash = ((ulong)(uint)parent << 32) | (uint)key.Length;

        // A byte of chunk ^ Dots is zero where the chunk has a dot, and (x - Ones) & ~x & HighBits is not zero
        // exactly when some byte of x is zero.
        ulong dotBytes = 0;
        while (key.Length >= 8)
        {
            ulong chunk = BinaryPrimitives.ReadUInt64LittleEndian(key);
            ulong x = chunk ^ Dots;
            dotBytes |= (x - Ones) & ~x & HighBits;
            hash = BitOperations.RotateLeft((hash ^ chunk) * Multiplier, 31);
            key = key[8..];
        }

        ulong tail = 0;
        if (key.Length >= 4)
        {
            // The two 4-byte reads overlap, and together they cover every byte of a rest of 4 to 7 bytes.
            tail = BinaryPrimitives.ReadUInt32LittleEndian(key) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(key[^4..]) << 32);
            ulong x = tail ^ Dots;
            dotBytes |= (x - Ones) & ~x & HighBits;
        }
        else
        {
            foreach (byte b in key)
            {
                tail = (tail << 8) | b;
                dotBytes |= b == (byte)'.' ? 1UL : 0;
            }
        }

        dotted = dotBytes != 0;
        hash = (hash ^ tail) * Multiplier;
        return (uint)(hash >> 32);
    }

    private readonly record struct Edge(uint Hash, int Parent, int Child, int KeyStart, int KeyLength);
}
