namespace Compiled.Runtime.Sequences;

/// <summary>
/// The join key fields of one sequence stage: the sequence's <c>by</c> fields followed by the stage's own.
/// A field marked optional (<c>?field</c>) may be missing, and then joins with other missing values.
/// </summary>
public sealed class JoinKeys
{
    public static readonly JoinKeys None = new([], []);

    public JoinKeys(int[] slots, bool[] optional)
    {
        if (slots.Length != optional.Length)
        {
            throw new ArgumentException("Every join key slot needs an optional flag.", nameof(optional));
        }

        Slots = slots;
        Optional = optional;
    }

    public int[] Slots { get; }

    public bool[] Optional { get; }
}
