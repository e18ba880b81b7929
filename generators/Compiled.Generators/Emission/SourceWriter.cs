using System.Text;

namespace Compiled.Generators.Emission;

/// <summary>A small indented text writer for generated C#. Lines end with \n on every platform.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            _builder.Append(' ', _indent * 4);
            _builder.Append(text);
        }

        _builder.Append('\n');
        return this;
    }

    /// <summary>Writes each line of <paramref name="text"/> after <c>//</c> or <c>///</c>, made safe by <see cref="CSharpText.CommentLines"/>.</summary>
    public SourceWriter Comment(string text, string prefix = "// ")
    {
        foreach (var line in CSharpText.CommentLines(text))
        {
            Line((prefix + line).TrimEnd());
        }

        return this;
    }

    /// <summary>Writes <paramref name="header"/> (when given) and an opening brace, then indents.</summary>
    public SourceWriter Open(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string text = "}")
    {
        _indent--;
        Line(text);
        return this;
    }

    public override string ToString() => _builder.ToString();
}
