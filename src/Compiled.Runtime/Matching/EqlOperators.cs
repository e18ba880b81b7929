using System.Globalization;

namespace Compiled.Runtime.Matching;

/// <summary>
/// EQL operators over <see cref="EqlValue"/>, with Elasticsearch's semantics: null in gives null out
/// (except the IS NULL test), integer arithmetic stays integral and truncates toward zero as Java does,
/// strings compare by UTF-16 code unit, and <c>and</c>, <c>or</c>, <c>not</c> use three-valued logic.
/// </summary>
public static class EqlOperators
{
    /// <summary>
    /// <c>==</c>: null when one side is null, but true when both are, as Elasticsearch evaluates
    /// <c>?x == ?y</c> on two missing optional fields.
    /// </summary>
    public static EqlValue Equal(EqlValue left, EqlValue right)
    {
        if (left.IsNull && right.IsNull)
        {
            return EqlValue.True;
        }

        return CompareValues(left, right, ignoreCase: false) is { } order ? EqlValue.FromBoolean(order == 0) : Unordered(left, right);
    }

    public static EqlValue NotEqual(EqlValue left, EqlValue right) => Not(Equal(left, right));

    /// <summary>Equality for <c>in~</c>: strings compare case-insensitively.</summary>
    public static EqlValue EqualIgnoreCase(EqlValue left, EqlValue right) => CompareValues(left, right, ignoreCase: true) is { } order ? EqlValue.FromBoolean(order == 0) : Unordered(left, right);

    /// <summary><c>x == null</c>: true when the value is null. Never null itself.</summary>
    public static EqlValue IsNull(EqlValue value) => EqlValue.FromBoolean(value.IsNull);

    public static EqlValue LessThan(EqlValue left, EqlValue right) => Order(left, right, order => order < 0);

    public static EqlValue LessThanOrEqual(EqlValue left, EqlValue right) => Order(left, right, order => order <= 0);

    public static EqlValue GreaterThan(EqlValue left, EqlValue right) => Order(left, right, order => order > 0);

    public static EqlValue GreaterThanOrEqual(EqlValue left, EqlValue right) => Order(left, right, order => order >= 0);

    public static EqlValue And(EqlValue left, EqlValue right)
    {
        var a = left.ToTri();
        var b = right.ToTri();
        if (a == Tri.False || b == Tri.False)
        {
            return EqlValue.False;
        }

        return a == Tri.True && b == Tri.True ? EqlValue.True : EqlValue.Null;
    }

    public static EqlValue Or(EqlValue left, EqlValue right)
    {
        var a = left.ToTri();
        var b = right.ToTri();
        if (a == Tri.True || b == Tri.True)
        {
            return EqlValue.True;
        }

        return a == Tri.False && b == Tri.False ? EqlValue.False : EqlValue.Null;
    }

    public static EqlValue Not(EqlValue value) => value.ToTri() switch
    {
        Tri.True => EqlValue.False,
        Tri.False => EqlValue.True,
        _ => EqlValue.Null,
    };

    /// <summary>Integer overflow gives null, where Elasticsearch's exact arithmetic fails the query.</summary>
    public static EqlValue Add(EqlValue left, EqlValue right) => Arithmetic(left, right, static (a, b) => checked(a + b), static (a, b) => a + b);

    public static EqlValue Subtract(EqlValue left, EqlValue right) => Arithmetic(left, right, static (a, b) => checked(a - b), static (a, b) => a - b);

    public static EqlValue Multiply(EqlValue left, EqlValue right) => Arithmetic(left, right, static (a, b) => checked(a * b), static (a, b) => a * b);

    /// <summary>Integer division truncates toward zero, as in Java; division by zero gives null.</summary>
    public static EqlValue Divide(EqlValue left, EqlValue right)
    {
        if (!left.IsNumber || !right.IsNumber)
        {
            return EqlValue.Null;
        }

        if (left.Type == EqlType.Integer && right.Type == EqlType.Integer)
        {
            if (right.Integer == 0 || (left.Integer == long.MinValue && right.Integer == -1))
            {
                return EqlValue.Null;
            }

            return EqlValue.FromInteger(left.Integer / right.Integer);
        }

        return right.Double == 0 ? EqlValue.Null : EqlValue.FromDouble(left.Double / right.Double);
    }

    /// <summary>The remainder takes the sign of the dividend, as Java's <c>%</c> does: <c>modulo(10, -6)</c> is 4.</summary>
    public static EqlValue Modulo(EqlValue left, EqlValue right)
    {
        if (!left.IsNumber || !right.IsNumber)
        {
            return EqlValue.Null;
        }

        if (left.Type == EqlType.Integer && right.Type == EqlType.Integer)
        {
            if (right.Integer == 0)
            {
                return EqlValue.Null;
            }

            return EqlValue.FromInteger(right.Integer == -1 ? 0 : left.Integer % right.Integer);
        }

        return right.Double == 0 ? EqlValue.Null : EqlValue.FromDouble(left.Double % right.Double);
    }

