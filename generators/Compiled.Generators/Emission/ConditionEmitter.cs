using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Compiled.Generators.Eql;
using Compiled.Generators.Kql;

namespace Compiled.Generators.Emission;

/// <summary>
/// Emits EQL conditions as C# boolean expressions under three-valued logic. Each predicate returns a
/// <c>Tri</c>, and <see cref="Test"/> tests whether an expression is exactly True or exactly False.
/// So <c>not</c> of a null comparison is not True, as in Elasticsearch. <c>a and b</c> is True when
/// both are True and False when either is False, and <c>not a</c> is True when a is False.
/// </summary>
internal sealed class ConditionEmitter
{
    // The generated file declares these as using aliases.
    private const string Tri = "Tri";
    private const string Eql = "Eql";
    private const string Comparison = "Comparison";

    /// <summary>String <c>in</c> lists longer than this are hashed.</summary>
    private const int InListInlineLimit = 8;

    private readonly RuleScope _scope;
    private readonly System.Func<Expr, string> _describe;
    private readonly ICollection<string> _dateFields;
    private readonly ICollection<string> _versionFields;
    private readonly ICollection<string> _ipFields;

    /// <summary>The C# emitted for each expression tested for True so far, which the dispatch reads for the parts of an <c>or</c>.</summary>
    private readonly Dictionary<Expr, string> _trueTests = new();

    /// <param name="scope">The rule's members.</param>
    /// <param name="describe">Returns the query text of an expression, for comments.</param>
    /// <param name="dateFields">The fields known to hold dates: <c>@timestamp</c>, the rule's timestamp field and required fields of type <c>date</c>.</param>
    /// <param name="versionFields">The required fields of type <c>version</c>, which order as software versions.</param>
    /// <param name="ipFields">The fields of type <c>ip</c>, whose <c>==</c>, <c>!=</c> and <c>in</c> with strings compare addresses.</param>
    public ConditionEmitter(RuleScope scope, System.Func<Expr, string> describe, ICollection<string> dateFields, ICollection<string> versionFields,
        ICollection<string> ipFields)
    {
        _scope = scope;
        _describe = describe;
        _dateFields = dateFields;
        _versionFields = versionFields;
        _ipFields = ipFields;
    }

    /// <summary>
    /// Returns true for the predicates that have a dedicated runtime method. These are a field compared with
    /// a literal, a field in a list of literals of one type, a field against string patterns, cidrMatch of
    /// a field, and a field by itself. Everything else is a computed condition.
    /// </summary>
    private static bool IsSimple(Expr expression)
    {
        switch (expression)
        {
            case FieldExpr:
            case KqlMatchExpr:
            case Filters.FilterRangeExpr:
                return true;
            case BinaryExpr { Operator: BinaryOperator.Equal or BinaryOperator.NotEqual } equality:
                return (equality.Left is FieldExpr && equality.Right is LiteralExpr) || (equality.Left is LiteralExpr && equality.Right is FieldExpr);
            case BinaryExpr { Operator: BinaryOperator.LessThan or BinaryOperator.LessThanOrEqual or BinaryOperator.GreaterThan or BinaryOperator.GreaterThanOrEqual } order:
                return (order.Left is FieldExpr && order.Right is LiteralExpr { Kind: not LiteralKind.Null and not LiteralKind.Boolean })
                    || (order.Left is LiteralExpr { Kind: not LiteralKind.Null and not LiteralKind.Boolean } && order.Right is FieldExpr);
            case InExpr inExpr:
                return inExpr.Value is FieldExpr && inExpr.Items.Count > 0 &&
                    (inExpr.Items.All(item => item is LiteralExpr { Kind: LiteralKind.String }) ||
                     (!inExpr.IsCaseInsensitive && inExpr.Items.All(item => item is LiteralExpr { Kind: LiteralKind.Integer or LiteralKind.Decimal })));
            case PatternExpr pattern:
                return pattern.Value is FieldExpr && pattern.Patterns.All(item => item is LiteralExpr { Kind: LiteralKind.String });
            case CallExpr call:
                return call.Name.Equals("cidrMatch", System.StringComparison.OrdinalIgnoreCase) && call.Arguments.Count > 1 &&
                    call.Arguments[0] is FieldExpr && call.Arguments.Skip(1).All(item => item is LiteralExpr { Kind: LiteralKind.String });
            default:
                return false;
        }
    }

