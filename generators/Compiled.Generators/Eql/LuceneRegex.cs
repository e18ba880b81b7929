using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Compiled.Generators.Eql;

/// <summary>
/// Translates a Lucene regular expression, the syntax of EQL's <c>regex</c> and <c>regex~</c> operators, into an
/// equivalent .NET pattern for the non-backtracking engine.
/// </summary>
/// <remarks>
/// <para>
/// Elasticsearch runs EQL's <c>regex</c> as a <c>regexp</c> query with its default flags, which enable every
/// optional operator of Lucene's <c>RegExp</c> class. The grammar, including its corner cases, follows Lucene 10's
/// <c>org.apache.lucene.util.automaton.RegExp</c>:
/// </para>
/// <list type="bullet">
/// <item>The pattern must match the whole value. <c>.</c> matches any code point, including a newline.</item>
/// <item><c>\d \s \w</c> are the ASCII classes [0-9], [\t\n\r ] and [0-9A-Z_a-z], and <c>\D \S \W</c> are
/// their complements. A backslash before any other ASCII letter is an error, and before any other character it makes
/// that character literal.</item>
/// <item><c>"..."</c> is a literal string, <c>@</c> any string, <c>#</c> the empty language and <c>&lt;n-m&gt;</c> a
/// decimal interval.</item>
/// <item><c>?</c>, <c>*</c>, <c>+</c>, <c>{</c>, <c>)</c>, <c>|</c> and <c>&amp;</c> at the start of an expression
/// are literal characters, so <c>*a</c> matches the string "*a".</item>
/// <item>In a class only <c>\</c>, <c>-</c> and the closing <c>]</c> are special, and a <c>]</c> right after
/// <c>[</c> or <c>[^</c> is literal.</item>
/// </list>
/// <para>
/// The complement <c>~</c> and the intersection <c>&amp;</c>, which Elasticsearch enables for EQL, have no .NET
/// form. The translation writes them as a bare <c>~</c> and <c>&amp;</c>, and <see cref="UsesAutomatonOperators"/>
/// tells the runtime to run such a pattern on its own automaton instead of .NET's engine.
/// Case-insensitive translation gives each literal character its simple Unicode case variants, as current Lucene 10
/// releases do. Lucene 9, which Elasticsearch 8 uses, folds ASCII letters only. Like Lucene, the translation leaves
/// ranges and the predefined classes alone, so <c>[a-z]</c> still matches only lowercase letters.
/// </para>
/// </remarks>
internal static class LuceneRegex
{
    private const int MaxCodePoint = 0x10FFFF;
    private const string AnyString = @"[\s\S]*";
    private const string NoMatch = @"[^\s\S]";

    // NOTE: Lucene 8.8 matches nothing for a standalone empty string, such as "()", when matching is case
    // insensitive, but this translation keeps it the empty string.
    private const string EmptyString = "(?:)";

