using System.Globalization;

namespace Compiled.Runtime.Matching;

/// <summary>
/// Formats doubles as Java's <c>Double.toString</c> does, which Elasticsearch uses for <c>string()</c> and
/// <c>concat()</c>: <c>2.0</c>, <c>42.5</c>, and from 10^7 up or below 10^-3 <c>1.0E20</c> and <c>1.5E-7</c>.
/// Digits are the shortest that round-trip, as in Java 19 and later.
/// </summary>
public static class JavaDouble
{
    public static bool TryFormat(double value, Span<char> destination, out int written)
    {
        written = 0;
        string text;
        if (double.IsNaN(value))
        {
            text = "NaN";
        }
        else if (double.IsInfinity(value))
        {
            text = value > 0 ? "Infinity" : "-Infinity";
        }
        else if (value == 0)
        {
            text = double.IsNegative(value) ? "-0.0" : "0.0";
        }
        else
        {
            return TryFormatFinite(value, destination, out written);
        }

        if (!text.AsSpan().TryCopyTo(destination))
        {
            return false;
        }

        written = text.Length;
        return true;
    }

    private static bool TryFormatFinite(double value, Span<char> destination, out int written)
    {
        written = 0;
        // "R" gives the shortest round-trip digits, either plain (123.456, 0.001) or as 1.5E-07.
        Span<char> shortest = stackalloc char[32];
        if (!Math.Abs(value).TryFormat(shortest, out int shortestLength, "R", CultureInfo.InvariantCulture))
        {
            return false;
        }

        var text = shortest[..shortestLength];
        int exponentMark = text.IndexOf('E');
        int exponent;
        if (exponentMark >= 0)
        {
            exponent = int.Parse(text[(exponentMark + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        else
        {
            int point = text.IndexOf('.');
            var integerPart = point < 0 ? text : text[..point];
            if (integerPart.TrimStart('0').Length > 0)
            {
                exponent = integerPart.TrimStart('0').Length - 1;
            }
            else
            {
                var fraction = text[(point + 1)..];
                exponent = -(fraction.Length - fraction.TrimStart('0').Length + 1);
            }
        }

        Span<char> digits = stackalloc char[32];
        int count = 0;
        foreach (char c in shortest[..shortestLength])
        {
            if (c == 'E')
            {
                break;
            }

            if (char.IsAsciiDigit(c) && !(count == 0 && c == '0'))
            {
                digits[count++] = c;
            }
        }

        while (count > 1 && digits[count - 1] == '0')
        {
            count--;
        }

        var output = new PositionWriter(destination);
        if (value < 0)
        {
            output.Write('-');
        }

        double magnitude = Math.Abs(value);
        if (magnitude >= 1e-3 && magnitude < 1e7)
        {
            // Plain notation: the point sits after exponent + 1 digits.
            int pointAt = exponent + 1;
            if (pointAt <= 0)
            {
                output.Write('0');
                output.Write('.');
                for (int i = 0; i < -pointAt; i++)
                {
                    output.Write('0');
                }

                output.Write(digits[..count]);
            }
            else
            {
                for (int i = 0; i < pointAt; i++)
                {
                    output.Write(i < count ? digits[i] : '0');
                }

                output.Write('.');
                if (pointAt < count)
                {
                    output.Write(digits[pointAt..count]);
                }
                else
                {
                    output.Write('0');
                }
            }
        }
        else
        {
            output.Write(digits[0]);
            output.Write('.');
            if (count > 1)
            {
                output.Write(digits[1..count]);
            }
            else
            {
                output.Write('0');
            }

            output.Write('E');
            Span<char> exponentText = stackalloc char[8];
            exponent.TryFormat(exponentText, out int exponentLength, default, CultureInfo.InvariantCulture);
            output.Write(exponentText[..exponentLength]);
        }

        written = output.Position;
        return !output.Overflowed;
    }

    private ref struct PositionWriter(Span<char> destination)
    {
        private readonly Span<char> _destination = destination;

        public int Position { get; private set; }

        public bool Overflowed { get; private set; }

        public void Write(char c)
        {
            if (Position < _destination.Length)
            {
                _destination[Position++] = c;
            }
            else
            {
                Overflowed = true;
            }
        }

        public void Write(scoped ReadOnlySpan<char> text)
        {
            foreach (char c in text)
            {
                Write(c);
            }
        }
    }
}