    /// <summary>Splits a top-level <c>and</c> chain into its conjuncts, in order.</summary>
    public static List<Expr> Conjuncts(Expr expression)
    {
        var result = new List<Expr>();
        Collect(expression, result);
        return result;

        static void Collect(Expr node, List<Expr> into)
        {
            if (node is BinaryExpr { Operator: BinaryOperator.And } and)
            {
                Collect(and.Left, into);
                Collect(and.Right, into);
            }
            else
            {
                into.Add(node);
            }
        }
    }

    /// <summary>Returns C# that is true when <paramref name="expression"/> is not True, in the plainest form for one clause.</summary>
    public string Fails(Expr expression)
    {
        string test = Test(expression, true);
        string isTrue = $" is {Tri}.True";
        string isFalse = $" is {Tri}.False";
        if (test.EndsWith(isTrue, System.StringComparison.Ordinal) && !test.StartsWith("(", System.StringComparison.Ordinal))
        {
            return test.Substring(0, test.Length - isTrue.Length) + $" is not {Tri}.True";
        }

        if (test.EndsWith(isFalse, System.StringComparison.Ordinal) && !test.StartsWith("(", System.StringComparison.Ordinal))
        {
            return test.Substring(0, test.Length - isFalse.Length) + $" is not {Tri}.False";
        }

        if (test.StartsWith("(", System.StringComparison.Ordinal))
        {
            return "!" + test;
        }

        // An IS NULL test is a plain boolean call, negated with a leading '!' or not.
        return test.StartsWith("!", System.StringComparison.Ordinal) ? test.Substring(1) : "!" + test;
    }

    /// <summary>Returns the C# emitted so far that is true exactly when <paramref name="expression"/> is True, or null.</summary>
    public string? TrueTest(Expr expression) => _trueTests.TryGetValue(expression, out string? test) ? test : null;

    /// <summary>Returns C# that is true exactly when <paramref name="expression"/> evaluates to <paramref name="want"/>.</summary>
    public string Test(Expr expression, bool want)
    {
        string test = Emit(expression, want);
        if (want)
        {
            _trueTests[expression] = test;
        }

        return test;
    }

    private string Emit(Expr expression, bool want)
    {
        switch (expression)
        {
            case BinaryExpr { Operator: BinaryOperator.And } and:
                return want
                    ? $"({Test(and.Left, true)} && {Test(and.Right, true)})"
                    : $"({Test(and.Left, false)} || {Test(and.Right, false)})";
            case BinaryExpr { Operator: BinaryOperator.Or } or:
                return want
                    ? $"({Test(or.Left, true)} || {Test(or.Right, true)})"
                    : $"({Test(or.Left, false)} && {Test(or.Right, false)})";
            case NotExpr not:
                return Test(not.Operand, !want);
            case DescribedExpr described:
                return Test(described.Condition, want);
            case LiteralExpr { Kind: LiteralKind.Boolean } literal:
                return (literal.Value == "true") == want ? "true" : "false";
            case BinaryExpr comparison when IsNullTest(comparison, out var field, out bool isEqual):
                // field == null is an IS NULL test: it is never null itself.
                bool wantsNull = isEqual == want;
                return (wantsNull ? "" : "!") + $"{Eql}.IsNull(ev, {_scope.Slot(field.Path)})";
            case InExpr { IsNegated: true } notIn:
                return Test(notIn with { IsNegated = false }, !want);
            case KqlNestedExpr nested:
                return (want ? "" : "!") + $"{Nested(nested)}(ev)";
            case var _ when !IsSimple(expression):
                string clause = ExpressionEmitter.EmitClause(_scope, expression, CSharpText.OneLine(_describe(expression)));
                return $"{clause}(ev) is {Tri}.{(want ? "True" : "False")}";
            default:
                // A constant pattern binds without the overload resolution of an enum's == operator, which
                // took about a tenth of the compiler's time over a rule set of thousands of conditions.
                return $"{Predicate(expression)} is {Tri}.{(want ? "True" : "False")}";
        }
    }

