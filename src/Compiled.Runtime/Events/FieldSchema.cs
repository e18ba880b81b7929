namespace Compiled.Runtime.Events;

/// <summary>
/// The fields a set of compiled rules reads, each with a slot number. The decoder fills only these slots
/// and skips every other part of an event.
/// </summary>
public sealed class FieldSchema
{
    /// <summary>The field every event needs unless a rule overrides its timestamp field.</summary>
    public const string TimestampField = "@timestamp";

    private readonly Dictionary<string, int> _slots;
    private readonly Dictionary<string, PathNode> _paths;

    private FieldSchema(IReadOnlyList<string> fields, IReadOnlyList<string> timestampFields)
    {
        Fields = fields;
        _slots = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < fields.Count; i++)
        {
            _slots[fields[i]] = i;
        }

        _paths = BuildPaths(fields);
        PathLookup = _paths.GetAlternateLookup<ReadOnlySpan<char>>();
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

    internal Dictionary<string, PathNode>.AlternateLookup<ReadOnlySpan<char>> PathLookup { get; }

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
            paths[field] = paths.TryGetValue(field, out var existing) ? existing with { Slot = slot } : new PathNode(slot, false);
            for (int dot = field.IndexOf('.'); dot >= 0; dot = field.IndexOf('.', dot + 1))
            {
                string prefix = field[..dot];
                paths[prefix] = paths.TryGetValue(prefix, out var node) ? node with { HasChildren = true } : new PathNode(-1, true);
            }
        }

        return paths;
    }
}

/// <summary>A known path: the slot it fills (or -1) and whether longer paths start with it.</summary>
internal readonly record struct PathNode(int Slot, bool HasChildren);
