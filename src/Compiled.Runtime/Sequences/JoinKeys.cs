namespace Compiled.Runtime.Sequences;

/// <summary>
/// The join key fields of one sequence stage: the sequence's <c>by</c> fields followed by the stage's own.
/// A field marked optional (<c>?field</c>) may be missing, and then joins with other missing values.
/// </summary>
public sealed class JoinKeys
{
    public static readonly JoinKeys None = new([], []);

    public JoinKeys(int[] slots, bool[] optional)
        : this(slots, optional, new bool[slots.Length])
    {
    }

    /// <param name="slots">The slot of each key field.</param>
    /// <param name="optional">Whether each key field is optional.</param>
    /// <param name="dates">Whether each key field is a date, whose values join by instant whatever their format.</param>
    public JoinKeys(int[] slots, bool[] optional, bool[] dates)
    {
        if (slots.Length != optional.Length || slots.Length != dates.Length)
        {
            throw new ArgumentException("Every join key slot needs an optional flag and a date flag.", nameof(optional));
        }

        Slots = slots;
        Optional = optional;
        Dates = dates;
    }

    public int[] Slots { get; }

    public bool[] Optional { get; }

    public bool[] Dates { get; }
}
