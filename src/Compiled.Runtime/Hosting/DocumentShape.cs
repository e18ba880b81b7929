using System.Text.Json;

namespace Compiled.Runtime.Hosting;

/// <summary>What a JSON object in the input is: an event, or an Elasticsearch wrapper around events.</summary>
internal enum DocumentKind
{
    /// <summary>An event itself, or a value that is not an object (the decoder rejects it).</summary>
    Event,

    /// <summary>A search hit, <c>{"_index":..,"_id":..,"_source":{..}}</c>, as elasticdump writes one per line.</summary>
    Hit,

    /// <summary>A <c>_search</c> response, whose events are <c>hits.hits[]._source</c>.</summary>
    Response,

    /// <summary>A <c>_bulk</c> action line that a source line follows: <c>index</c> or <c>create</c>.</summary>
    BulkWithSource,

    /// <summary>A <c>_bulk</c> <c>update</c> line, followed by a partial document.</summary>
    BulkUpdate,

    /// <summary>A <c>_bulk</c> <c>delete</c> line, which has no source line.</summary>
    BulkDelete,
}

/// <summary>Recognises Elasticsearch wrappers by their top-level keys and finds the events inside them.</summary>
internal static class DocumentShape
{
    /// <summary>
    /// Classifies a whole JSON value. A hit is an object with a <c>_source</c> object, or with string
    /// <c>_index</c> and <c>_id</c>; a response has
    /// <c>hits.hits</c> as an array; a bulk action is an object with one key, <c>index</c>, <c>create</c>,
    /// <c>update</c> or <c>delete</c>, whose value is an object. Anything else, invalid JSON included, is an event.
    /// </summary>
    public static DocumentKind Classify(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return DocumentKind.Event;
            }

            int properties = 0;
            DocumentKind bulk = DocumentKind.Event;
            bool source = false;
            bool index = false;
            bool id = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                properties++;
                DocumentKind candidate =
                    reader.ValueTextEquals("index"u8) || reader.ValueTextEquals("create"u8) ? DocumentKind.BulkWithSource :
                    reader.ValueTextEquals("update"u8) ? DocumentKind.BulkUpdate :
                    reader.ValueTextEquals("delete"u8) ? DocumentKind.BulkDelete : DocumentKind.Event;
                bool isSource = reader.ValueTextEquals("_source"u8);
                bool isHits = reader.ValueTextEquals("hits"u8);
                bool isIndex = reader.ValueTextEquals("_index"u8);
                bool isId = reader.ValueTextEquals("_id"u8);
                reader.Read();
                index |= isIndex && reader.TokenType == JsonTokenType.String;
                id |= isId && reader.TokenType == JsonTokenType.String;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    if (isHits && HasHitsArray(ref reader))
                    {
                        return DocumentKind.Response;
                    }

