using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Compiled.Runtime.Matching;

/// <summary>
/// A deterministic automaton for Lucene regular expressions with complement (<c>~</c>) and intersection
/// (<c>&amp;</c>), which .NET's engines lack. It reads the pattern as <see cref="Generators.Eql.LuceneRegex"/>
/// translates it, where a bare <c>~</c> and <c>&amp;</c> mark the two operators, and builds the automaton from
/// Brzozowski derivatives: the state after reading a character is the expression that the rest of the value
/// must match. Matching reads each UTF-16 unit once, so its time is linear in the length of the value.
/// </summary>
/// <remarks>
/// All states are built in the constructor, over classes of characters that every set in the pattern treats
/// alike, so matching never allocates. The generator compiles the same file, so a pattern too complex for it is
/// a build error.
/// NOTE: Lucene bounds determinization by a work limit of 10,000 (Operations.DEFAULT_DETERMINIZE_WORK_LIMIT).
/// This class caps the number of states at the same figure, which approximates that limit.
/// </remarks>
internal sealed class RegexAutomaton
{
    /// <summary>The maximum number of states of an automaton.</summary>
    public const int MaxStates = 10_000;

    private readonly char[] _classStarts;
    private readonly int[] _transitions;
    private readonly bool[] _accepting;
    private readonly int _classCount;

    /// <param name="translated">A pattern translated by <c>LuceneRegex.TryTranslate</c>.</param>
    /// <exception cref="ArgumentException">The automaton needs more than <see cref="MaxStates"/> states.</exception>
    public RegexAutomaton(string translated)
    {
        var builder = new NodeBuilder();
        var root = new TextParser(translated, builder).ParseWhole();
        _classStarts = builder.ClassStarts();
        _classCount = _classStarts.Length;

        var states = new List<Node> { root };
        var index = new Dictionary<Node, int> { [root] = 0 };
        var transitions = new List<int>();
        for (int state = 0; state < states.Count; state++)
        {
            for (int c = 0; c < _classCount; c++)
            {
                var next = builder.Derivative(states[state], _classStarts[c]);
                if (!index.TryGetValue(next, out int target))
                {
                    if (states.Count == MaxStates)
                    {
                        throw new ArgumentException(
                            $"the automaton needs more than {MaxStates} states, more than Elasticsearch determinizes");
                    }

                    target = states.Count;
                    index[next] = target;
                    states.Add(next);
                }

                transitions.Add(target);
            }
        }

        _transitions = transitions.ToArray();
        _accepting = states.Select(state => state.Nullable).ToArray();
    }

    /// <summary>The number of states of the automaton.</summary>
    public int StateCount => _accepting.Length;

    /// <summary>Returns whether the whole value matches.</summary>
    public bool IsMatch(ReadOnlySpan<char> value)
    {
        int state = 0;
        foreach (char c in value)
        {
            int found = Array.BinarySearch(_classStarts, c);
            int characterClass = found >= 0 ? found : ~found - 1;
            state = _transitions[(state * _classCount) + characterClass];
        }

        return _accepting[state];
    }

    private enum Kind : byte
    {
        Nothing,
        Empty,
        Set,
        Concat,
        Or,
        And,
        Not,
        Star,
    }

    /// <summary>
    /// An expression, unique per structure: <see cref="NodeBuilder"/> returns the same instance for equal
    /// expressions, so states compare by reference.
    /// </summary>
    private sealed class Node(Kind kind, int id, bool nullable, Node[] children, (char First, char Last)[] ranges)
    {
        public Kind Kind { get; } = kind;

        public int Id { get; } = id;

        public bool Nullable { get; } = nullable;

        public Node[] Children { get; } = children;

        public (char First, char Last)[] Ranges { get; } = ranges;
    }

    /// <summary>Builds expressions in a normal form (flattened, sorted, without duplicates), which keeps the states finite.</summary>
    private sealed class NodeBuilder
    {
        private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
        private readonly SortedSet<int> _cuts = [0];
        private readonly Dictionary<(int Node, char Class), Node> _derivatives = [];

        public NodeBuilder()
        {
            Nothing = Make(Kind.Nothing, false, [], []);
            Empty = Make(Kind.Empty, true, [], []);
            Everything = Make(Kind.Not, true, [Nothing], []);
        }

        public Node Nothing { get; }

        public Node Empty { get; }

        /// <summary>Every string: the complement of nothing.</summary>
        public Node Everything { get; }

        /// <summary>The first character of each class of characters that no set tells apart, ascending.</summary>
        public char[] ClassStarts() => _cuts.Where(cut => cut <= char.MaxValue).Select(cut => (char)cut).ToArray();

