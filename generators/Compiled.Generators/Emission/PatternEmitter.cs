using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Compiled.Generators.Eql;

namespace Compiled.Generators.Emission;

/// <summary>
/// Emits a <c>:</c>, <c>like</c> or <c>like~</c> test of one field as a method of plain string checks.
/// Each pattern is classified once, at build time: no wildcard is an equality, <c>abc*</c> a prefix,
/// <c>*abc</c> a suffix, <c>*abc*</c> a substring, <c>ab*yz</c> a prefix and suffix. Only patterns with
/// <c>?</c> or several inner <c>*</c> use the general wildcard matcher. Long groups become a hashed set
/// (equalities) or one <c>SearchValues</c> scan (substrings).
/// </summary>
internal static class PatternEmitter
{
    /// <summary>Groups larger than this use a hashed set or SearchValues instead of one check per pattern.</summary>
    private const int InlineLimit = 6;

    public static string EmitMethod(RuleScope scope, string path, IReadOnlyList<string> patterns, bool ignoreCase, string comment)
    {
        string comparison = ignoreCase ? "StringComparison.OrdinalIgnoreCase" : "StringComparison.Ordinal";
        var exact = new List<string>();
        var prefixes = new List<string>();
        var suffixes = new List<string>();
        var contains = new List<string>();
        var affixes = new List<(string Prefix, string Suffix)>();
        var general = new List<string>();
        foreach (var pattern in patterns.Distinct())
        {
            Classify(pattern, exact, prefixes, suffixes, contains, affixes, general);
        }

        var checks = new List<(string Comment, string Condition)>();
        if (exact.Count > InlineLimit)
        {
            string set = scope.AddStatic(path, "Exact", "global::Compiled.Runtime.Matching.StringSet",
                $"new({(ignoreCase ? "true" : "false")}, {string.Join(", ", exact.Select(CSharpText.Literal))})");
            checks.Add(($"{exact.Count} exact values", $"{set}.Contains(text)"));
        }
        else
        {
            checks.AddRange(exact.Select(value => (Quote(value), $"text.Equals({CSharpText.Literal(value)}, {comparison})")));
        }

        checks.AddRange(prefixes.Select(prefix => (Quote(prefix + "*"), $"text.StartsWith({CSharpText.Literal(prefix)}, {comparison})")));
        checks.AddRange(suffixes.Select(suffix => (Quote("*" + suffix), $"text.EndsWith({CSharpText.Literal(suffix)}, {comparison})")));
        checks.AddRange(affixes.Select(affix => (
            Quote(affix.Prefix + "*" + affix.Suffix),
            $"text.Length >= {(affix.Prefix.Length + affix.Suffix.Length).ToString(CultureInfo.InvariantCulture)} && " +
            $"text.StartsWith({CSharpText.Literal(affix.Prefix)}, {comparison}) && text.EndsWith({CSharpText.Literal(affix.Suffix)}, {comparison})")));
        if (contains.Count > InlineLimit)
        {
            string searchValues = scope.AddStatic(path, "Substrings", "global::System.Buffers.SearchValues<string>",
                $"global::System.Buffers.SearchValues.Create(new[] {{ {string.Join(", ", contains.Select(CSharpText.Literal))} }}, {comparison})");
            checks.Add(($"{contains.Count} substrings", $"text.ContainsAny({searchValues})"));
        }
        else
        {
            checks.AddRange(contains.Select(part => (Quote("*" + part + "*"), $"text.Contains({CSharpText.Literal(part)}, {comparison})")));
        }

        foreach (var pattern in general)
        {
            string matcher = scope.AddStatic(path, "Pattern", "global::Compiled.Runtime.Matching.WildcardPattern",
                $"new({CSharpText.Literal(pattern)}, ignoreCase: {(ignoreCase ? "true" : "false")})");
            checks.Add((Quote(pattern), $"{matcher}.IsMatch(text)"));
        }

        string name = scope.Unique("Like" + char.ToUpperInvariant(RuleScope.CamelCase(path)[0]) + RuleScope.CamelCase(path).Substring(1));
        var writer = new SourceWriter();
        writer.Line("/// <summary>");
        writer.Comment(CSharpText.Xml(comment), "/// ");
        writer.Line("/// </summary>");
        writer.Line(RuleEmitter.HotPath);
        writer.Open($"private static Tri {name}(EventRecord ev, int slot)");
        writer.Line("var result = Tri.Null;");
        writer.Open("foreach (ref readonly var value in ev.Values(slot))");
        writer.Line("result = Tri.False;");
        // NOTE: a boolean or a number in a keyword field is skipped here, so `process.name : "true"` misses
        // an event with `"name": true`, although Elasticsearch indexes that value as "true" and `==` matches it.
        writer.Open("if (value.Kind != global::Compiled.Runtime.Events.FieldValueKind.String)");
        writer.Line("continue;");
        writer.Close();
        writer.Line();
        writer.Line("var text = ev.Text(value);");
        foreach (var (checkComment, condition) in checks)
        {
            writer.Line();
            writer.Comment(checkComment);
            writer.Open($"if ({condition})");
            writer.Line("return Tri.True;");
            writer.Close();
        }

        writer.Close();
        writer.Line();
        writer.Line("return result;");
        writer.Close();
        scope.Methods.Add(writer.ToString());
        return name;
    }

    private static void Classify(
        string pattern,
        List<string> exact,
        List<string> prefixes,
        List<string> suffixes,
        List<string> contains,
        List<(string Prefix, string Suffix)> affixes,
        List<string> general)
    {
        if (pattern.IndexOf('?') >= 0)
        {
            general.Add(pattern);
            return;
        }

        var parts = pattern.Split('*');
        switch (parts.Length)
        {
            case 1:
                exact.Add(pattern);
                return;
            case 2 when parts[1].Length == 0:
                prefixes.Add(parts[0]);
                return;
            case 2 when parts[0].Length == 0:
                suffixes.Add(parts[1]);
                return;
            case 2:
                affixes.Add((parts[0], parts[1]));
                return;
            case 3 when parts[0].Length == 0 && parts[2].Length == 0 && parts[1].Length > 0:
                contains.Add(parts[1]);
                return;
            default:
                // "*" alone, "**" and other runs of stars match every string; the general matcher handles them.
                general.Add(pattern);
                return;
        }
    }

    private static string Quote(string pattern) => "\"" + CSharpText.OneLine(pattern) + "\"";
}
