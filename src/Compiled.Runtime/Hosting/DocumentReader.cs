using System.Text.Json;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// One document of an input: an event's JSON, a rejection, or a blank line. <see cref="Line"/> is the
/// one-based line on which the document starts; <see cref="Element"/> is its zero-based index in a JSON
/// array or in a response's hits, or -1 when the document is a line of its own. <see cref="Json"/> is
/// valid until the reader moves on.
/// </summary>
internal readonly record struct Document(ReadOnlyMemory<byte> Json, long Line, long Element, string? Reason, string? Detail)
{
    public bool IsRejected => Reason is not null;

    /// <summary>True for an empty or whitespace-only line of NDJSON or of a bulk body, which contains no document.</summary>
    public bool IsBlank { get; init; }

    /// <summary>
    /// The <c>_id</c> of the search hit or bulk action that carried the event, as a JSON string token with its
    /// quotes, or empty. Valid as long as <see cref="Json"/>.
    /// </summary>
    public ReadOnlyMemory<byte> Id { get; init; }

    /// <summary>The <c>_index</c> of the hit or bulk action, like <see cref="Id"/>.</summary>
    public ReadOnlyMemory<byte> Index { get; init; }

    /// <summary>True for a rejection because the input could not be read (or decompressed) past this point.</summary>
    public bool IsReadFailure { get; init; }

    public static Document Blank(long line) => new(default, line, -1, null, null) { IsBlank = true };
}

/// <summary>
/// Splits an input into event documents. The format is found from the content, not the file name:
/// gzip by its magic bytes; a JSON array when the first byte that is not white space is <c>[</c>;
/// otherwise NDJSON, unless the first line is an incomplete JSON value, in which case the input is read
/// as JSON values one after another (pretty-printed responses or events). In NDJSON the first object
/// decides the kind of every line: events, search hits (<c>_source</c> is the event), <c>_search</c>
/// responses (<c>hits.hits[]._source</c>) or a <c>_bulk</c> body (action lines followed by source lines).
/// </summary>
internal static class DocumentReader
{
    private const int PeekBytes = 1 << 16;

    /// <summary>Opens gzip transparently: a stream whose first two bytes are 1f 8b is decompressed.</summary>
    public static Stream Decompress(Stream input)
    {
        var peek = new PeekStream(input);
        var head = peek.Peek(2);
        return head.Length == 2 && head[0] == 0x1f && head[1] == 0x8b ? new GzipInputStream(peek) : peek;
    }

    /// <summary>Opens an input for <see cref="Read"/>: decompressed when it is gzip. Disposing the result disposes <paramref name="input"/>.</summary>
    public static PeekStream Open(Stream input) => new(Decompress(input));

    /// <summary>Splits a stream from <see cref="Open"/> into documents; the format is found before this returns.</summary>
    public static IEnumerable<Document> Read(PeekStream stream, int maxDocumentBytes)
    {
        var layout = Detect(stream, maxDocumentBytes);

        // A UTF-8 byte order mark before JSON values is consumed here, so the token stream starts at the
        // first JSON byte. Line input skips it in LineReader.
        if (layout == Layout.Values && stream.Buffered.StartsWith("\uFEFF"u8))
        {
            stream.ReadExactly(stackalloc byte[3]);
        }

        return layout == Layout.Lines ? ReadLines(stream, maxDocumentBytes) : ReadValues(stream, maxDocumentBytes);
    }

    private enum Layout
    {
        Lines,
        Values,
    }

    /// <summary>
    /// Finds the layout from the first line, reading ahead only as far as needed: a pipe that delivered one
    /// line is not waited on for more.
    /// </summary>
    private static Layout Detect(PeekStream stream, int maxDocumentBytes)
    {
        bool ended = false;
        while (true)
        {
            if (Detect(stream.Buffered, ended, maxDocumentBytes) is { } layout)
            {
                return layout;
            }

            ended = !stream.PeekMore();
        }
    }

    /// <summary>Returns the layout that <paramref name="head"/> shows, or null when more bytes are needed.</summary>
    private static Layout? Detect(ReadOnlySpan<byte> head, bool ended, int maxDocumentBytes)
    {
        // "\uFEFF" encodes to the three bytes EF BB BF. A "\xEF" escape is the character U+00EF, two bytes in UTF-8.
        var byteOrderMark = "\uFEFF"u8;
        if (!ended && head.Length < byteOrderMark.Length && byteOrderMark.StartsWith(head))
        {
            return null;
        }

        int start = head.StartsWith(byteOrderMark) ? byteOrderMark.Length : 0;
        int first = head[start..].IndexOfAnyExcept(" \t\r\n"u8);
        if (first < 0)
        {
            return ended || head.Length >= PeekBytes ? Layout.Lines : null;
        }

        first += start;
        if (head[first] == (byte)'[')
        {
            return Layout.Values;
        }

        if (head[first] != (byte)'{')
        {
            return Layout.Lines;
        }

        int newline = head[first..].IndexOf((byte)'\n');
        if (newline < 0)
        {
            return ended || head.Length - first > maxDocumentBytes ? Layout.Lines : null;
        }

        return IsIncomplete(head.Slice(first, newline)) ? Layout.Values : Layout.Lines;
    }

