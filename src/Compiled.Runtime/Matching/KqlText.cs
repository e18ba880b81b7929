namespace Compiled.Runtime.Matching;

/// <summary>
/// The analyzed value of a KQL test on a text field, tokenized once as Elasticsearch's standard analyzer
/// does. Without <c>phrase</c> any of its tokens matches (a match query). With it, all tokens must
/// appear in order, next to each other (a match_phrase query).
/// </summary>
public sealed class KqlText
{
    private readonly string[] _tokens;
    private readonly bool _phrase;

    public KqlText(string value, bool phrase)
    {
        Value = value;
        _phrase = phrase;
        var tokens = new List<string>();
        var tokenizer = new StandardTokenizer(value);
        while (tokenizer.MoveNext())
        {
            tokens.Add(Lower(tokenizer.Current));
        }

        _tokens = [.. tokens];
    }

    /// <summary>The value as written in the rule.</summary>
    public string Value { get; }

    /// <summary>The lowercased tokens of the value.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Tests one field value. A value without tokens matches nothing, as a match query with no terms.</summary>
    public bool IsMatch(ReadOnlySpan<char> text)
    {
        if (_tokens.Length == 0)
        {
            return false;
        }

        var tokenizer = new StandardTokenizer(text);
        while (tokenizer.MoveNext())
        {
            if (!_phrase)
            {
                if (ContainsToken(tokenizer.Current))
                {
                    return true;
                }

                continue;
            }

            if (!Kql.EqualsLowered(tokenizer.Current, _tokens[0]))
            {
                continue;
            }

            // Compare the following tokens on a copy, so the outer scan goes on from the next token.
            var rest = tokenizer;
            int matched = 1;
            while (matched < _tokens.Length && rest.MoveNext() && Kql.EqualsLowered(rest.Current, _tokens[matched]))
            {
                matched++;
            }

            if (matched == _tokens.Length)
            {
                return true;
            }
        }

        return false;
    }

    private bool ContainsToken(ReadOnlySpan<char> token)
    {
        foreach (var candidate in _tokens)
        {
            if (Kql.EqualsLowered(token, candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static string Lower(ReadOnlySpan<char> token)
    {
        Span<char> lowered = token.Length <= 256 ? stackalloc char[token.Length] : new char[token.Length];
        token.ToLowerInvariant(lowered);
        return new string(lowered);
    }
}
