using System.Text.Json;

namespace Compiled.Runtime.Rules;

/// <summary>
/// Reads the dispatch branches of a generated rule class. The generator writes them as one JSON string
/// for the same reason as the metadata (see <see cref="RuleDescriptorJson"/>): an array of branches,
/// each an array of terms such as <c>{"field":"process.name","ignore_case":true,"values":["a.exe"]}</c>,
/// with <c>prefixes</c> and <c>suffixes</c> beside <c>values</c>. Absent keys are false or empty.
/// </summary>
public static class DispatchBranchJson
{
    /// <summary>Reads <paramref name="json"/> into branches.</summary>
    /// <exception cref="FormatException">The text is not the JSON a generator writes, and names the key at fault.</exception>
    public static DispatchBranch[] Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw RuleJson.Invalid("branches", "an array");
        }

        var branches = new DispatchBranch[root.GetArrayLength()];
        int i = 0;
        foreach (var branch in root.EnumerateArray())
        {
            if (branch.ValueKind != JsonValueKind.Array)
            {
                throw RuleJson.Invalid("branches", "an array of arrays");
            }

            var terms = new DispatchTerm[branch.GetArrayLength()];
            int j = 0;
            foreach (var term in branch.EnumerateArray())
            {
                terms[j++] = new DispatchTerm(
                    RuleJson.RequiredString(term, "field"),
                    RuleJson.OptionalBoolean(term, "ignore_case"),
                    RuleJson.Strings(term, "values"),
                    RuleJson.Strings(term, "prefixes"),
                    RuleJson.Strings(term, "suffixes"));
            }

            branches[i++] = new DispatchBranch(terms);
        }

        return branches;
    }
}
