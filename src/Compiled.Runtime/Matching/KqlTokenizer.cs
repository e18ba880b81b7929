using System.Globalization;
using System.Text;

namespace Compiled.Runtime.Matching;

/// <summary>
/// Splits text into words as Lucene's StandardTokenizer does, following the word boundaries of Unicode
/// UAX #29. Letters and digits form words, and <c>_</c> joins them. <c>.</c>, <c>'</c> and <c>:</c> join
/// two letters (<c>cmd.exe</c>, <c>a:b</c>), and <c>.</c>, <c>,</c> and <c>;</c> join two digits
/// (<c>10.0.0.1</c>). Each ideograph and hiragana character is a word of its own, and words longer than
/// 255 characters are split. The tokens are not lowercased; callers compare them case-insensitively.
/// NOTE: emoji, which Lucene emits as tokens, are skipped here.
/// </summary>
public ref struct StandardTokenizer
{
    private const int MaxTokenLength = 255;

    private readonly ReadOnlySpan<char> _text;
    private int _position;
    private int _start;
    private int _length;

    public StandardTokenizer(ReadOnlySpan<char> text)
    {
        _text = text;
        _position = 0;
        _start = 0;
        _length = 0;
    }

    public readonly ReadOnlySpan<char> Current => _text.Slice(_start, _length);

    private enum WordClass : byte
    {
        Other,
        Letter,
        Digit,
        Connector,
        Ideograph,
        Extend,
        MidLetter,
        MidNum,
        MidNumLet,
    }

    public bool MoveNext()
    {
        while (_position < _text.Length)
        {
            var first = Classify(_position, out int width);
            if (first is WordClass.Letter or WordClass.Digit or WordClass.Connector or WordClass.Ideograph)
            {
                int start = _position;
                bool hasWordCharacter = first != WordClass.Connector;
                _position += width;
                if (first == WordClass.Ideograph)
                {
                    SkipExtend();
                }
                else
                {
                    var previous = first;
                    while (_position < _text.Length && _position - start < MaxTokenLength)
                    {
                        var next = Classify(_position, out int nextWidth);
                        if (next is WordClass.Letter or WordClass.Digit or WordClass.Connector)
                        {
                            hasWordCharacter |= next != WordClass.Connector;
                            previous = next;
                            _position += nextWidth;
                        }
                        else if (next == WordClass.Extend)
                        {
                            _position += nextWidth;
                        }
                        else if (next is WordClass.MidLetter or WordClass.MidNum or WordClass.MidNumLet &&
                            _position + nextWidth < _text.Length &&
                            Joins(previous, next, Classify(_position + nextWidth, out int afterWidth)))
                        {
                            previous = Classify(_position + nextWidth, out _);
                            _position += nextWidth + afterWidth;
                        }
                        else
                        {
                            break;
                        }
                    }
                }

                if (hasWordCharacter)
                {
                    _start = start;
                    _length = Math.Min(_position - start, MaxTokenLength);
                    _position = start + _length;
                    return true;
                }

                continue;
            }

            _position += width;
        }

        return false;
    }

    /// <summary>A letter-joining mark needs letters on both sides, a number-joining mark digits on both sides.</summary>
    private static bool Joins(WordClass before, WordClass middle, WordClass after) => middle switch
    {
        WordClass.MidLetter => before == WordClass.Letter && after == WordClass.Letter,
        WordClass.MidNum => before == WordClass.Digit && after == WordClass.Digit,
        _ => (before == WordClass.Letter && after == WordClass.Letter) || (before == WordClass.Digit && after == WordClass.Digit),
    };

    private void SkipExtend()
    {
        while (_position < _text.Length && Classify(_position, out int width) == WordClass.Extend)
        {
            _position += width;
        }
    }

    private readonly WordClass Classify(int index, out int width)
    {
        char c = _text[index];
        if (c < 0x80)
        {
            width = 1;
            if (char.IsAsciiLetter(c))
            {
                return WordClass.Letter;
            }

            if (char.IsAsciiDigit(c))
            {
                return WordClass.Digit;
            }

            return c switch
            {
                '_' => WordClass.Connector,
                ':' => WordClass.MidLetter,
                ',' or ';' => WordClass.MidNum,
                '.' or '\'' => WordClass.MidNumLet,
                _ => WordClass.Other,
            };
        }

        if (Rune.DecodeFromUtf16(_text[index..], out var rune, out width) != System.Buffers.OperationStatus.Done)
        {
            width = 1;
            return WordClass.Other;
        }

        int value = rune.Value;
        if (value is (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x20000 and <= 0x2FFFF) or (>= 0x3040 and <= 0x309F))
        {
            return WordClass.Ideograph;
        }

        switch (value)
        {
            case 0x00B7 or 0x0387 or 0x05F4 or 0x2027 or 0xFE13 or 0xFE55 or 0xFF1A:
                return WordClass.MidLetter;
            case 0x037E or 0x0589 or 0x060C or 0x060D or 0x066C or 0x07F8 or 0x2044 or 0xFE10 or 0xFE14 or 0xFE50 or 0xFE54 or 0xFF0C or 0xFF1B:
                return WordClass.MidNum;
            case 0x2018 or 0x2019 or 0x2024 or 0xFE52 or 0xFF07 or 0xFF0E:
                return WordClass.MidNumLet;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber => WordClass.Letter,
            UnicodeCategory.DecimalDigitNumber => WordClass.Digit,
            UnicodeCategory.ConnectorPunctuation => WordClass.Connector,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format => WordClass.Extend,
            _ => WordClass.Other,
        };
    }
}
