using System.Text.Json;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Reads JSON tokens from a stream through a growing buffer, so a JSON array or a pretty-printed
/// <c>_search</c> response is read value by value and never loaded whole. Several top-level values may
/// follow each other. A value returned by <see cref="ReadValue"/> stays valid until the next call.
/// </summary>
internal sealed class JsonTokenStream
{
    private readonly Stream _stream;
    private readonly int _maxValueBytes;
    private byte[] _buffer = new byte[1 << 16];
    private int _pos;
    private int _end;
    private bool _endOfStream;
    private JsonReaderState _state;
    private int _mark = -1;
    private JsonReaderState _markState;

    // Line counting: _line is the one-based line of the byte at _lineIndex.
    private long _line = 1;
    private int _lineIndex;

    public JsonTokenStream(Stream stream, int maxValueBytes)
    {
        _stream = stream;
        _maxValueBytes = maxValueBytes;
        _state = new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 256 });
    }

    /// <summary>The type of the token last read.</summary>
    public JsonTokenType TokenType { get; private set; }

    /// <summary>The line on which the token or value last read starts.</summary>
    public long TokenLine { get; private set; }

    private int _nameStart;
    private int _nameLength;

    /// <summary>True when the token last read is a property name written exactly as <paramref name="name"/>.</summary>
    public bool NameIs(ReadOnlySpan<byte> name) =>
        TokenType == JsonTokenType.PropertyName && _buffer.AsSpan(_nameStart, _nameLength).SequenceEqual(name);

    /// <summary>Remembers the current position so <see cref="Reset"/> can return to it. The bytes after it stay buffered.</summary>
    public void Mark()
    {
        _mark = _pos;
        _markState = _state;
    }

    /// <summary>Forgets the marked position.</summary>
    public void Unmark() => _mark = -1;

    public void Reset()
    {
        _pos = _mark;
        _state = _markState;
        _mark = -1;
    }

    /// <summary>Reads one token. Returns false at the end of the input and throws <see cref="JsonException"/> on invalid JSON.</summary>
    public bool Read()
    {
        while (true)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_pos, _end - _pos), _endOfStream, _state);
            if (reader.Read())
            {
                Commit(ref reader);
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    _nameLength = reader.ValueSpan.Length;
                    _nameStart = _pos - (int)reader.BytesConsumed + (int)reader.TokenStartIndex + 1;
                }

                return true;
            }

            if (_endOfStream)
            {
                return false;
            }

            Fill();
        }
    }

    /// <summary>
    /// Reads the next value whole: an object or array with everything inside it, or a single token.
    /// Returns false at the end of the input. <paramref name="value"/> is valid until the next call.
    /// <see cref="TokenType"/> is then the value's first token, or EndArray or EndObject when the
    /// enclosing container ended instead.
    /// </summary>
    public bool ReadValue(out ReadOnlyMemory<byte> value)
    {
        while (true)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_pos, _end - _pos), _endOfStream, _state);
            if (reader.Read())
            {
                int start = (int)reader.TokenStartIndex;
                var first = reader.TokenType;
                if (first is not (JsonTokenType.StartObject or JsonTokenType.StartArray) || reader.TrySkip())
                {
                    int valueStart = _pos + start;
                    int valueEnd = _pos + (int)reader.BytesConsumed;
                    Commit(ref reader, start);

                    // A nested array or object is reported by its first token, so that only a real end of the
                    // enclosing container reads as EndArray or EndObject.
                    TokenType = first;
                    value = new ReadOnlyMemory<byte>(_buffer, valueStart, valueEnd - valueStart);
                    return true;
                }

                if (_endOfStream)
                {
                    throw new JsonException("the input ends inside a value");
                }
            }
            else if (_endOfStream)
            {
                value = default;
                return false;
            }

            Fill();
        }
    }

    private void Commit(ref Utf8JsonReader reader, int tokenStart = -1)
    {
        int start = _pos + (tokenStart >= 0 ? tokenStart : (int)reader.TokenStartIndex);
        TokenLine = LineAt(start);
        TokenType = reader.TokenType;
        _pos += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    /// <summary>The one-based line of the byte at <paramref name="index"/>. Callers pass increasing indexes.</summary>
    private long LineAt(int index)
    {
        if (index > _lineIndex)
        {
            _line += _buffer.AsSpan(_lineIndex, index - _lineIndex).Count((byte)'\n');
            _lineIndex = index;
        }

        return _line;
    }

    /// <summary>Reads more bytes, keeping the unread part (and a marked position) and growing the buffer when it is full.</summary>
    private void Fill()
    {
        int keep = _mark >= 0 ? Math.Min(_mark, _pos) : _pos;
        if (keep > 0)
        {
            LineAt(Math.Max(keep, _lineIndex));
            Buffer.BlockCopy(_buffer, keep, _buffer, 0, _end - keep);
            _end -= keep;
            _pos -= keep;
            _lineIndex -= keep;
            if (_mark >= 0)
            {
                _mark -= keep;
            }
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= _maxValueBytes + (1 << 16))
            {
                throw new DocumentTooLargeException(_maxValueBytes);
            }

            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, _maxValueBytes + (1 << 16)));
        }

        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfStream = true;
        }

        _end += read;
    }
}

/// <summary>A JSON value in an array or response is larger than the document limit.</summary>
internal sealed class DocumentTooLargeException(int limit) : Exception($"a document is longer than {limit} bytes")
{
}
