namespace Compiled.Runtime.Matching;

/// <summary>
/// The result of an EQL condition under three-valued logic: a comparison with a missing or null field
/// is <see cref="Null"/>, and a query keeps an event only when its condition is <see cref="True"/>.
/// </summary>
public enum Tri : byte
{
    False = 0,
    True = 1,
    Null = 2,
}