                    source |= isSource;
                    bulk = properties == 1 ? candidate : DocumentKind.Event;
                }

                reader.Skip();
            }

            // A hit without _source (stored fields only) is still a hit, reported as having no event.
            if (source || (index && id))
            {
                return DocumentKind.Hit;
            }

            return properties == 1 ? bulk : DocumentKind.Event;
        }
        catch (JsonException)
        {
            return DocumentKind.Event;
        }
    }

    /// <summary>With the reader on the start of <c>hits</c>, returns whether it contains a <c>hits</c> array. The reader itself does not move.</summary>
    private static bool HasHitsArray(ref Utf8JsonReader reader)
    {
        var copy = reader;
        int depth = copy.CurrentDepth;
        while (copy.Read() && copy.CurrentDepth > depth)
        {
            if (copy.TokenType == JsonTokenType.PropertyName && copy.CurrentDepth == depth + 1 && copy.ValueTextEquals("hits"u8))
            {
                copy.Read();
                return copy.TokenType == JsonTokenType.StartArray;
            }

            if (copy.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                copy.Skip();
            }
        }

        return false;
    }

    /// <summary>
    /// Finds the <c>_source</c> object of a hit, and its <c>_id</c> and <c>_index</c> when they are strings.
    /// <paramref name="id"/> and <paramref name="index"/> are the JSON string tokens, quotes included, or empty.
    /// Returns false when the value is not an object with a <c>_source</c> object.
    /// </summary>
    public static bool TryGetSource(ReadOnlyMemory<byte> hit, out ReadOnlyMemory<byte> source, out ReadOnlyMemory<byte> id, out ReadOnlyMemory<byte> index)
    {
        source = default;
        id = default;
        index = default;
        try
        {
            var reader = new Utf8JsonReader(hit.Span, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isSource = reader.ValueTextEquals("_source"u8);
                bool isId = reader.ValueTextEquals("_id"u8);
                bool isIndex = reader.ValueTextEquals("_index"u8);
                reader.Read();
                int start = (int)reader.TokenStartIndex;
                if (isSource && reader.TokenType == JsonTokenType.StartObject)
                {
                    reader.Skip();
                    source = hit.Slice(start, (int)reader.BytesConsumed - start);
                    continue;
                }

                if ((isId || isIndex) && reader.TokenType == JsonTokenType.String)
                {
                    KeepIdOrIndex(reader, hit, start, isId, ref id, ref index);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return !source.IsEmpty;
    }

    /// <summary>
    /// Finds the <c>_id</c> and <c>_index</c> of a <c>_bulk</c> action line such as
    /// <c>{"index":{"_index":"logs","_id":"1"}}</c>, as JSON string tokens with their quotes, or empty.
    /// </summary>
    public static void GetBulkMetadata(ReadOnlyMemory<byte> action, out ReadOnlyMemory<byte> id, out ReadOnlyMemory<byte> index)
    {
        id = default;
        index = default;
        try
        {
            var reader = new Utf8JsonReader(action.Span, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName ||
                !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isId = reader.ValueTextEquals("_id"u8);
                bool isIndex = reader.ValueTextEquals("_index"u8);
                reader.Read();
                if ((isId || isIndex) && reader.TokenType == JsonTokenType.String)
                {
                    KeepIdOrIndex(reader, action, (int)reader.TokenStartIndex, isId, ref id, ref index);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>Keeps the string token the reader is on, which starts at <paramref name="start"/>, as the document's <c>_id</c> or <c>_index</c>.</summary>
    private static void KeepIdOrIndex(in Utf8JsonReader reader, ReadOnlyMemory<byte> document, int start, bool isId, ref ReadOnlyMemory<byte> id, ref ReadOnlyMemory<byte> index)
    {
        var token = document.Slice(start, (int)reader.BytesConsumed - start);
        if (isId)
        {
            id = token;
        }
        else
        {
            index = token;
        }
    }

    /// <summary>
    /// Lists the hits of a response held in memory, as the offset and length of each hit in <paramref name="response"/>.
    /// Returns false when the response is not valid JSON.
    /// </summary>
    public static bool TryListHits(ReadOnlySpan<byte> response, List<(int Start, int Length)> hits)
    {
        hits.Clear();
        try
        {
            var reader = new Utf8JsonReader(response, new JsonReaderOptions { MaxDepth = 256 });
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isHits = reader.ValueTextEquals("hits"u8);
                reader.Read();
                if (isHits && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        bool inner = reader.ValueTextEquals("hits"u8);
                        reader.Read();
                        if (inner && reader.TokenType == JsonTokenType.StartArray)
                        {
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            {
                                int start = (int)reader.TokenStartIndex;
                                reader.Skip();
                                hits.Add((start, (int)reader.BytesConsumed - start));
                            }
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The top-level keys that start an Elasticsearch search response.</summary>
    public static bool IsResponseKey(JsonTokenStream tokens) =>
        tokens.NameIs("took"u8) || tokens.NameIs("timed_out"u8) || tokens.NameIs("_scroll_id"u8) || tokens.NameIs("pit_id"u8) ||
        tokens.NameIs("_shards"u8) || tokens.NameIs("hits"u8) || tokens.NameIs("terminated_early"u8) ||
        tokens.NameIs("num_reduce_phases"u8) || tokens.NameIs("_clusters"u8);
}