    /// <summary>
    /// Declares a method that returns true when the nested query's inner condition holds for one object at
    /// its path, as Elasticsearch's nested query does, and returns the method's name.
    /// </summary>
    private string Nested(KqlNestedExpr nested)
    {
        string scope = _scope.NestedScope(nested.Path);
        string name = _scope.Unique("MatchOne" + char.ToUpperInvariant(RuleScope.CamelCase(nested.Path)[0]) + RuleScope.CamelCase(nested.Path).Substring(1));
        string inner = Test(nested.Inner, true);
        var method = new SourceWriter();
        method.Line($"/// <summary>{CSharpText.Xml(CSharpText.OneLine(_describe(nested)))}</summary>");
        method.Line(RuleEmitter.HotPath);
        method.Open($"private bool {name}(EventRecord ev)");
        method.Open($"for (int element = ev.NextElement({scope}, -1); element >= 0; element = ev.NextElement({scope}, element))");
        method.Line("int outer = ev.EnterElement(element);");
        method.Line($"bool matches = {inner};");
        method.Line("ev.ExitElement(outer);");
        method.Open("if (matches)");
        method.Line("return true;");
        method.Close();
        method.Close();
        method.Line();
        method.Line("return false;");
        method.Close();
        _scope.Methods.Add(method.ToString());
        return name;
    }

    private static bool IsNullTest(BinaryExpr comparison, out FieldExpr field, out bool isEqual)
    {
        isEqual = comparison.Operator == BinaryOperator.Equal;
        bool equality = comparison.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual;
        if (equality && comparison.Left is FieldExpr left && comparison.Right is LiteralExpr { Kind: LiteralKind.Null })
        {
            field = left;
            return true;
        }

        if (equality && comparison.Right is FieldExpr right && comparison.Left is LiteralExpr { Kind: LiteralKind.Null })
        {
            field = right;
            return true;
        }

        field = null!;
        return false;
    }

    /// <summary>Returns a C# expression of type <c>Tri</c> for one predicate.</summary>
    private string Predicate(Expr expression)
    {
        switch (expression)
        {
            case FieldExpr field:
                return $"{Eql}.IsTrue(ev, {_scope.Slot(field.Path)})";
            case BinaryExpr comparison:
                return CompareToLiteral(comparison);
            case InExpr inExpr:
                return In(inExpr);
            case PatternExpr pattern:
                return Pattern(pattern);
            case CallExpr call when call.Name.Equals("cidrMatch", System.StringComparison.OrdinalIgnoreCase):
                return CidrMatch(call);
            case KqlMatchExpr kql:
                return KqlEmitter.Predicate(_scope, kql);
            case Filters.FilterRangeExpr range:
                return RangeEmitter.Predicate(_scope, range);
            default:
                throw new System.NotSupportedException($"The binder let through an expression the emitter cannot compile: {expression.GetType().Name}");
        }
    }