        public Node Set(List<(char First, char Last)> ranges)
        {
            if (ranges.Count == 0)
            {
                return Nothing;
            }

            ranges.Sort((a, b) => a.First.CompareTo(b.First));
            var merged = new List<(char First, char Last)>();
            foreach (var range in ranges)
            {
                int last = merged.Count - 1;
                if (last >= 0 && range.First <= merged[last].Last + 1)
                {
                    merged[last] = (merged[last].First, (char)Math.Max(merged[last].Last, range.Last));
                }
                else
                {
                    merged.Add(range);
                }
            }

            foreach (var (first, last) in merged)
            {
                _cuts.Add(first);
                _cuts.Add(last + 1);
            }

            return Make(Kind.Set, false, [], [.. merged]);
        }

        public Node Concat(Node first, Node second)
        {
            if (first == Nothing || second == Nothing)
            {
                return Nothing;
            }

            if (first == Empty)
            {
                return second;
            }

            if (second == Empty)
            {
                return first;
            }

            if (first.Kind == Kind.Concat)
            {
                return Concat(first.Children[0], Concat(first.Children[1], second));
            }

            return Make(Kind.Concat, first.Nullable && second.Nullable, [first, second], []);
        }

        public Node Or(IEnumerable<Node> items)
        {
            var set = new SortedDictionary<int, Node>();
            foreach (var item in items)
            {
                foreach (var part in item.Kind == Kind.Or ? item.Children : [item])
                {
                    if (part == Everything)
                    {
                        return Everything;
                    }

                    if (part != Nothing)
                    {
                        set[part.Id] = part;
                    }
                }
            }

            return set.Count switch
            {
                0 => Nothing,
                1 => set.Values.First(),
                _ => Make(Kind.Or, set.Values.Any(node => node.Nullable), [.. set.Values], []),
            };
        }

        public Node And(IEnumerable<Node> items)
        {
            var set = new SortedDictionary<int, Node>();
            foreach (var item in items)
            {
                foreach (var part in item.Kind == Kind.And ? item.Children : [item])
                {
                    if (part == Nothing)
                    {
                        return Nothing;
                    }

                    if (part != Everything)
                    {
                        set[part.Id] = part;
                    }
                }
            }

            return set.Count switch
            {
                0 => Everything,
                1 => set.Values.First(),
                _ => Make(Kind.And, set.Values.All(node => node.Nullable), [.. set.Values], []),
            };
        }

        public Node Not(Node operand) => operand.Kind == Kind.Not ? operand.Children[0] : Make(Kind.Not, !operand.Nullable, [operand], []);

        public Node Star(Node operand)
        {
            if (operand == Nothing || operand == Empty)
            {
                return Empty;
            }

            return operand.Kind == Kind.Star ? operand : Make(Kind.Star, true, [operand], []);
        }

        /// <summary>The expression the rest of a value must match after <paramref name="c"/>.</summary>
        public Node Derivative(Node node, char c)
        {
            if (_derivatives.TryGetValue((node.Id, c), out var cached))
            {
                return cached;
            }

            var result = node.Kind switch
            {
                Kind.Set => node.Ranges.Any(range => c >= range.First && c <= range.Last) ? Empty : Nothing,
                Kind.Concat => Or([
                    Concat(Derivative(node.Children[0], c), node.Children[1]),
                    node.Children[0].Nullable ? Derivative(node.Children[1], c) : Nothing]),
                Kind.Or => Or(node.Children.Select(child => Derivative(child, c)).ToList()),
                Kind.And => And(node.Children.Select(child => Derivative(child, c)).ToList()),
                Kind.Not => Not(Derivative(node.Children[0], c)),
                Kind.Star => Concat(Derivative(node.Children[0], c), node),
                _ => Nothing,
            };
            _derivatives[(node.Id, c)] = result;
            return result;
        }

        private Node Make(Kind kind, bool nullable, Node[] children, (char First, char Last)[] ranges)
        {
            var key = new StringBuilder().Append((int)kind);
            foreach (var child in children)
            {
                key.Append(',').Append(child.Id.ToString(CultureInfo.InvariantCulture));
            }

            foreach (var (first, last) in ranges)
            {
                key.Append(';').Append((int)first).Append('-').Append((int)last);
            }

            string text = key.ToString();
            if (!_nodes.TryGetValue(text, out var node))
            {
                node = new Node(kind, _nodes.Count, nullable, children, ranges);
                _nodes[text] = node;
            }

            return node;
        }
    }

