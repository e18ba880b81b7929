using System.Globalization;
using System.Text.Json;

namespace Compiled.Runtime.Rules;

/// <summary>Readers of the values in the JSON of generated rule classes. Each names the key of a value that does not fit.</summary>
internal static class RuleJson
{
    internal static string RequiredString(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Invalid(key, "a string");

    internal static bool OptionalBoolean(JsonElement element, string key)
    {
        if (!element.TryGetProperty(key, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(key, "a boolean"),
        };
    }

    internal static string? OptionalString(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static int RequiredInt(JsonElement element, string key) =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int number)
            ? number
            : throw Invalid(key, "a 32-bit integer");

    internal static TEnum EnumValue<TEnum>(JsonElement element, string key)
        where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(RequiredString(element, key), ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw Invalid(key, $"a {typeof(TEnum).Name} name");

    internal static DateOnly? Date(JsonElement element, string key)
    {
        string? text = OptionalString(element, key);
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw Invalid(key, "a yyyy-MM-dd date");
    }

    internal static IReadOnlyList<string> Strings(JsonElement element, string key)
    {
        if (!element.TryGetProperty(key, out var array))
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(key, "an array of strings");
        }

        var values = new string[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw Invalid(key, "an array of strings");
            }

            values[i++] = item.GetString()!;
        }

        return values;
    }

    internal static FormatException Invalid(string key, string expected) =>
        new($"Invalid rule JSON in generated code: '{key}' is missing or not {expected}. Build the rules with the Compiled.Generators version that matches Compiled.Runtime.");
}
