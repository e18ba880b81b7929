using System.Collections.Generic;

namespace Compiled.Generators.Eql;

/// <summary>The type a function argument must have.</summary>
internal enum ArgumentKind
{
    Any,
    String,
    Number,
    Integer,
    Boolean,
}

/// <summary>The signature of an Elasticsearch EQL function.</summary>
internal sealed record EqlFunction(string Name, int MinArguments, int MaxArguments, bool HasCaseInsensitiveForm);

/// <summary>The functions Elasticsearch EQL defines. Function names match in any case.</summary>
internal static class EqlFunctions
{
    private const int Unbounded = int.MaxValue;

    private static readonly Dictionary<string, EqlFunction> ByLowerName = Create(
        new EqlFunction("add", 2, 2, false),
        new EqlFunction("between", 3, 4, true),
        new EqlFunction("cidrMatch", 2, Unbounded, false),
        new EqlFunction("concat", 1, Unbounded, false),
        new EqlFunction("divide", 2, 2, false),
        new EqlFunction("endsWith", 2, 2, true),
        new EqlFunction("indexOf", 2, 3, true),
        new EqlFunction("length", 1, 1, false),
        new EqlFunction("modulo", 2, 2, false),
        new EqlFunction("multiply", 2, 2, false),
        new EqlFunction("number", 1, 2, false),
        new EqlFunction("startsWith", 2, 2, true),
        new EqlFunction("string", 1, 1, false),
        new EqlFunction("stringContains", 2, 2, true),
        new EqlFunction("substring", 2, 3, false),
        new EqlFunction("subtract", 2, 2, false));

    public static string Names => "add, between, cidrMatch, concat, divide, endsWith, indexOf, length, modulo, multiply, number, startsWith, string, stringContains, substring, subtract";

    public static EqlFunction? Find(string name) =>
        ByLowerName.TryGetValue(name.ToLowerInvariant(), out var function) ? function : null;

    /// <summary>Returns the type argument <paramref name="index"/> (zero-based) of a function must have.</summary>
    public static ArgumentKind KindOfArgument(string name, int index) => name switch
    {
        "add" or "subtract" or "multiply" or "divide" or "modulo" => ArgumentKind.Number,
        "between" => index < 3 ? ArgumentKind.String : ArgumentKind.Boolean,
        "cidrMatch" => ArgumentKind.String,
        "endsWith" or "startsWith" or "stringContains" or "length" => ArgumentKind.String,
        "indexOf" => index < 2 ? ArgumentKind.String : ArgumentKind.Integer,
        "number" => index == 0 ? ArgumentKind.String : ArgumentKind.Integer,
        "substring" => index == 0 ? ArgumentKind.String : ArgumentKind.Integer,
        _ => ArgumentKind.Any,
    };

    private static Dictionary<string, EqlFunction> Create(params EqlFunction[] functions)
    {
        var map = new Dictionary<string, EqlFunction>();
        foreach (var function in functions)
        {
            map[function.Name.ToLowerInvariant()] = function;
        }

        return map;
    }
}
