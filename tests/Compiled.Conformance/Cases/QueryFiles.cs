using System.Globalization;
using System.Text;
using Tomlyn;
using Tomlyn.Model;

namespace Compiled.Conformance.Cases;

/// <summary>
/// Loads the suite's query files (<c>[[queries]]</c> with <c>name</c>, <c>query</c>,
/// <c>expected_event_ids</c> and an optional <c>size</c> and <c>max_samples_per_key</c>) together with the
/// data each one runs on.
/// </summary>
public static class QueryFiles
{
    /// <summary>
    /// Each query file with the indices it runs on and how their events get a time. The files do not name
    /// their data, so this table follows Elasticsearch's QA <c>DataLoader</c> and <c>Eql*SpecTestCase</c> classes.
    /// </summary>
    public static IReadOnlyList<QueryFile> All { get; } =
    [
        new("test_queries.toml", ["endgame-140"], TimestampSource.FileTimeAsMilliseconds),
        new("additional_test_queries.toml", ["endgame-140"], TimestampSource.FileTimeAsMilliseconds),
        new("test_queries_date.toml", ["endgame-140"], TimestampSource.FileTimeAsMilliseconds),
        new("test_queries_date_nanos.toml", ["endgame-140"], TimestampSource.TimestampAsNanoseconds),
        new("test_extra.toml", ["extra"], TimestampSource.Document),
        new("test_missing_events.toml", ["missing-events"], TimestampSource.Document),
        new("test_sample.toml", ["sample1", "sample2", "sample3"], TimestampSource.None),
        new("test_sample_multi.toml", ["sample-multi"], TimestampSource.None),
    ];

    /// <summary>Reads the cases of every query file, without loading any data.</summary>
    public static IEnumerable<ConformanceCase> ReadCases(string suiteFolder) =>
        All.SelectMany(file => ReadCases(suiteFolder, file));

    /// <summary>Loads one group per query file: its cases and the sorted events of its data.</summary>
    public static IEnumerable<CaseGroup> LoadGroups(string suiteFolder)
    {
        var streams = new Dictionary<string, EventStream>(StringComparer.Ordinal);
        foreach (var file in All)
        {
            string key = string.Join(",", file.DataSets) + "@" + file.Timestamps;
            if (!streams.TryGetValue(key, out var events))
            {
                events = DataSet.Load(suiteFolder, file.DataSets, file.Timestamps);
                streams.Add(key, events);
            }

            yield return new CaseGroup(file.FileName, events, ReadCases(suiteFolder, file).ToList());
        }
    }

    private static IEnumerable<ConformanceCase> ReadCases(string suiteFolder, QueryFile file)
    {
        string path = Path.Combine(suiteFolder, file.FileName);
        var root = TomlSerializer.Deserialize<TomlTable>(QuoteBareNulls(File.ReadAllText(path)))
            ?? throw new InvalidDataException($"{path} is empty.");
        if (!root.TryGetValue("queries", out var queriesValue) || queriesValue is not TomlTableArray queries)
        {
            throw new InvalidDataException($"{path} has no [[queries]] tables.");
        }

        var fieldTypes = IndexMapping.TypedFields(suiteFolder, file.DataSets);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            string name = Required<string>(query, "name", path);
            int occurrence = seen[name] = seen.GetValueOrDefault(name) + 1;
            string caseName = file.FileName + "/" + name + (occurrence > 1 ? "#" + occurrence.ToString(CultureInfo.InvariantCulture) : "");
            var expected = Required<TomlArray>(query, "expected_event_ids", path);
            int size = query.TryGetValue("size", out var sizeValue) ? checked((int)(long)sizeValue) : ConformanceCase.DefaultMaxResults;
            int samplesPerKey = query.TryGetValue("max_samples_per_key", out var samplesValue) ? checked((int)(long)samplesValue) : 1;
            yield return new ConformanceCase(caseName, Required<string>(query, "query", path), ReadExpectation(expected), size)
            {
                MaxSamplesPerKey = samplesPerKey,
                FieldTypes = fieldTypes,
            };
        }
    }

    /// <summary>Reads <c>[1, 2]</c> as one accepted result and <c>[[1, 2], [1, 3]]</c> as alternatives.</summary>
    private static Expectation ReadExpectation(TomlArray expected)
    {
        if (expected.Count > 0 && expected[0] is TomlArray)
        {
            return Expectation.Results(expected.Cast<TomlArray>().Select(ReadIds).ToArray());
        }

        return Expectation.Results(ReadIds(expected));
    }

    private static IReadOnlyList<string> ReadIds(TomlArray ids) =>
        ids.Select(id => Convert.ToString(id, CultureInfo.InvariantCulture)!).ToList();

    private static T Required<T>(TomlTable table, string key, string path) =>
        table.TryGetValue(key, out var value) && value is T typed
            ? typed
            : throw new InvalidDataException($"A [[queries]] table in {path} has no {typeof(T).Name} '{key}'.");

    /// <summary>
    /// Replaces bare <c>null</c> values with the string <c>"null"</c>, outside strings and comments.
    /// <c>test_extra.toml</c> writes <c>join_keys = [null]</c>, which the Java TOML parser Elasticsearch uses
    /// accepts and Tomlyn rejects. Elasticsearch prints a null join key as <c>"null"</c>.
    /// </summary>
    public static string QuoteBareNulls(string toml)
    {
        var output = new StringBuilder(toml.Length);
        int i = 0;
        while (i < toml.Length)
        {
            int end = SkipStringOrComment(toml, i);
            if (end > i)
            {
                output.Append(toml, i, end - i);
                i = end;
            }
            else if (IsBareNull(toml, i))
            {
                output.Append("\"null\"");
                i += 4;
            }
            else
            {
                output.Append(toml[i]);
                i++;
            }
        }

        return output.ToString();
    }

    /// <summary>Returns the end of the string or comment that starts at <paramref name="start"/>, or <paramref name="start"/> when none does.</summary>
    private static int SkipStringOrComment(string toml, int start)
    {
        foreach (string delimiter in (string[])["\"\"\"", "'''", "\"", "'"])
        {
            if (string.CompareOrdinal(toml, start, delimiter, 0, delimiter.Length) != 0)
            {
                continue;
            }

            bool escapes = delimiter[0] == '"';
            int i = start + delimiter.Length;
            while (i < toml.Length && string.CompareOrdinal(toml, i, delimiter, 0, delimiter.Length) != 0)
            {
                i += escapes && toml[i] == '\\' ? 2 : 1;
            }

            return Math.Min(toml.Length, i + delimiter.Length);
        }

        if (toml[start] == '#')
        {
            int newline = toml.IndexOf('\n', start);
            return newline < 0 ? toml.Length : newline;
        }

        return start;
    }

    private static bool IsBareNull(string toml, int start) =>
        string.CompareOrdinal(toml, start, "null", 0, 4) == 0
        && (start == 0 || !IsWordCharacter(toml[start - 1]))
        && (start + 4 >= toml.Length || !IsWordCharacter(toml[start + 4]));

    private static bool IsWordCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}

/// <summary>A query file of the suite and the data it runs on.</summary>
public sealed record QueryFile(string FileName, IReadOnlyList<string> DataSets, TimestampSource Timestamps);
