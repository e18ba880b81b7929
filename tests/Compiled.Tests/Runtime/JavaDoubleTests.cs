using Compiled.Runtime.Matching;

namespace Compiled.Tests.Runtime;

public class JavaDoubleTests
{
    [TestCase(0.0, "0.0")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(2.0, "2.0")]
    [TestCase(42.5, "42.5")]
    [TestCase(-42.5, "-42.5")]
    [TestCase(0.001, "0.001")]
    [TestCase(0.0001, "1.0E-4")]
    [TestCase(1e-7, "1.0E-7")]
    [TestCase(1.5e-7, "1.5E-7")]
    [TestCase(9999999.0, "9999999.0")]
    [TestCase(1e7, "1.0E7")]
    [TestCase(12345678.9, "1.23456789E7")]
    [TestCase(1e20, "1.0E20")]
    [TestCase(123.456, "123.456")]
    [TestCase(0.1, "0.1")]
    [TestCase(double.NaN, "NaN")]
    [TestCase(double.PositiveInfinity, "Infinity")]
    public void FormatsLikeJava(double value, string expected)
    {
        Span<char> buffer = stackalloc char[40];

        Assert.That(JavaDouble.TryFormat(value, buffer, out int written), Is.True);
        Assert.That(buffer[..written].ToString(), Is.EqualTo(expected));
    }
}
