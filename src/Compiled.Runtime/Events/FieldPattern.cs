namespace Compiled.Runtime.Events;

/// <summary>
/// A field name with <c>*</c> wildcards, such as <c>azure.auditlogs.properties.target_resources.*.type</c>,
/// that a KQL rule matches against every field path present in an event. A <c>*</c> matches any run of
/// characters, dots included, as Elasticsearch expands wildcard field names. Paths listed as excluded are
/// skipped, because the rule tests those fields with their own mapping type instead.
/// </summary>
public sealed class FieldPattern : IEquatable<FieldPattern>
{
    private readonly string[] _parts;
    private readonly HashSet<string> _excluded;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _excludedLookup;

    /// <summary>Creates a pattern from the text between its wildcards, so <c>a.*.b</c> has the parts <c>a.</c> and <c>.b</c>.</summary>
    public FieldPattern(string[] parts, string[] excluded)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(excluded);
        if (parts.Length < 2)
        {
            throw new ArgumentException("A field pattern needs at least one wildcard, so at least two parts.", nameof(parts));
        }

        _parts = (string[])parts.Clone();
        _excluded = new HashSet<string>(excluded, StringComparer.Ordinal);
        _excludedLookup = _excluded.GetAlternateLookup<ReadOnlySpan<char>>();
        Text = string.Join("*", parts);
    }

    /// <summary>The pattern as KQL writes it, with each wildcard as <c>*</c>.</summary>
    public string Text { get; }

    /// <summary>The text before the first wildcard.</summary>
    internal string Prefix => _parts[0];

    /// <summary>
    /// Returns the longest run of whole path segments before the first wildcard, such as <c>a.b</c> for
    /// <c>a.b.c*</c>, or an empty string when the wildcard sits in the first segment.
    /// </summary>
    internal string Anchor
    {
        get
        {
            int dot = _parts[0].LastIndexOf('.');
            return dot < 0 ? string.Empty : _parts[0][..dot];
        }
    }

    /// <summary>Returns true when <paramref name="path"/> matches the pattern and is not excluded.</summary>
    public bool IsMatch(ReadOnlySpan<char> path) => MatchesParts(path) && !_excludedLookup.Contains(path);

    /// <summary>
    /// Returns true when a path below <paramref name="path"/>, that is <c>path.something</c>, can match. Only
    /// the text before the first wildcard is checked.
    /// </summary>
    internal bool MayMatchBelow(ReadOnlySpan<char> path)
    {
        var prefix = _parts[0].AsSpan();
        int common = Math.Min(prefix.Length, path.Length);
        if (!path[..common].SequenceEqual(prefix[..common]))
        {
            return false;
        }

        return prefix.Length <= path.Length || prefix[path.Length] == '.';
    }

    private bool MatchesParts(ReadOnlySpan<char> path)
    {
        string first = _parts[0];
        string last = _parts[^1];
        if (path.Length < first.Length + last.Length || !path.StartsWith(first, StringComparison.Ordinal) ||
            !path.EndsWith(last, StringComparison.Ordinal))
        {
            return false;
        }

        // Each middle part takes its leftmost place, which leaves the most room for the parts after it.
        var rest = path[first.Length..^last.Length];
        for (int i = 1; i < _parts.Length - 1; i++)
        {
            int found = rest.IndexOf(_parts[i], StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            rest = rest[(found + _parts[i].Length)..];
        }

        return true;
    }

    public bool Equals(FieldPattern? other) =>
        other is not null && _parts.AsSpan().SequenceEqual(other._parts) && _excluded.SetEquals(other._excluded);

    public override bool Equals(object? obj) => Equals(obj as FieldPattern);

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;
}