    private string CompareToLiteral(BinaryExpr comparison)
    {
        var op = comparison.Operator;
        FieldExpr field;
        LiteralExpr literal;
        if (comparison.Left is FieldExpr left && comparison.Right is LiteralExpr right)
        {
            field = left;
            literal = right;
        }
        else
        {
            // A literal on the left: swap the sides and mirror the operator.
            field = (FieldExpr)comparison.Right;
            literal = (LiteralExpr)comparison.Left;
            op = op switch
            {
                BinaryOperator.LessThan => BinaryOperator.GreaterThan,
                BinaryOperator.LessThanOrEqual => BinaryOperator.GreaterThanOrEqual,
                BinaryOperator.GreaterThan => BinaryOperator.LessThan,
                BinaryOperator.GreaterThanOrEqual => BinaryOperator.LessThanOrEqual,
                _ => op,
            };
        }

        string slot = _scope.Slot(field.Path);
        if (_dateFields.Contains(field.Path) && DateSpan(literal, out long first, out long last))
        {
            // A date literal names a span at its own precision, so == matches any time inside it.
            string span = $"{first.ToString(CultureInfo.InvariantCulture)}L, {last.ToString(CultureInfo.InvariantCulture)}L";
            return op switch
            {
                BinaryOperator.Equal => $"{Eql}.DateEqual(ev, {slot}, {span})",
                BinaryOperator.NotEqual => $"{Eql}.Negate({Eql}.DateEqual(ev, {slot}, {span}))",
                _ => $"{Eql}.CompareDate(ev, {slot}, {Comparison}.{OperatorName(op)}, {span})",
            };
        }

        if (literal.Kind == LiteralKind.String && _ipFields.Contains(field.Path) && op is (BinaryOperator.Equal or BinaryOperator.NotEqual))
        {
            string match = IpMatch(field, new[] { literal });
            return op == BinaryOperator.Equal ? match : $"{Eql}.Negate({match})";
        }

        if (literal.Kind == LiteralKind.String && _versionFields.Contains(field.Path) && op is not (BinaryOperator.Equal or BinaryOperator.NotEqual))
        {
            // Equality stays textual: a legal version has exactly one spelling, and an illegal one is compared as text.
            string version = _scope.AddStatic(field.Path, "Version", "byte[]",
                $"global::Compiled.Runtime.Matching.VersionOrder.Encode({CSharpText.Literal(literal.Value)})");
            return $"{Eql}.CompareVersion(ev, {slot}, {Comparison}.{OperatorName(op)}, {version})";
        }

        string value = LiteralValue(literal);
        switch (op)
        {
            case BinaryOperator.Equal:
                return $"{Eql}.Equal(ev, {slot}, {value})";
            case BinaryOperator.NotEqual:
                return $"{Eql}.NotEqual(ev, {slot}, {value})";
            default:
                return $"{Eql}.Compare(ev, {slot}, {Comparison}.{OperatorName(op)}, {value})";
        }
    }

    /// <summary>
    /// Reads a literal compared with a date field as the span of time it names: a date string at its own
    /// precision, or an integer as epoch milliseconds, one millisecond long, as Elasticsearch reads a
    /// number for a <c>date</c> field.
    /// </summary>
    private static bool DateSpan(LiteralExpr literal, out long first, out long last)
    {
        if (literal.Kind == LiteralKind.String)
        {
            return DateLiteral.TryParse(literal.Value, out first, out last);
        }

        first = last = 0;
        if (literal.Kind != LiteralKind.Integer || !long.TryParse(literal.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long milliseconds) ||
            milliseconds > long.MaxValue / 1_000_000 - 1 || milliseconds < long.MinValue / 1_000_000)
        {
            return false;
        }

        first = milliseconds * 1_000_000;
        last = first + 999_999;
        return true;
    }

    private static string OperatorName(BinaryOperator op) => op switch
    {
        BinaryOperator.LessThan => "LessThan",
        BinaryOperator.LessThanOrEqual => "LessThanOrEqual",
        BinaryOperator.GreaterThan => "GreaterThan",
        _ => "GreaterThanOrEqual",
    };

