using System.Globalization;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Matching;

/// <summary>The type of an <see cref="EqlValue"/>.</summary>
public enum EqlType : byte
{
    Null,
    Boolean,
    Integer,
    Double,
    String,
}

/// <summary>
/// One value during the evaluation of an EQL expression: null, a boolean, a 64-bit integer, a double or a
/// string. Strings are spans over the event's buffers or the evaluation scratch space, so evaluation
/// allocates nothing.
/// </summary>
public readonly ref struct EqlValue
{
    private EqlValue(EqlType type, long integer, double number, ReadOnlySpan<char> text)
    {
        Type = type;
        Integer = integer;
        Double = number;
        Text = text;
    }

    public static EqlValue Null => default;

    public static EqlValue True => new(EqlType.Boolean, 1, 1, default);

    public static EqlValue False => new(EqlType.Boolean, 0, 0, default);

    public EqlType Type { get; }

    /// <summary>The value of an integer, or 1 and 0 for a boolean.</summary>
    public long Integer { get; }

    /// <summary>The value of any number as a double.</summary>
    public double Double { get; }

    /// <summary>The characters of a string.</summary>
    public ReadOnlySpan<char> Text { get; }

    public bool IsNull => Type == EqlType.Null;

    public bool IsNumber => Type is EqlType.Integer or EqlType.Double;

    public static EqlValue FromBoolean(bool value) => value ? True : False;

    public static EqlValue FromInteger(long value) => new(EqlType.Integer, value, value, default);

    public static EqlValue FromDouble(double value) => new(EqlType.Double, (long)value, value, default);

    public static EqlValue FromString(ReadOnlySpan<char> value) => new(EqlType.String, 0, 0, value);

    /// <summary>Converts one decoded field value.</summary>
    public static EqlValue From(EventRecord ev, in FieldValue value) => value.Kind switch
    {
        FieldValueKind.String => FromString(ev.Text(value)),
        FieldValueKind.Integer => FromInteger(value.Integer),
        FieldValueKind.Float => FromDouble(value.Number),
        _ => FromBoolean(value.Integer != 0),
    };

    /// <summary>Returns the condition result of a boolean; null and values of other types are <see cref="Tri.Null"/>.</summary>
    public Tri ToTri()
    {
        if (Type != EqlType.Boolean)
        {
            return Tri.Null;
        }

        return Integer != 0 ? Tri.True : Tri.False;
    }

    /// <summary>Writes the string form EQL's <c>string()</c> and <c>concat()</c> use: <c>42</c>, <c>42.5</c>, <c>2.0</c>, <c>true</c>.</summary>
    public ReadOnlySpan<char> ToText(Scratch scratch)
    {
        switch (Type)
        {
            case EqlType.String:
                return Text;
            case EqlType.Boolean:
                return Integer != 0 ? "true" : "false";
            case EqlType.Integer:
            {
                var target = scratch.Reserve(20);
                Integer.TryFormat(target, out int written, default, CultureInfo.InvariantCulture);
                return scratch.Commit(written);
            }

            case EqlType.Double:
            {
                var target = scratch.Reserve(40);
                JavaDouble.TryFormat(Double, target, out int written);
                return scratch.Commit(written);
            }

            default:
                return default;
        }
    }
}

/// <summary>
/// Space for strings that functions build while one event is evaluated. It is cleared per event, so after
/// warm-up no evaluation allocates.
/// </summary>
public sealed class Scratch
{
    /// <summary>The longest string a function builds, in characters: as long as the longest event line accepted.</summary>
    public const int MaxStringLength = 16 * 1024 * 1024;

    private const int InitialSize = 1024;

    /// <summary>A buffer grown past this size is dropped when the next event starts, so one huge event does not keep it.</summary>
    private const int KeptSize = 1024 * 1024;

    private char[] _buffer = new char[InitialSize];
    private int _used;

    /// <summary>Returns at least <paramref name="length"/> characters to write into; <see cref="Commit"/> keeps what was written.</summary>
    public Span<char> Reserve(int length)
    {
        if (_used + length > _buffer.Length)
        {
            // Strings returned earlier still point into the old array, which stays valid while they live.
            _buffer = new char[Math.Max(_buffer.Length * 2, length + 1024)];
            _used = 0;
        }

        return _buffer.AsSpan(_used, length);
    }

    /// <summary>Keeps the first <paramref name="length"/> reserved characters and returns them.</summary>
    public ReadOnlySpan<char> Commit(int length)
    {
        var text = _buffer.AsSpan(_used, length);
        _used += length;
        return text;
    }

    internal void Clear()
    {
        _used = 0;
        if (_buffer.Length > KeptSize)
        {
            _buffer = new char[InitialSize];
        }
    }
}
