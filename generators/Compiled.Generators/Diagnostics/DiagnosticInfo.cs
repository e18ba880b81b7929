using Compiled.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Compiled.Generators.Diagnostics;

/// <summary>
/// A position inside a rule file: a character span plus its zero-based line and column range.
/// Plain integers keep pipeline models equatable; a Roslyn <see cref="Location"/> is made only when reporting.
/// </summary>
internal readonly record struct FileSpan(int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public Location ToLocation(string path) => Location.Create(
        path,
        new TextSpan(Start, Length),
        new LinePositionSpan(new LinePosition(StartLine, StartColumn), new LinePosition(EndLine, EndColumn)));
}

/// <summary>An equatable description of one diagnostic, turned into a <see cref="Diagnostic"/> when reported.</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, FileSpan Span, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string filePath, FileSpan span, params string[] arguments) =>
        new(descriptor.Id, filePath, span, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        var descriptor = DiagnosticDescriptors.Find(Id) ?? DiagnosticDescriptors.InternalError;
        var args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }

        return Diagnostic.Create(descriptor, Span.ToLocation(FilePath), args);
    }
}