    /// <summary>
    /// True when the line is the start of a JSON value that goes on past the line (a pretty-printed
    /// document), or when another value follows the first on the same line (concatenated responses).
    /// </summary>
    private static bool IsIncomplete(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 256 }));
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is JsonTokenType.EndObject)
                {
                    return !line[(int)reader.BytesConsumed..].Trim(" \t\r"u8).IsEmpty;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static IEnumerable<Document> ReadLines(Stream stream, int maxDocumentBytes)
    {
        var lines = new LineReader(stream, maxDocumentBytes);
        var kind = (DocumentKind?)null;
        var hits = new List<(int Start, int Length)>();
        DocumentKind pendingBulk = DocumentKind.Event;
        long pendingBulkLine = 0;
        var bulkMetadata = new BulkMetadata();
        Exception? readError = null;
        while (TryReadLine(lines, out var line, out bool tooLong, ref readError))
        {
            long number = lines.LineNumber;
            if (tooLong)
            {
                if (pendingBulk != DocumentKind.Event)
                {
                    pendingBulk = DocumentKind.Event;
                }

                yield return new Document(default, number, -1, "line too long", $"the line is longer than {maxDocumentBytes} bytes");
                continue;
            }

            // Blank lines are common at the end of files and between bulk actions, which Elasticsearch allows.
            // A blank line where a bulk source line belongs is that source, and is rejected.
            bool sourceExpected = kind == DocumentKind.BulkWithSource && pendingBulk != DocumentKind.Event;
            if (!sourceExpected && line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                yield return Document.Blank(number);
                continue;
            }

            if (kind is null)
            {
                var first = DocumentShape.Classify(line.Span);
                kind = first switch
                {
                    DocumentKind.BulkWithSource or DocumentKind.BulkUpdate or DocumentKind.BulkDelete => DocumentKind.BulkWithSource,
                    _ => first,
                };
            }

            if (kind == DocumentKind.Event)
            {
                yield return new Document(line, number, -1, null, null);
                continue;
            }

            if (kind == DocumentKind.BulkWithSource)
            {
                if (pendingBulk == DocumentKind.BulkWithSource)
                {
                    pendingBulk = DocumentKind.Event;
                    yield return new Document(line, number, -1, null, null) { Id = bulkMetadata.Id, Index = bulkMetadata.Index };
                    continue;
                }

                if (pendingBulk == DocumentKind.BulkUpdate)
                {
                    pendingBulk = DocumentKind.Event;
                    yield return new Document(default, number, -1, "bulk update", $"the partial document of the update on line {pendingBulkLine} is not an event");
                    continue;
                }

                var action = DocumentShape.Classify(line.Span);
                if (action is DocumentKind.BulkWithSource or DocumentKind.BulkUpdate)
                {
                    pendingBulk = action;
                    pendingBulkLine = number;
                    bulkMetadata.CopyFrom(line);
                }
                else if (action != DocumentKind.BulkDelete)
                {
                    yield return new Document(default, number, -1, "invalid bulk action", "the line is not an index, create, update or delete action of a _bulk body");
                }

                continue;
            }

            // Hits and responses: every line is looked at, since exports mix them with plain events.
            var lineKind = DocumentShape.Classify(line.Span);
            if (lineKind == DocumentKind.Hit)
            {
                yield return Hit(line, number, -1);
            }
            else if (lineKind == DocumentKind.Response)
            {
                if (!DocumentShape.TryListHits(line.Span, hits))
                {
                    yield return new Document(line, number, -1, null, null);
                    continue;
                }

                for (int i = 0; i < hits.Count; i++)
                {
                    yield return Hit(line.Slice(hits[i].Start, hits[i].Length), number, i);
                }
            }
            else
            {
                yield return new Document(line, number, -1, null, null);
            }
        }

        if (readError is not null)
        {
            // The incomplete line at the point of failure is this rejection, so the counts still add up.
            yield return ReadFailure(readError, lines.LineNumber + 1, -1);
            yield break;
        }

        if (pendingBulk == DocumentKind.BulkWithSource)
        {
            yield return new Document(default, pendingBulkLine, -1, "bulk action without source", $"the action on line {pendingBulkLine} is the last line; its source line is missing");
        }
    }

    /// <summary>
    /// The <c>_id</c> and <c>_index</c> of the last bulk action, copied out of the line buffer, which the next
    /// line may overwrite. The buffer is reused, so a bulk body allocates only when an id is longer than before.
    /// </summary>
    private sealed class BulkMetadata
    {
        private byte[] _bytes = new byte[256];

        public ReadOnlyMemory<byte> Id { get; private set; }

        public ReadOnlyMemory<byte> Index { get; private set; }

        public void CopyFrom(ReadOnlyMemory<byte> action)
        {
            DocumentShape.GetBulkMetadata(action, out var id, out var index);
            if (_bytes.Length < id.Length + index.Length)
            {
                _bytes = new byte[id.Length + index.Length];
            }

            id.CopyTo(_bytes);
            index.CopyTo(_bytes.AsMemory(id.Length));
            Id = _bytes.AsMemory(0, id.Length);
            Index = _bytes.AsMemory(id.Length, index.Length);
        }
    }

    /// <summary>Reads a line, turning a decompression failure into <paramref name="error"/> and the end of the lines.</summary>
    private static bool TryReadLine(LineReader lines, out ReadOnlyMemory<byte> line, out bool tooLong, ref Exception? error)
    {
        try
        {
            return lines.TryReadLine(out line, out tooLong);
        }
        catch (Exception failure) when (failure is CompressedDataException or InvalidDataException)
        {
            error = failure;
            line = default;
            tooLong = false;
            return false;
        }
    }

    /// <summary>The rejection for an input that could not be decompressed past this point.</summary>
    private static Document ReadFailure(Exception error, long line, long element) =>
        error is CompressedDataException compressed
            ? new Document(default, line, element, compressed.Reason, compressed.Message) { IsReadFailure = true }
            : new Document(default, line, element, "invalid data", $"invalid data: {error.Message}; the rest of the input was not read") { IsReadFailure = true };

    private static Document Hit(ReadOnlyMemory<byte> hit, long line, long element) =>
        DocumentShape.TryGetSource(hit, out var source, out var id, out var index)
            ? new Document(source, line, element, null, null) { Id = id, Index = index }
            : new Document(default, line, element, "hit without _source", "the search hit has no _source object");

    /// <summary>
    /// Returns the message of <paramref name="error"/> with the position given as the one-based file line and
    /// byte in that line, in place of the zero-based <c>LineNumber</c> and <c>BytePositionInLine</c> that System.Text.Json appends.
    /// </summary>
    private static string DescribeJsonError(JsonException error, long line)
    {
        string message = error.Message;
        int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position >= 0)
        {
            message = message[..position].TrimEnd();
        }

        string byteInLine = error.BytePositionInLine is { } column ? $", byte {column + 1}" : "";
        return $"{message.TrimEnd('.')} (line {line}{byteInLine})";
    }

    private static IEnumerable<Document> ReadValues(Stream stream, int maxDocumentBytes)
    {
        var values = new ValueDocuments(new JsonTokenStream(stream, maxDocumentBytes));
        while (values.Next(out var document))
        {
            yield return document;
        }
    }

    /// <summary>
    /// Reads documents from a sequence of JSON values: arrays (each element), search responses (each hit's
    /// <c>_source</c>, read hit by hit), hits and events. Invalid JSON ends the input, since no later
    /// document can be found reliably after it.
    /// </summary>
    private sealed class ValueDocuments(JsonTokenStream tokens)
    {
        private readonly List<(int Start, int Length)> _hits = [];
        private State _state;
        private bool _done;
        private long _element;
        private DocumentKind? _arrayKind;
        private ReadOnlyMemory<byte> _pending;
        private long _pendingLine;
        private int _pendingIndex;

        private enum State
        {
            TopLevel,
            Array,
            Response,
            ResponseHits,
            ResponseHitsArray,
        }

        public bool Next(out Document document)
        {
            while (true)
            {
                if (_pendingIndex < _hits.Count)
                {
                    var (start, length) = _hits[_pendingIndex];
                    document = Hit(_pending.Slice(start, length), _pendingLine, _pendingIndex++);
                    return true;
                }

                if (_done)
                {
                    document = default;
                    return false;
                }

                try
                {
                    if (Step(out document))
                    {
                        return true;
                    }
                }
                catch (JsonException error)
                {
                    _done = true;
                    long line = error.LineNumber + 1 ?? tokens.TokenLine;

                    // The reading stopped early, so this is also an input error.
                    document = new Document(default, line, _state == State.TopLevel ? -1 : _element, "invalid JSON",
                        $"invalid JSON: {DescribeJsonError(error, line)}; the rest of the input was not read") { IsReadFailure = true };
                    return true;
                }
                catch (Exception error) when (error is CompressedDataException or InvalidDataException)
                {
                    _done = true;
                    document = ReadFailure(error, tokens.TokenLine, _state == State.TopLevel ? -1 : _element);
                    return true;
                }
                catch (DocumentTooLargeException error)
                {
                    _done = true;
                    document = new Document(default, tokens.TokenLine, _state == State.TopLevel ? -1 : _element, "document too long",
                        error.Message + "; the rest of the input was not read");
                    return true;
                }
            }
        }

        /// <summary>Reads one token or value; returns true when that gave a document.</summary>
        private bool Step(out Document document)
        {
            document = default;
            switch (_state)
            {
                case State.TopLevel:
                    tokens.Mark();
                    if (!tokens.Read())
                    {
                        _done = true;
                        return false;
                    }

                    if (tokens.TokenType == JsonTokenType.StartArray)
                    {
                        tokens.Unmark();
                        _state = State.Array;
                        _element = 0;
                        _arrayKind = null;
                        return false;
                    }

                    if (tokens.TokenType == JsonTokenType.StartObject && tokens.Read() && DocumentShape.IsResponseKey(tokens))
                    {
                        tokens.Reset();
                        tokens.Read();
                        _state = State.Response;
                        return false;
                    }

                    tokens.Reset();
                    tokens.ReadValue(out var value);
                    return FromValue(value, -1, out document);

                case State.Array:
                    tokens.ReadValue(out var element);
                    if (tokens.TokenType == JsonTokenType.EndArray)
                    {
                        _state = State.TopLevel;
                        return false;
                    }

                    return FromValue(element, _element++, out document);

                case State.Response:
                case State.ResponseHits:
                    tokens.Read();
                    if (tokens.TokenType == JsonTokenType.EndObject)
                    {
                        _state = _state == State.Response ? State.TopLevel : State.Response;
                        return false;
                    }

                    if (tokens.NameIs("hits"u8))
                    {
                        tokens.Mark();
                        tokens.Read();
                        var expected = _state == State.Response ? JsonTokenType.StartObject : JsonTokenType.StartArray;
                        if (tokens.TokenType == expected)
                        {
                            tokens.Unmark();
                            _state = _state == State.Response ? State.ResponseHits : State.ResponseHitsArray;
                            _element = 0;
                            return false;
                        }

                        tokens.Reset();
                    }

                    tokens.ReadValue(out _);
                    return false;

                default:
                    tokens.ReadValue(out var hit);
                    if (tokens.TokenType == JsonTokenType.EndArray)
                    {
                        _state = State.ResponseHits;
                        return false;
                    }

                    document = Hit(hit, tokens.TokenLine, _element++);
                    return true;
            }
        }

        /// <summary>A whole value at the top level or in an array: an event, a hit, or a response held in memory.</summary>
        private bool FromValue(ReadOnlyMemory<byte> value, long element, out Document document)
        {
            if (_state == State.Array && tokens.TokenType != JsonTokenType.StartObject)
            {
                _hits.Clear();
                _pendingIndex = 0;
                document = new Document(default, tokens.TokenLine, element, "not a JSON object",
                    $"the array element is {Describe(tokens.TokenType, value.Span)}, not a JSON object");
                return true;
            }

            var kind = _state == State.Array && _arrayKind == DocumentKind.Event ? DocumentKind.Event : DocumentShape.Classify(value.Span);
            if (_state == State.Array)
            {
                _arrayKind ??= kind;
            }

            if (kind == DocumentKind.Response && DocumentShape.TryListHits(value.Span, _hits))
            {
                _pending = value;
                _pendingLine = tokens.TokenLine;
                _pendingIndex = 0;
                document = default;
                return false;
            }

            _hits.Clear();
            _pendingIndex = 0;
            document = kind == DocumentKind.Hit ? Hit(value, tokens.TokenLine, element) : new Document(value, tokens.TokenLine, element, null, null);
            return true;
        }

        /// <summary>Names a non-object JSON value for a message, with up to 40 bytes of its text.</summary>
        private static string Describe(JsonTokenType type, ReadOnlySpan<byte> value)
        {
            string kind = type switch
            {
                JsonTokenType.StartArray => "an array",
                JsonTokenType.String => "a string",
                JsonTokenType.Number => "a number",
                JsonTokenType.True or JsonTokenType.False => "a boolean",
                _ => "null",
            };
            if (type == JsonTokenType.Null)
            {
                return kind;
            }

            string text = System.Text.Encoding.UTF8.GetString(value.Length > 40 ? value[..40] : value);
            return value.Length > 40 ? $"{kind} ({text}...)" : $"{kind} ({text})";
        }
    }
}
