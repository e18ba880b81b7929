namespace Compiled.Runtime.Sequences;

/// <summary>
/// A join key held in a reusable character buffer, so that a matcher's states can change keys without
/// allocating. The dictionaries that hold these are looked up by the key as a span.
/// </summary>
internal readonly struct KeyText(char[] chars, int length)
{
    public ReadOnlySpan<char> Span => chars.AsSpan(0, length);

    /// <summary>Copies <paramref name="key"/> into <paramref name="buffer"/>, which grows when it is too short.</summary>
    public static KeyText Store(ref char[] buffer, ReadOnlySpan<char> key)
    {
        if (buffer.Length < key.Length)
        {
            buffer = new char[Math.Max(key.Length, buffer.Length * 2)];
        }

        key.CopyTo(buffer);
        return new KeyText(buffer, key.Length);
    }

    public override string ToString() => Span.ToString();
}

/// <summary>Compares <see cref="KeyText"/> keys, and spans with them, ordinally.</summary>
internal sealed class KeyTextComparer : IEqualityComparer<KeyText>, IAlternateEqualityComparer<ReadOnlySpan<char>, KeyText>
{
    public static readonly KeyTextComparer Instance = new();

    public bool Equals(KeyText x, KeyText y) => x.Span.SequenceEqual(y.Span);

    public int GetHashCode(KeyText key) => string.GetHashCode(key.Span);

    public bool Equals(ReadOnlySpan<char> alternate, KeyText other) => alternate.SequenceEqual(other.Span);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate);

    public KeyText Create(ReadOnlySpan<char> alternate) => new(alternate.ToArray(), alternate.Length);
}
