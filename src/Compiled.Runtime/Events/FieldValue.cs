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
/// decoding allocates nothing; numbers keep their text too, for string comparisons. A float keeps its
/// bits and an integer or boolean its value in one field, which keeps the struct at 32 bytes.
/// </summary>
public readonly struct FieldValue
{
    private readonly long _bits;

    internal FieldValue(FieldValueKind kind, int textStart, int textLength, long integer, double number, int next, int element)
    {
        _bits = kind == FieldValueKind.Float ? BitConverter.DoubleToInt64Bits(number) : integer;
        TextStart = textStart;
        TextLength = textLength;
        Next = next;
        Element = element;
        Kind = kind;
    }

    private FieldValue(in FieldValue value, int next)
    {
        _bits = value._bits;
        TextStart = value.TextStart;
        TextLength = value.TextLength;
        Next = next;
        Element = value.Element;
        Kind = value.Kind;
    }

    internal int TextStart { get; }

    internal int TextLength { get; }

    /// <summary>The index of the next value of the same field, or -1.</summary>
    internal int Next { get; }

    /// <summary>The innermost nested-query element that contains the value (see <see cref="EventRecord.NextElement"/>), or -1.</summary>
    internal int Element { get; }

    public FieldValueKind Kind { get; }

    /// <summary>The value of an integer, or 1 and 0 for true and false. A float gives its value cast to a long.</summary>
    public long Integer => Kind == FieldValueKind.Float ? (long)BitConverter.Int64BitsToDouble(_bits) : _bits;

    /// <summary>The value of any number as a double.</summary>
    public double Number => Kind == FieldValueKind.Float ? BitConverter.Int64BitsToDouble(_bits) : _bits;

    public bool IsNumber => Kind is FieldValueKind.Integer or FieldValueKind.Float;

    /// <summary>Returns this value with <see cref="Next"/> set to <paramref name="next"/>.</summary>
    internal FieldValue WithNext(int next) => new(this, next);

    /// <summary>Returns this value as the value of another field, first in its list.</summary>
    internal FieldValue Copy() => new(this, -1);
}
