using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Compiled.Generators.RuleFiles;

namespace Compiled.Generators.Emission;

/// <summary>Writes one compact JSON object, member by member. A null string value leaves its key out.</summary>
internal sealed class JsonObjectWriter
{
    private readonly StringBuilder _builder = new("{");
    private bool _needsComma;

    public void String(string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        Key(key);
        TomlJson.WriteString(_builder, value);
    }

    public void Number(string key, int value)
    {
        Key(key);
        _builder.Append(value.ToString(CultureInfo.InvariantCulture));
    }

    public void True(string key)
    {
        Key(key);
        _builder.Append("true");
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
            Key(key);
            _builder.Append('{');
            _needsComma = false;
        }

        String("id", id);
        String("name", name);
        String("reference", reference);
        EndObject();
    }

    public void StartArray(string key)
    {
        Key(key);
        _builder.Append('[');
        _needsComma = false;
    }

    public void EndArray()
    {
        _builder.Append(']');
        _needsComma = true;
    }

    /// <summary>Starts an object as an array element.</summary>
    public void StartObject()
    {
        Separate();
        _builder.Append('{');
        _needsComma = false;
    }

    public void EndObject()
    {
        _builder.Append('}');
        _needsComma = true;
    }

    public string Finish() => _builder.Append('}').ToString();

    private void Key(string key)
    {
        Separate();
        TomlJson.WriteString(_builder, key);
        _builder.Append(':');
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
