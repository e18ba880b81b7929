namespace Compiled.Runtime.Events;

/// <summary>The JSON type of one decoded value. JSON null is not stored: ES treats it as a missing value.</summary>
public enum FieldValueKind : byte
{
    String,
    Integer,
    Float,
    Boolean,
}

/// <summary>
/// One value of a field in the current event. Its text lives in the event's character buffer, so
/// decoding allocates nothing; numbers keep their text too, for string comparisons.
/// </summary>
public readonly struct FieldValue
{
    internal FieldValue(FieldValueKind kind, int textStart, int textLength, long integer, double number, int next, int element)
    {
        Element = element;
        Kind = kind;
        TextStart = textStart;
        TextLength = textLength;
        Integer = integer;
        Number = number;
        Next = next;
    }

    public FieldValueKind Kind { get; }

    internal int TextStart { get; }

    internal int TextLength { get; }

    /// <summary>The value of an integer, or 1 and 0 for true and false.</summary>
    public long Integer { get; }

    /// <summary>The value of any number as a double.</summary>
    public double Number { get; }

    /// <summary>The index of the next value of the same field, or -1.</summary>
    internal int Next { get; }

    /// <summary>The innermost nested-query element that contains the value (see <see cref="EventRecord.NextElement"/>), or -1.</summary>
    internal int Element { get; }

    public bool IsNumber => Kind is FieldValueKind.Integer or FieldValueKind.Float;
}