    private string In(InExpr inExpr)
    {
        var field = (FieldExpr)inExpr.Value;
        var items = inExpr.Items.Select(item => (LiteralExpr)item).ToList();
        string slot = _scope.Slot(field.Path);
        if (items.All(item => item.Kind is LiteralKind.Integer or LiteralKind.Decimal))
        {
            string numbers = string.Join(", ", items.Select(LiteralValue));
            string name = _scope.AddStatic(field.Path, "Values", "double[]", $"{{ {numbers} }}");
            return $"{Eql}.In(ev, {slot}, {name})";
        }

        if (_ipFields.Contains(field.Path))
        {
            // Letter case does not matter to an address, so in~ compares as in does.
            return IpMatch(field, items);
        }

        string strings = string.Join(", ", items.Select(item => CSharpText.Literal(item.Value)));
        if (items.Count > InListInlineLimit)
        {
            // A long list is hashed once, so each value costs one lookup instead of a scan of the list.
            string set = _scope.AddStatic(field.Path, "Values", "global::Compiled.Runtime.Matching.StringSet",
                $"new({(inExpr.IsCaseInsensitive ? "true" : "false")}, {strings})");
            return $"{Eql}.In(ev, {slot}, {set})";
        }

        string list = _scope.AddStatic(field.Path, "Values", "string[]", $"{{ {strings} }}");
        return inExpr.IsCaseInsensitive ? $"{Eql}.InIgnoreCase(ev, {slot}, {list})" : $"{Eql}.In(ev, {slot}, {list})";
    }

    private string Pattern(PatternExpr pattern)
    {
        var field = (FieldExpr)pattern.Value;
        if (pattern.Kind == PatternKind.Regex)
        {
            string regex = _scope.AddStatic(field.Path, "Regex", "global::Compiled.Runtime.Matching.RegexPattern", RegexInitializer(pattern));
            return $"{Eql}.Regex(ev, {_scope.Slot(field.Path)}, {regex})";
        }

        // The runtime classifies the patterns once, so each test costs one static field and one call, which keeps
        // a rule set of thousands of patterns quick to compile.
        bool ignoreCase = pattern.Kind == PatternKind.Colon || pattern.IsCaseInsensitive;
        string texts = string.Join(", ", pattern.Patterns.Select(item => CSharpText.Literal(((LiteralExpr)item).Value)));
        string patterns = _scope.AddStatic(field.Path, "Like", "global::Compiled.Runtime.Matching.LikePatterns",
            $"new({(ignoreCase ? "true" : "false")}, {texts})");
        return $"{Eql}.Like(ev, {_scope.Slot(field.Path)}, {patterns})";
    }

    /// <summary>
    /// Returns the initializer of one <c>RegexPattern</c> for all of a regex list's patterns, joined with
    /// <c>|</c> as Elasticsearch joins them.
    /// </summary>
    public static string RegexInitializer(PatternExpr pattern)
    {
        var texts = pattern.Patterns.Select(item => ((LiteralExpr)item).Value).ToList();
        string joined = texts.Count == 1 ? texts[0] : string.Join("|", texts.Select(text => "(" + text + ")"));
        return $"new({CSharpText.Literal(joined)}, ignoreCase: {(pattern.IsCaseInsensitive ? "true" : "false")})";
    }

    private string CidrMatch(CallExpr call) =>
        IpMatch((FieldExpr)call.Arguments[0], call.Arguments.Skip(1).Select(item => (LiteralExpr)item));

    /// <summary>
    /// Emits a test of whether any address value of an <c>ip</c> field lies in any of the addresses or CIDR
    /// blocks, parsed once into a static set. Elasticsearch's term query on an <c>ip</c> field matches this way,
    /// so <c>==</c> and <c>in</c> on such a field compile to the same test as <c>cidrMatch</c>.
    /// </summary>
    private string IpMatch(FieldExpr field, IEnumerable<LiteralExpr> literals)
    {
        string blocks = string.Join(", ", literals.Select(item => CSharpText.Literal(item.Value)));
        string name = _scope.AddStatic(field.Path, "Blocks", "global::Compiled.Runtime.Matching.CidrSet", $"new({blocks})");
        return $"{Eql}.CidrMatch(ev, {_scope.Slot(field.Path)}, {name})";
    }

    private static string LiteralValue(LiteralExpr literal) => literal.Kind switch
    {
        LiteralKind.String => CSharpText.Literal(literal.Value),
        LiteralKind.Integer or LiteralKind.Decimal => literal.Value + "d",
        LiteralKind.Boolean => literal.Value,
        _ => "null",
    };
}
