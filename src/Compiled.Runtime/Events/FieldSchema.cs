namespace Compiled.Runtime.Events;

/// <summary>
/// The fields a set of compiled rules reads, each with a slot number. The decoder fills only these slots
/// and skips every other part of an event. Field patterns (KQL field names with <c>*</c>) get the slots
/// after the fields, and the decoder fills them with the values of every matching path it reads.
/// </summary>
public sealed class FieldSchema
{
    /// <summary>The field every event needs unless a rule overrides its timestamp field.</summary>
    public const string TimestampField = "@timestamp";

    private readonly Dictionary<string, int> _slots;
    private readonly Dictionary<string, PathNode> _paths;
    private readonly List<FieldPattern> _patterns = new();
    private readonly List<string> _patternAnchors = new();
    private readonly List<string> _nestedPaths = new();
    private bool _frozen;
    private PathTrie? _trie;

    private FieldSchema(IReadOnlyList<string> fields, IReadOnlyList<string> timestampFields)
    {
        Fields = fields;
        _slots = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < fields.Count; i++)
        {
            _slots[fields[i]] = i;
        }

        _paths = BuildPaths(fields);
        var timestampSlots = System.Collections.Immutable.ImmutableArray.CreateBuilder<int>(timestampFields.Count);
        foreach (var field in timestampFields)
        {
            timestampSlots.Add(_slots[field]);
        }