    public static EqlValue Negate(EqlValue value) => value.Type switch
    {
        EqlType.Integer => value.Integer == long.MinValue ? EqlValue.Null : EqlValue.FromInteger(-value.Integer),
        EqlType.Double => EqlValue.FromDouble(-value.Double),
        _ => EqlValue.Null,
    };

    /// <summary><c>value : pattern</c>, <c>like</c> and <c>like~</c> on a computed value; strings only.</summary>
    public static EqlValue Like(EqlValue value, WildcardPattern[] patterns)
    {
        if (value.IsNull)
        {
            return EqlValue.Null;
        }

        if (value.Type != EqlType.String)
        {
            return EqlValue.False;
        }

        foreach (var pattern in patterns)
        {
            if (pattern.IsMatch(value.Text))
            {
                return EqlValue.True;
            }
        }

        return EqlValue.False;
    }

    /// <summary><c>value regex pattern</c> on a computed value; strings only.</summary>
    public static EqlValue Regex(EqlValue value, RegexPattern pattern)
    {
        if (value.IsNull)
        {
            return EqlValue.Null;
        }

        return EqlValue.FromBoolean(value.Type == EqlType.String && pattern.IsMatch(value.Text));
    }

    /// <summary>
    /// Compares two non-null values: numbers numerically, strings by code unit, booleans by value. A numeric
    /// string compares with a number as that number, as Elasticsearch coerces strings into numeric fields.
    /// Returns null when the types cannot be compared.
    /// </summary>
    private static int? CompareValues(EqlValue left, EqlValue right, bool ignoreCase)
    {
        if (left.IsNull || right.IsNull)
        {
            return null;
        }

        if (left.Type == EqlType.String && right.Type == EqlType.String)
        {
            return ignoreCase
                ? Math.Sign(CompareIgnoreCase(left.Text, right.Text))
                : Math.Sign(left.Text.SequenceCompareTo(right.Text));
        }

        if (left.Type == EqlType.Boolean && right.Type == EqlType.Boolean)
        {
            return left.Integer.CompareTo(right.Integer);
        }

        if (TryNumber(left, out var a, out bool aIsInteger, out long aInteger) && TryNumber(right, out var b, out bool bIsInteger, out long bInteger))
        {
            return aIsInteger && bIsInteger ? aInteger.CompareTo(bInteger) : JavaCompare(a, b);
        }

        return null;
    }

    /// <summary>Orders doubles as Java's Double.compare does: NaN after every number, and equal to itself.</summary>
    internal static int JavaCompare(double left, double right)
    {
        if (double.IsNaN(left))
        {
            return double.IsNaN(right) ? 0 : 1;
        }

        if (double.IsNaN(right))
        {
            return -1;
        }

        return left.CompareTo(right);
    }

    private static int CompareIgnoreCase(ReadOnlySpan<char> left, ReadOnlySpan<char> right)
    {
        int length = Math.Min(left.Length, right.Length);
        for (int i = 0; i < length; i++)
        {
            int difference = char.ToLowerInvariant(left[i]) - char.ToLowerInvariant(right[i]);
            if (difference != 0)
            {
                return difference;
            }
        }

        return left.Length - right.Length;
    }

    /// <summary>Values of types that do not compare (a string with a boolean) are unequal; a null is null.</summary>
    private static EqlValue Unordered(EqlValue left, EqlValue right) =>
        left.IsNull || right.IsNull ? EqlValue.Null : EqlValue.False;

    private static EqlValue Order(EqlValue left, EqlValue right, Func<int, bool> test) =>
        CompareValues(left, right, ignoreCase: false) is { } order ? EqlValue.FromBoolean(test(order)) : EqlValue.Null;

    private static bool TryNumber(EqlValue value, out double number, out bool isInteger, out long integer)
    {
        switch (value.Type)
        {
            case EqlType.Integer:
                number = value.Double;
                integer = value.Integer;
                isInteger = true;
                return true;
            case EqlType.Double:
                number = value.Double;
                integer = 0;
                isInteger = false;
                return true;
            case EqlType.String when long.TryParse(value.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out integer):
                number = integer;
                isInteger = true;
                return true;
            case EqlType.String when double.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out number):
                integer = 0;
                isInteger = false;
                return true;
            default:
                number = 0;
                integer = 0;
                isInteger = false;
                return false;
        }
    }

    private static EqlValue Arithmetic(EqlValue left, EqlValue right, Func<long, long, long> integers, Func<double, double, double> doubles)
    {
        if (!left.IsNumber || !right.IsNumber)
        {
            return EqlValue.Null;
        }

        if (left.Type != EqlType.Integer || right.Type != EqlType.Integer)
        {
            return EqlValue.FromDouble(doubles(left.Double, right.Double));
        }

        try
        {
            return EqlValue.FromInteger(integers(left.Integer, right.Integer));
        }
        catch (OverflowException)
        {
            return EqlValue.Null;
        }
    }
}
