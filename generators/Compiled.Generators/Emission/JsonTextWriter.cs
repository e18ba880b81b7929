using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Compiled.Generators.RuleFiles;

namespace Compiled.Generators.Emission;

/// <summary>
/// Writer of compact JSON text, value by value. A method with a key writes an object member, and one
/// without writes an array element. A null string and an empty string list leave their key out.
/// </summary>
internal sealed class JsonTextWriter
{
    private readonly StringBuilder _builder = new();
    private bool _needsComma;

    public void String(string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        Key(key);
        TomlJson.WriteString(_builder, value);
        _needsComma = true;
    }

    public void Number(string key, int value)
    {
        Key(key);
        _builder.Append(value.ToString(CultureInfo.InvariantCulture));
        _needsComma = true;
    }

    public void True(string key)
    {
        Key(key);
        _builder.Append("true");
        _needsComma = true;
    }

    /// <summary>Writes an array of strings. An empty list leaves its key out.</summary>
    public void Strings(string key, IEnumerable<string> values)
    {
        bool any = false;
        foreach (string value in values)
        {
            if (!any)
            {
                StartArray(key);
                any = true;
            }

            Separate();
            TomlJson.WriteString(_builder, value);
        }

        if (any)
        {
            EndArray();
        }
    }

    /// <summary>Writes an object with <c>id</c>, <c>name</c> and <c>reference</c>, as an array element when <paramref name="key"/> is null.</summary>
    public void Entry(string? key, string id, string name, string reference)
    {
        if (key is null)
        {
            StartObject();
        }
        else
        {
            StartObject(key);
        }

        String("id", id);
        String("name", name);
        String("reference", reference);
        EndObject();
    }

    /// <summary>Starts an object as the whole text or as an array element.</summary>
    public void StartObject() => Open('{');

    public void StartObject(string key)
    {
        Key(key);
        Open('{');
    }

    public void EndObject() => Close('}');

    /// <summary>Starts an array as the whole text or as an array element.</summary>
    public void StartArray() => Open('[');

    public void StartArray(string key)
    {
        Key(key);
        Open('[');
    }

    public void EndArray() => Close(']');

    public override string ToString() => _builder.ToString();

    /// <summary>Writes the separator and the key of an object member, which its value follows.</summary>
    private void Key(string key)
    {
        Separate();
        TomlJson.WriteString(_builder, key);
        _builder.Append(':');
        _needsComma = false;
    }

    private void Open(char bracket)
    {
        Separate();
        _builder.Append(bracket);
        _needsComma = false;
    }

    private void Close(char bracket)
    {
        _builder.Append(bracket);
        _needsComma = true;
    }

    private void Separate()
    {
        if (_needsComma)
        {
            _builder.Append(',');
        }

        _needsComma = true;
    }
}