    /// <summary>
    /// Reads the subset of .NET pattern syntax that the translation writes: <c>\A(?:...)\z</c>, groups,
    /// <c>|</c>, quantifiers, classes, escaped characters, and the bare <c>&amp;</c> and <c>~</c> operators.
    /// </summary>
    private sealed class TextParser(string text, NodeBuilder builder)
    {
        private int _position;

        public Node ParseWhole()
        {
            Expect(@"\A");
            var body = Peek(@"\z") ? builder.Empty : ParseUnion();
            Expect(@"\z");
            if (_position != text.Length)
            {
                throw Unexpected();
            }

            return body;
        }

        private Node ParseUnion()
        {
            var items = new List<Node> { ParseIntersection() };
            while (Match("|"))
            {
                items.Add(ParseIntersection());
            }

            return builder.Or(items);
        }

        private Node ParseIntersection()
        {
            var items = new List<Node> { ParseConcatenation() };
            while (Match("&"))
            {
                items.Add(ParseConcatenation());
            }

            return builder.And(items);
        }

        private Node ParseConcatenation()
        {
            var parts = new List<Node>();
            while (_position < text.Length && !Peek("|") && !Peek("&") && !Peek(")") && !Peek(@"\z"))
            {
                parts.Add(ParseRepeat());
            }

            var result = builder.Empty;
            for (int i = parts.Count - 1; i >= 0; i--)
            {
                result = builder.Concat(parts[i], result);
            }

            return result;
        }

        private Node ParseRepeat()
        {
            var atom = ParseAtom();
            while (true)
            {
                if (Match("*"))
                {
                    atom = builder.Star(atom);
                }
                else if (Match("+"))
                {
                    atom = builder.Concat(atom, builder.Star(atom));
                }
                else if (Match("?"))
                {
                    atom = builder.Or([atom, builder.Empty]);
                }
                else if (Match("{"))
                {
                    atom = ParseBounds(atom);
                }
                else
                {
                    return atom;
                }
            }
        }

        private Node ParseBounds(Node atom)
        {
            int minimum = ReadNumber();
            int? maximum = minimum;
            if (Match(","))
            {
                maximum = Peek("}") ? null : ReadNumber();
            }

            Expect("}");
            if (minimum > MaxStates || maximum > MaxStates)
            {
                throw new ArgumentException($"a repetition count above {MaxStates} is too large for an automaton");
            }

            var result = builder.Empty;
            for (int i = 0; i < minimum; i++)
            {
                result = builder.Concat(result, atom);
            }

            if (maximum is null)
            {
                return builder.Concat(result, builder.Star(atom));
            }

            var optional = builder.Empty;
            for (int i = minimum; i < maximum; i++)
            {
                optional = builder.Or([builder.Empty, builder.Concat(atom, optional)]);
            }

            return builder.Concat(result, optional);
        }

        private Node ParseAtom()
        {
            if (Match("~(?:"))
            {
                var operand = ParseUnion();
                Expect(")");
                return builder.Not(operand);
            }

            if (Match("(?:"))
            {
                var body = Peek(")") ? builder.Empty : ParseUnion();
                Expect(")");
                return body;
            }

            if (Match(@"[\s\S]"))
            {
                return builder.Set([(char.MinValue, char.MaxValue)]);
            }

            if (Match(@"[^\s\S]"))
            {
                return builder.Nothing;
            }

            if (Match("["))
            {
                var ranges = new List<(char, char)>();
                while (!Match("]"))
                {
                    char first = ReadCharacter();
                    char last = Match("-") ? ReadCharacter() : first;
                    ranges.Add((first, last));
                }

                return builder.Set(ranges);
            }

            char c = ReadCharacter();
            return builder.Set([(c, c)]);
        }

        private char ReadCharacter()
        {
            if (_position >= text.Length)
            {
                throw Unexpected();
            }

            if (Match(@"\u"))
            {
                _position += 4;
                return (char)int.Parse(text.Substring(_position - 4, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }

            if (Match(@"\"))
            {
                _position++;
                return text[_position - 1];
            }

            return text[_position++];
        }

        private int ReadNumber()
        {
            int start = _position;
            while (_position < text.Length && text[_position] >= '0' && text[_position] <= '9')
            {
                _position++;
            }

            return int.Parse(text.Substring(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture);
        }

        private bool Peek(string token) => string.CompareOrdinal(text, _position, token, 0, token.Length) == 0;

        private bool Match(string token)
        {
            if (!Peek(token))
            {
                return false;
            }

            _position += token.Length;
            return true;
        }

        private void Expect(string token)
        {
            if (!Match(token))
            {
                throw Unexpected();
            }
        }

        private ArgumentException Unexpected() =>
            new($"The translated pattern '{text}' has unexpected text at index {_position}.");
    }
}