    /// <summary>
    /// Returns whether a translated pattern contains a complement or intersection, which only
    /// <c>RegexAutomaton</c> runs: a <c>~</c> or <c>&amp;</c> that no backslash escapes.
    /// </summary>
    public static bool UsesAutomatonOperators(string dotnetPattern)
    {
        for (int i = 0; i < dotnetPattern.Length; i++)
        {
            char c = dotnetPattern[i];
            if (c == '\\')
            {
                i++;
            }
            else if (c == '~' || c == '&')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Translates <paramref name="pattern"/> for case-sensitive matching.</summary>
    public static bool TryTranslate(string pattern, out string dotnetPattern, out string? error, out int errorIndex)
    {
        return TryTranslate(pattern, ignoreCase: false, out dotnetPattern, out error, out errorIndex);
    }

    /// <summary>
    /// Translates <paramref name="pattern"/> into a .NET pattern anchored at both ends. The result needs no
    /// <c>RegexOptions</c> beyond <c>NonBacktracking</c>, because case variants are written into it.
    /// </summary>
    /// <param name="pattern">The Lucene regular expression.</param>
    /// <param name="ignoreCase">Whether literal characters also match their case variants, as with <c>regex~</c>.</param>
    /// <param name="dotnetPattern">The .NET pattern, or an empty string when the pattern is invalid.</param>
    /// <param name="error">Why the pattern is invalid or unsupported, or null.</param>
    /// <param name="errorIndex">The UTF-16 index in <paramref name="pattern"/> that the error refers to, or -1.</param>
    public static bool TryTranslate(
        string pattern, bool ignoreCase, out string dotnetPattern, out string? error, out int errorIndex)
    {
        if (pattern is null)
        {
            throw new ArgumentNullException(nameof(pattern));
        }

        try
        {
            dotnetPattern = new Parser(pattern, ignoreCase).Translate();
            error = null;
            errorIndex = -1;
            return true;
        }
        catch (PatternException e)
        {
            dotnetPattern = string.Empty;
            error = e.Message;
            errorIndex = e.Index;
            return false;
        }
    }

    private sealed class PatternException : Exception
    {
        public PatternException(int index, string message)
            : base(message)
        {
            Index = index;
        }

        public int Index { get; }
    }

    /// <summary>
    /// A recursive-descent parser with one method per rule of Lucene's grammar. Each method returns the .NET text
    /// of what it parsed, in a form that can be concatenated and, wrapped in <c>(?:...)</c>, quantified.
    /// </summary>
    private sealed class Parser
    {
        private readonly string _pattern;
        private readonly bool _ignoreCase;
        private int _position;

        public Parser(string pattern, bool ignoreCase)
        {
            _pattern = pattern;
            _ignoreCase = ignoreCase;
        }

        private bool More => _position < _pattern.Length;

        public string Translate()
        {
            if (_pattern.Length == 0)
            {
                return @"\A\z";
            }

            string body = ParseUnion();

            // A concatenation stops only before ')', '|' or '&'. The union consumes every '|' and the
            // intersection every '&', so anything left over starts with a ')' that no group opened.
            if (More)
            {
                throw new PatternException(_position, "unmatched ')'. Write \\) to match a literal parenthesis");
            }

            return @"\A(?:" + body + @")\z";
        }

        private string ParseUnion()
        {
            var alternatives = new List<string> { ParseIntersection() };
            while (Match('|'))
            {
                alternatives.Add(ParseIntersection());
            }

            alternatives.RemoveAll(alternative => alternative == NoMatch);
            return alternatives.Count == 0 ? NoMatch : string.Join("|", alternatives);
        }

        /// <summary>
        /// Parses <c>a&amp;b</c>. .NET patterns have no intersection, so it is written as <c>(?:(?:a)&amp;(?:b))</c>
        /// with a bare <c>&amp;</c>, which no translated character produces; the runtime's <c>RegexAutomaton</c> runs it.
        /// </summary>
        private string ParseIntersection()
        {
            string expression = ParseConcatenation();
            if (!Match('&'))
            {
                return expression;
            }

            string right = ParseIntersection();
            return expression == NoMatch || right == NoMatch ? NoMatch : "(?:(?:" + expression + ")&(?:" + right + "))";
        }

        private string ParseConcatenation()
        {
            string first = ParseRepeat();
            var concatenation = new StringBuilder(first);
            bool matchesNothing = first == NoMatch;
            while (More && !Peek(')') && !Peek('|') && !Peek('&'))
            {
                string next = ParseRepeat();
                concatenation.Append(next);
                matchesNothing |= next == NoMatch;
            }

            return matchesNothing ? NoMatch : concatenation.ToString();
        }

        /// <remarks>
        /// An expression that matches nothing, such as <c>#</c>, still matches nothing when repeated without an
        /// upper bound, because Lucene's <c>Operations.repeat</c> returns an automaton without states unchanged, so
        /// <c>#*</c> rejects even the empty string. Made optional, or repeated up to a bound from zero, it matches
        /// the empty string.
        /// </remarks>
        private string ParseRepeat()
        {
            string expression = ParseComplement();
            while (More)
            {
                int start = _position;
                string quantifier;
                int minimum = 0;
                bool bounded = false;
                if (Match('?'))
                {
                    quantifier = "?";
                    bounded = true;
                }
                else if (Match('*'))
                {
                    quantifier = "*";
                }
                else if (Match('+'))
                {
                    quantifier = "+";
                    minimum = 1;
                }
                else if (Match('{'))
                {
                    quantifier = ParseBounds(start, out minimum, out bounded);
                }
                else
                {
                    break;
                }

                if (expression != NoMatch)
                {
                    expression = "(?:" + expression + ")" + quantifier;
                }
                else if (minimum == 0 && bounded)
                {
                    expression = EmptyString;
                }
            }

            return expression;
        }

        /// <summary>Parses <c>n}</c>, <c>n,}</c> or <c>n,m}</c> after the <c>{</c> at <paramref name="brace"/>.</summary>
        private string ParseBounds(int brace, out int minimum, out bool bounded)
        {
            string? minimumText = ReadDigits();
            if (minimumText is null)
            {
                throw new PatternException(brace, "invalid repetition: expected {n}, {n,} or {n,m} with decimal counts");
            }

            minimum = ParseCount(minimumText, brace);
            string? maximumText = null;
            bool hasComma = Match(',');
            if (hasComma)
            {
                maximumText = ReadDigits();
            }

            if (!Match('}'))
            {
                throw new PatternException(brace, "invalid repetition: expected {n}, {n,} or {n,m} closed by '}'");
            }

            string minimumCount = minimum.ToString(CultureInfo.InvariantCulture);
            bounded = !hasComma || maximumText is not null;
            if (!hasComma)
            {
                return "{" + minimumCount + "}";
            }

            if (maximumText is null)
            {
                return "{" + minimumCount + ",}";
            }

            int maximum = ParseCount(maximumText, brace);
            if (minimum > maximum)
            {
                throw new PatternException(
                    brace,
                    "invalid repetition {" + minimumText + "," + maximumText + "}: the minimum is greater than the maximum");
            }

            return "{" + minimumCount + "," + maximum.ToString(CultureInfo.InvariantCulture) + "}";
        }

        private static int ParseCount(string digits, int brace)
        {
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                throw new PatternException(brace, "invalid repetition: the count " + digits + " exceeds 2147483647");
            }

            return count;
        }

        private string? ReadDigits()
        {
            int start = _position;
            while (More && _pattern[_position] >= '0' && _pattern[_position] <= '9')
            {
                _position++;
            }

            return _position == start ? null : _pattern.Substring(start, _position - start);
        }

        /// <summary>Parses <c>~a</c>, written as <c>~(?:a)</c> with a bare <c>~</c> for the runtime's <c>RegexAutomaton</c>.</summary>
        private string ParseComplement()
        {
            if (Match('~'))
            {
                return "~(?:" + ParseComplement() + ")";
            }

            return Peek('[') ? ParseCharacterClass() : ParseSimple();
        }

        private string ParseCharacterClass()
        {
            int open = _position;
            _position++;
            bool negated = Match('^');
            var set = new CodePointSet();
            do
            {
                if (!More)
                {
                    throw MissingBracket(open);
                }

                int itemStart = _position;
                if (Match('\\'))
                {
                    if (!More)
                    {
                        throw MissingBracket(open);
                    }

                    int escaped = NextCodePoint();
                    if (escaped == '\\')
                    {
                        set.Add('\\');
                    }
                    else if (IsAsciiLetter(escaped))
                    {
                        set.Add(PredefinedClass(escaped, itemStart));
                    }
                    else
                    {
                        // Lucene 10 adds an escaped character to a class without its case variants.
                        set.Add(escaped);
                    }
                }
                else
                {
                    int first = NextCodePoint();
                    if (Match('-'))
                    {
                        Match('\\');
                        if (!More)
                        {
                            throw MissingBracket(open);
                        }

                        int last = NextCodePoint();
                        if (first > last)
                        {
                            throw new PatternException(
                                itemStart,
                                "invalid range '" + _pattern.Substring(itemStart, _position - itemStart) +
                                "' in a character class: the first character comes after the last one");
                        }

                        set.Add(first, last);
                    }
                    else
                    {
                        AddWithCaseVariants(set, first);
                    }
                }
            }
            while (More && !Peek(']'));

            if (!Match(']'))
            {
                throw MissingBracket(open);
            }

            return Emit(negated ? set.Complement() : set);
        }

        private string ParseSimple()
        {
            int start = _position;
            if (Match('.'))
            {
                return Emit(CodePointSet.All());
            }

            if (Match('#'))
            {
                return NoMatch;
            }

            if (Match('@'))
            {
                return AnyString;
            }

            if (Match('"'))
            {
                return ParseQuotedString(start);
            }

            if (Match('('))
            {
                if (Match(')'))
                {
                    return EmptyString;
                }

                string body = ParseUnion();
                if (!Match(')'))
                {
                    throw new PatternException(start, "missing ')' to close the group that starts here");
                }

                return body == NoMatch ? NoMatch : "(?:" + body + ")";
            }

            if (Match('<'))
            {
                return ParseInterval(start);
            }

            if (Match('\\'))
            {
                if (!More)
                {
                    throw new PatternException(start, "the pattern ends with a lone '\\'. Write \\\\ to match a backslash");
                }

                int escaped = NextCodePoint();
                if (IsAsciiLetter(escaped))
                {
                    return Emit(PredefinedClass(escaped, start));
                }

                return Literal(escaped);
            }

            if (!More)
            {
                throw new PatternException(_position, "unexpected end of the pattern");
            }

            return Literal(NextCodePoint());
        }

        private string ParseQuotedString(int open)
        {
            var literal = new StringBuilder();
            while (More && !Peek('"'))
            {
                literal.Append(Literal(NextCodePoint()));
            }

            if (!Match('"'))
            {
                throw new PatternException(open, "missing '\"' to close the quoted string that starts here");
            }

            return literal.Length == 0 ? EmptyString : literal.ToString();
        }

        /// <summary>
        /// Parses <c>&lt;min-max&gt;</c>, the decimal integers from min to max. When both bounds are written with the
        /// same number of characters, a value must have exactly that many digits, so <c>&lt;01-10&gt;</c> matches "07"
        /// but not "7". Otherwise any number of leading zeros is allowed.
        /// </summary>
        private string ParseInterval(int open)
        {
            int contentStart = _position;
            while (More && !Peek('>'))
            {
                _position++;
            }

            if (!Match('>'))
            {
                throw new PatternException(
                    open, "missing '>' to close the numeric interval that starts here. Write \\< to match a literal '<'");
            }

            string content = _pattern.Substring(contentStart, _position - 1 - contentStart);
            int dash = content.IndexOf('-');
            if (dash < 0)
            {
                throw new PatternException(
                    open,
                    "'<" + content + ">' names an automaton, which Elasticsearch does not define. " +
                    "Write \\< to match a literal '<'");
            }

            string lowText = content.Substring(0, dash);
            string highText = content.Substring(dash + 1);
            if (dash != content.LastIndexOf('-') || !TryParseBound(lowText, out int low) || !TryParseBound(highText, out int high))
            {
                throw new PatternException(
                    open,
                    "invalid numeric interval '<" + content + ">': expected <min-max> with integers from 0 to 2147483647");
            }

            int digits = lowText.Length == highText.Length ? lowText.Length : 0;
            return DecimalInterval.Translate(Math.Min(low, high), Math.Max(low, high), digits);
        }

        /// <summary>Parses a bound the way Java's <c>Integer.parseInt</c> does, except that it takes ASCII digits only.</summary>
        private static bool TryParseBound(string text, out int value)
        {
            string digits = text.StartsWith("+", StringComparison.Ordinal) ? text.Substring(1) : text;
            return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        private static CodePointSet PredefinedClass(int letter, int escapeIndex)
        {
            switch (letter)
            {
                case 'd':
                    return CodePointSet.Of('0', '9');
                case 'D':
                    return CodePointSet.Of('0', '9').Complement();
                case 's':
                    return Whitespace();
                case 'S':
                    return Whitespace().Complement();
                case 'w':
                    return WordCharacters();
                case 'W':
                    return WordCharacters().Complement();
                default:
                    string escape = "\\" + (char)letter;
                    throw new PatternException(
                        escapeIndex,
                        "invalid escape '" + escape + "': Lucene defines only \\d, \\D, \\s, \\S, \\w and \\W, " +
                        "so write the letter without a backslash");
            }
        }

        private static CodePointSet Whitespace()
        {
            var set = CodePointSet.Of('\t', '\n');
            set.Add('\r');
            set.Add(' ');
            return set;
        }

        private static CodePointSet WordCharacters()
        {
            var set = CodePointSet.Of('0', '9');
            set.Add('A', 'Z');
            set.Add('_');
            set.Add('a', 'z');
            return set;
        }

        private string Literal(int codePoint)
        {
            if (_ignoreCase && CaseVariants.Of(codePoint) is not null)
            {
                var set = new CodePointSet();
                AddWithCaseVariants(set, codePoint);
                return Emit(set);
            }

            return Escape(codePoint);
        }

        private void AddWithCaseVariants(CodePointSet set, int codePoint)
        {
            int[]? variants = _ignoreCase ? CaseVariants.Of(codePoint) : null;
            if (variants is null)
            {
                set.Add(codePoint);
                return;
            }

            foreach (int variant in variants)
            {
                set.Add(variant);
            }
        }

        private static PatternException MissingBracket(int open)
        {
            return new PatternException(open, "missing ']' to close the character class that starts here");
        }

        private bool Peek(char c) => More && _pattern[_position] == c;

        private bool Match(char c)
        {
            if (!Peek(c))
            {
                return false;
            }

            _position++;
            return true;
        }

        private int NextCodePoint()
        {
            char c = _pattern[_position];
            if (char.IsHighSurrogate(c) && _position + 1 < _pattern.Length && char.IsLowSurrogate(_pattern[_position + 1]))
            {
                _position += 2;
                return char.ConvertToUtf32(c, _pattern[_position - 1]);
            }

            _position++;
            return c;
        }

        private static bool IsAsciiLetter(int c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /// <summary>
    /// Writes a set of code points as .NET pattern text that consumes one code point: a class for the Basic
    /// Multilingual Plane and surrogate pairs for the planes above it. Code points U+D800 to U+DFFF are left out,
    /// so no class matches half of a surrogate pair. A lone surrogate in a value therefore matches no class and no
    /// <c>.</c>. Event values never contain one, because System.Text.Json rejects a lone surrogate escape.
    /// </summary>
    private static string Emit(CodePointSet set)
    {
        var alternatives = new List<string>();
        var basicPlane = new List<CodePointRange>();
        foreach (var range in set.Ranges)
        {
            AddBasicPlanePart(basicPlane, range.First, Math.Min(range.Last, 0xD7FF));
            AddBasicPlanePart(basicPlane, Math.Max(range.First, 0xE000), Math.Min(range.Last, 0xFFFF));
        }

        if (basicPlane.Count == 1 && basicPlane[0].First == basicPlane[0].Last)
        {
            alternatives.Add(Escape(basicPlane[0].First));
        }
        else if (basicPlane.Count > 0)
        {
            alternatives.Add(Class(basicPlane));
        }

        foreach (var range in set.Ranges)
        {
            if (range.Last >= 0x10000)
            {
                AddSurrogatePairs(alternatives, Math.Max(range.First, 0x10000), range.Last);
            }
        }

        if (alternatives.Count == 0)
        {
            return NoMatch;
        }

        return alternatives.Count == 1 ? alternatives[0] : "(?:" + string.Join("|", alternatives) + ")";
    }

    private static void AddBasicPlanePart(List<CodePointRange> ranges, int first, int last)
    {
        if (first <= last)
        {
            ranges.Add(new CodePointRange(first, last));
        }
    }

    /// <summary>Adds the UTF-16 sequences of the supplementary code points from first to last.</summary>
    private static void AddSurrogatePairs(List<string> alternatives, int first, int last)
    {
        int firstHigh = HighSurrogate(first);
        int firstLow = LowSurrogate(first);
        int lastHigh = HighSurrogate(last);
        int lastLow = LowSurrogate(last);
        if (firstHigh == lastHigh)
        {
            alternatives.Add(Escape(firstHigh) + Class(firstLow, lastLow));
            return;
        }

        if (firstLow != 0xDC00)
        {
            alternatives.Add(Escape(firstHigh) + Class(firstLow, 0xDFFF));
            firstHigh++;
        }

        string? tail = null;
        if (lastLow != 0xDFFF)
        {
            tail = Escape(lastHigh) + Class(0xDC00, lastLow);
            lastHigh--;
        }

        if (firstHigh <= lastHigh)
        {
            alternatives.Add(Class(firstHigh, lastHigh) + Class(0xDC00, 0xDFFF));
        }

        if (tail is not null)
        {
            alternatives.Add(tail);
        }
    }

    private static int HighSurrogate(int codePoint) => 0xD800 + ((codePoint - 0x10000) >> 10);

    private static int LowSurrogate(int codePoint) => 0xDC00 + ((codePoint - 0x10000) & 0x3FF);

    private static string Class(int first, int last) => Class(new List<CodePointRange> { new CodePointRange(first, last) });

    private static string Class(List<CodePointRange> ranges)
    {
        var text = new StringBuilder("[");
        foreach (var range in ranges)
        {
            text.Append(EscapeUnit(range.First));
            if (range.Last != range.First)
            {
                text.Append('-').Append(EscapeUnit(range.Last));
            }
        }

        return text.Append(']').ToString();
    }

    /// <summary>Writes one code point as a literal that means the same inside and outside a .NET class.</summary>
    private static string Escape(int codePoint)
    {
        if (codePoint <= 0xFFFF)
        {
            return EscapeUnit(codePoint);
        }

        string pair = char.ConvertFromUtf32(codePoint);
        return EscapeUnit(pair[0]) + EscapeUnit(pair[1]);
    }

    private static string EscapeUnit(int unit)
    {
        bool isWordCharacter = (unit >= 'a' && unit <= 'z') || (unit >= 'A' && unit <= 'Z') ||
            (unit >= '0' && unit <= '9') || unit == '_';
        if (isWordCharacter)
        {
            return ((char)unit).ToString();
        }

        // A backslash before ASCII punctuation always means the punctuation itself in .NET.
        if (unit > ' ' && unit < 0x7F)
        {
            return "\\" + (char)unit;
        }

        return "\\u" + unit.ToString("X4", CultureInfo.InvariantCulture);
    }

    private readonly struct CodePointRange
    {
        public CodePointRange(int first, int last)
        {
            First = first;
            Last = last;
        }

        public int First { get; }

        public int Last { get; }
    }

    /// <summary>A set of code points, kept as sorted ranges that neither overlap nor touch.</summary>
    private sealed class CodePointSet
    {
        private List<CodePointRange> _ranges = new List<CodePointRange>();

        public IReadOnlyList<CodePointRange> Ranges => _ranges;

        public static CodePointSet Of(int first, int last)
        {
            var set = new CodePointSet();
            set.Add(first, last);
            return set;
        }

        public static CodePointSet All() => Of(0, MaxCodePoint);

        public void Add(int codePoint) => Add(codePoint, codePoint);

        public void Add(CodePointSet other)
        {
            foreach (var range in other._ranges)
            {
                Add(range.First, range.Last);
            }
        }

        public void Add(int first, int last)
        {
            var merged = new List<CodePointRange>(_ranges.Count + 1);
            int i = 0;
            while (i < _ranges.Count && _ranges[i].Last < first - 1)
            {
                merged.Add(_ranges[i++]);
            }

            while (i < _ranges.Count && _ranges[i].First <= last + 1)
            {
                first = Math.Min(first, _ranges[i].First);
                last = Math.Max(last, _ranges[i].Last);
                i++;
            }

            merged.Add(new CodePointRange(first, last));
            while (i < _ranges.Count)
            {
                merged.Add(_ranges[i++]);
            }

            _ranges = merged;
        }

        public CodePointSet Complement()
        {
            var complement = new CodePointSet();
            int next = 0;
            foreach (var range in _ranges)
            {
                if (range.First > next)
                {
                    complement._ranges.Add(new CodePointRange(next, range.First - 1));
                }

                next = range.Last + 1;
            }

            if (next <= MaxCodePoint)
            {
                complement._ranges.Add(new CodePointRange(next, MaxCodePoint));
            }

            return complement;
        }
    }

    /// <summary>
    /// The simple Unicode case variants of each character of the Basic Multilingual Plane, grouped by
    /// <c>char.ToUpperInvariant</c> and <c>char.ToLowerInvariant</c>, so 'k', 'K' and the Kelvin sign form one group.
    /// </summary>
    private static class CaseVariants
    {
        // NOTE: letters above U+FFFF, such as Deseret, get no case variants, although Lucene 10 folds them.
        private static readonly Dictionary<int, int[]> Groups = BuildGroups();

        /// <summary>Returns the character and its case variants in ascending order, or null when it has none.</summary>
        public static int[]? Of(int codePoint) => Groups.TryGetValue(codePoint, out int[]? group) ? group : null;

        private static Dictionary<int, int[]> BuildGroups()
        {
            var parent = new int[0x10000];
            for (int c = 0; c < parent.Length; c++)
            {
                parent[c] = c;
            }

            for (int c = 0; c < parent.Length; c++)
            {
                if (c >= 0xD800 && c <= 0xDFFF)
                {
                    continue;
                }

                Join(parent, c, char.ToLowerInvariant((char)c));
                Join(parent, c, char.ToUpperInvariant((char)c));
            }

            var sizes = new int[parent.Length];
            for (int c = 0; c < parent.Length; c++)
            {
                sizes[Root(parent, c)]++;
            }

            var members = new Dictionary<int, List<int>>();
            for (int c = 0; c < parent.Length; c++)
            {
                int root = Root(parent, c);
                if (sizes[root] < 2)
                {
                    continue;
                }

                if (!members.TryGetValue(root, out var list))
                {
                    list = new List<int>(sizes[root]);
                    members[root] = list;
                }

                list.Add(c);
            }

            var groups = new Dictionary<int, int[]>();
            foreach (var list in members.Values)
            {
                int[] group = list.ToArray();
                foreach (int c in group)
                {
                    groups[c] = group;
                }
            }

            return groups;
        }

        private static void Join(int[] parent, int a, int b)
        {
            int rootA = Root(parent, a);
            int rootB = Root(parent, b);
            if (rootA != rootB)
            {
                parent[Math.Max(rootA, rootB)] = Math.Min(rootA, rootB);
            }
        }

        private static int Root(int[] parent, int c)
        {
            while (parent[c] != c)
            {
                parent[c] = parent[parent[c]];
                c = parent[c];
            }

            return c;
        }
    }

    /// <summary>Writes Lucene's decimal interval <c>&lt;min-max&gt;</c> as a .NET pattern.</summary>
    private static class DecimalInterval
    {
        /// <summary>
        /// Translates the integers from <paramref name="low"/> to <paramref name="high"/>. With
        /// <paramref name="digits"/> above zero every value is zero-padded to that width, as Lucene's
        /// <c>Automata.makeDecimalInterval</c> requires. With zero, any number of leading zeros is accepted.
        /// </summary>
        public static string Translate(int low, int high, int digits)
        {
            string lowText = low.ToString(CultureInfo.InvariantCulture);
            string highText = high.ToString(CultureInfo.InvariantCulture);
            if (digits > 0)
            {
                return "(?:" + Range(lowText.PadLeft(digits, '0'), highText.PadLeft(digits, '0')) + ")";
            }

            var alternatives = new List<string>();
            for (int length = lowText.Length; length <= highText.Length; length++)
            {
                string first = length == lowText.Length ? lowText : "1" + new string('0', length - 1);
                string last = length == highText.Length ? highText : new string('9', length);
                alternatives.Add(Range(first, last));
            }

            return "(?:0*(?:" + string.Join("|", alternatives) + "))";
        }

        /// <summary>Matches the digit strings from first to last, which have the same length.</summary>
        private static string Range(string first, string last)
        {
            if (first == last)
            {
                return first;
            }

            if (first[0] == last[0])
            {
                return first.Substring(0, 1) + Range(first.Substring(1), last.Substring(1));
            }

            int restLength = first.Length - 1;
            string zeros = new string('0', restLength);
            string nines = new string('9', restLength);
            bool firstRestIsZeros = first.Substring(1) == zeros;
            bool lastRestIsNines = last.Substring(1) == nines;
            char fullFrom = firstRestIsZeros ? first[0] : (char)(first[0] + 1);
            char fullTo = lastRestIsNines ? last[0] : (char)(last[0] - 1);

            var alternatives = new List<string>();
            if (!firstRestIsZeros)
            {
                alternatives.Add(first.Substring(0, 1) + Range(first.Substring(1), nines));
            }

            if (fullFrom <= fullTo)
            {
                string leading = fullFrom == fullTo ? fullFrom.ToString() : "[" + fullFrom + "-" + fullTo + "]";
                alternatives.Add(restLength == 0 ? leading : leading + "[0-9]{" + restLength + "}");
            }

            if (!lastRestIsNines)
            {
                alternatives.Add(last.Substring(0, 1) + Range(zeros, last.Substring(1)));
            }

            return alternatives.Count == 1 ? alternatives[0] : "(?:" + string.Join("|", alternatives) + ")";
        }
    }
}