        TimestampSlots = timestampSlots.MoveToImmutable();
    }

    /// <summary>The field paths in slot order.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>The slots of <c>@timestamp</c> and of every rule's timestamp override, <c>@timestamp</c> first.</summary>
    public System.Collections.Immutable.ImmutableArray<int> TimestampSlots { get; }

    /// <summary>The known paths as a tree of keys, built when first read. Reading it ends pattern and nested-path registration.</summary>
    internal PathTrie Trie
    {
        get
        {
            Freeze();

            // Two threads may both build it, and either result is the same tree.
            return _trie ??= PathTrie.Build(_paths);
        }
    }

    /// <summary>The registered field patterns; pattern <c>i</c> fills slot <c>Fields.Count + i</c>.</summary>
    public IReadOnlyList<FieldPattern> Patterns => _patterns;

    /// <summary>The number of slots: one per field, then one per field pattern.</summary>
    public int SlotCount => Fields.Count + _patterns.Count;

    /// <summary>True when a pattern's wildcard sits in the first path segment, so every top-level key may match.</summary>
    internal bool PatternsAtRoot { get; private set; }

    /// <summary>
    /// Registers <paramref name="pattern"/>, or finds an equal one, and returns its slot. Rules call this
    /// from their constructors, before the first <see cref="EventRecord"/> or <see cref="EventDecoder"/>
    /// uses the schema.
    /// </summary>
    public int PatternSlot(FieldPattern pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        int index = _patterns.IndexOf(pattern);
        if (index >= 0)
        {
            return Fields.Count + index;
        }

        if (_frozen)
        {
            throw new InvalidOperationException(
                $"The field pattern '{pattern.Text}' was registered after an event record or decoder was created; create the rules first.");
        }

        _patterns.Add(pattern);
        string anchor = pattern.Anchor;
        if (anchor.Length == 0)
        {
            PatternsAtRoot = true;
        }
        else
        {
            _paths[anchor] = _paths.TryGetValue(anchor, out var node) ? node with { StartsPatternScope = true } : new PathNode(-1, false, true, -1);
            AddPrefixes(_paths, anchor);
            _patternAnchors.Add(anchor);
        }

        return Fields.Count + _patterns.Count - 1;
    }

    /// <summary>
    /// Registers <paramref name="path"/> as the path of a KQL nested query (<c>path:{ ... }</c>), or finds it,
    /// and returns its scope number for <see cref="EventRecord.NextElement"/>. The decoder then numbers each
    /// object at the path, so the query can test the fields of one object at a time. Rules call this from
    /// their constructors, as <see cref="PatternSlot"/>.
    /// </summary>
    public int NestedScope(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        int index = _nestedPaths.IndexOf(path);
        if (index >= 0)
        {
            return index;
        }

        if (_frozen)
        {
            throw new InvalidOperationException(
                $"The nested path '{path}' was registered after an event record or decoder was created; create the rules first.");
        }

        _nestedPaths.Add(path);
        index = _nestedPaths.Count - 1;
        _paths[path] = _paths.TryGetValue(path, out var node) ? node with { NestedScope = index } : new PathNode(-1, false, false, index);
        AddPrefixes(_paths, path);
        return index;
    }

    /// <summary>
    /// Stops pattern and nested-path registration, because records and decoders size their buffers from
    /// <see cref="SlotCount"/> and a decoder that already read events would have missed the new paths.
    /// </summary>
    internal void Freeze() => _frozen = true;

    /// <summary>
    /// Returns true when <paramref name="path"/> lies below a pattern's anchor. The decoder calls this for a
    /// dotted key such as <c>"a.b.c": 1</c>, which reaches a path without passing through its parent objects.
    /// </summary>
    internal bool IsInPatternScope(ReadOnlySpan<char> path)
    {
        if (PatternsAtRoot)
        {
            return true;
        }

        foreach (string anchor in _patternAnchors)
        {
            if (path.Length > anchor.Length && path.StartsWith(anchor, StringComparison.Ordinal) && path[anchor.Length] == '.')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Returns true when some pattern can match a path below <paramref name="path"/>.</summary>
    internal bool PatternMayMatchBelow(ReadOnlySpan<char> path)
    {
        foreach (var pattern in _patterns)
        {
            if (pattern.MayMatchBelow(path))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Creates a schema from the fields that rules read, with <c>@timestamp</c> always included.</summary>
    public static FieldSchema Create(IEnumerable<string> fields, IEnumerable<string>? timestampFields = null)
    {
        var ordered = new List<string> { TimestampField };
        var seen = new HashSet<string>(StringComparer.Ordinal) { TimestampField };
        foreach (var field in fields)
        {
            if (seen.Add(field))
            {
                ordered.Add(field);
            }
        }

        var timestamps = new List<string> { TimestampField };
        foreach (var field in timestampFields ?? [])
        {
            if (!timestamps.Contains(field))
            {
                timestamps.Add(field);
            }

            if (seen.Add(field))
            {
                ordered.Add(field);
            }
        }

        return new FieldSchema(ordered, timestamps);
    }

    /// <summary>Looks up the slot of <paramref name="field"/>; false when no rule reads it.</summary>
    public bool TryGetSlot(string field, out int slot) => _slots.TryGetValue(field, out slot);

    /// <summary>Returns the slot of <paramref name="field"/>; throws when no rule declared it.</summary>
    public int Slot(string field) =>
        _slots.TryGetValue(field, out int slot)
            ? slot
            : throw new KeyNotFoundException($"The field '{field}' is not in the schema; a rule must declare every field it reads.");

    /// <summary>
    /// Indexes every field path and every dotted prefix of it. The decoder descends into <c>process</c>
    /// because a field starts with it, and skips <c>agent</c> because none does.
    /// </summary>
    private static Dictionary<string, PathNode> BuildPaths(IReadOnlyList<string> fields)
    {
        var paths = new Dictionary<string, PathNode>(StringComparer.Ordinal);
        for (int slot = 0; slot < fields.Count; slot++)
        {
            string field = fields[slot];
            paths[field] = paths.TryGetValue(field, out var existing) ? existing with { Slot = slot } : new PathNode(slot, false, false, -1);
            AddPrefixes(paths, field);
        }

        return paths;
    }

    /// <summary>Marks every dotted prefix of <paramref name="path"/> as having children.</summary>
    private static void AddPrefixes(Dictionary<string, PathNode> paths, string path)
    {
        for (int dot = path.IndexOf('.'); dot >= 0; dot = path.IndexOf('.', dot + 1))
        {
            string prefix = path[..dot];
            paths[prefix] = paths.TryGetValue(prefix, out var node) ? node with { HasChildren = true } : new PathNode(-1, true, false, -1);
        }
    }
}

/// <summary>
/// A known path: the slot it fills (or -1), whether longer paths start with it, whether field patterns
/// may match the paths below it, and the nested scope whose elements are the objects at it (or -1).
/// </summary>
internal readonly record struct PathNode(int Slot, bool HasChildren, bool StartsPatternScope, int NestedScope);
