using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Compiled.Generators.Eql;

namespace Compiled.Generators.Emission;

/// <summary>
/// Emits a computed condition, one that is more than a field compared with literals, as a method that
/// returns a <c>Tri</c>. The method loops over the values of each field the condition reads (one null
/// when a field is missing), evaluates the condition once per combination with <c>EqlValue</c>
/// operators, one statement per step, and is True when any combination is True.
/// </summary>
internal sealed class ExpressionEmitter
{
    private readonly RuleScope _scope;
    private readonly Dictionary<string, string> _fieldVariables = new();
    private readonly List<string> _statements = new();
    private readonly HashSet<string> _locals = new();
    private int _temporaries;

    private ExpressionEmitter(RuleScope scope) => _scope = scope;

    /// <summary>Adds the clause method to the rule and returns its name.</summary>
    public static string EmitClause(RuleScope scope, Expr expression, string comment)
    {
        var emitter = new ExpressionEmitter(scope);
        var fields = new List<FieldExpr>();
        CollectFields(expression, fields);
        foreach (var field in fields)
        {
            if (!emitter._fieldVariables.ContainsKey(field.Path))
            {
                emitter._fieldVariables[field.Path] = emitter.Local(RuleScope.CamelCase(field.Path));
            }
        }

        string result = emitter.Value(expression);
        string name = scope.Unique("Clause" + (scope.Methods.Count + 1).ToString(CultureInfo.InvariantCulture));
        var writer = new SourceWriter();
        writer.Line("/// <summary>");
        writer.Comment(CSharpText.Xml(comment), "/// ");
        writer.Line("/// </summary>");
        writer.Line(RuleEmitter.HotPath);
        writer.Open($"private Tri {name}(EventRecord ev)");
        writer.Line("var result = Tri.Null;");
        bool product = emitter._fieldVariables.Count > 1;
        if (product)
        {
            writer.Line("int combinations = 0;");
        }

        foreach (var path in emitter._fieldVariables.Keys)
        {
            writer.Open($"foreach (var {emitter._fieldVariables[path]} in Eql.Each(ev, {scope.Slot(path)}))");
        }

        if (product)
        {
            writer.Comment("Several multi-valued fields multiply, so past the limit the result so far is returned.");
            writer.Open("if (++combinations > Eql.MaxCombinations)");
            writer.Line("return result;");
            writer.Close();
            writer.Line();
        }

        foreach (var statement in emitter._statements)
        {
            writer.Line(statement);
        }

        writer.Line($"result = Eql.Combine(result, {result}.ToTri());");
        writer.Open("if (result is Tri.True)");
        writer.Line("return Tri.True;");
        writer.Close();
        foreach (var _ in emitter._fieldVariables)
        {
            writer.Close();
        }

        writer.Line();
        writer.Line("return result;");
        writer.Close();
        scope.Methods.Add(writer.ToString());
        return name;
    }

    private static void CollectFields(Expr expression, List<FieldExpr> fields)
    {
        switch (expression)
        {
            case FieldExpr field:
                fields.Add(field);
                break;
            case BinaryExpr binary:
                CollectFields(binary.Left, fields);
                CollectFields(binary.Right, fields);
                break;
            case NotExpr not:
                CollectFields(not.Operand, fields);
                break;
            case NegateExpr negate:
                CollectFields(negate.Operand, fields);
                break;
            case InExpr inExpr:
                CollectFields(inExpr.Value, fields);
                break;
            case PatternExpr pattern:
                CollectFields(pattern.Value, fields);
                break;
            case CallExpr call:
                foreach (var argument in call.Arguments)
                {
                    CollectFields(argument, fields);
                }

                break;
        }
    }

    /// <summary>Returns a C# expression of type <c>EqlValue</c>, adding statements for the steps it needs.</summary>
    private string Value(Expr expression)
    {
        switch (expression)
        {
            case LiteralExpr literal:
                return Literal(literal);
            case FieldExpr field:
                return _fieldVariables[field.Path];
            case NotExpr not:
                return Step($"EqlOperators.Not({Value(not.Operand)})");
            case NegateExpr negate:
                return Step($"EqlOperators.Negate({Value(negate.Operand)})");
            case BinaryExpr binary:
                return Binary(binary);
            case InExpr inExpr:
                return In(inExpr);
            case PatternExpr pattern:
                return Pattern(pattern);
            case CallExpr call:
                return Call(call);
            default:
                throw new System.NotSupportedException($"No emitter for {expression.GetType().Name}.");
        }
    }

    private string Binary(BinaryExpr binary)
    {
        if (binary.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual &&
            (binary.Left is LiteralExpr { Kind: LiteralKind.Null } || binary.Right is LiteralExpr { Kind: LiteralKind.Null }))
        {
            // x == null is an IS NULL test, which is never null itself.
            var other = binary.Left is LiteralExpr { Kind: LiteralKind.Null } ? binary.Right : binary.Left;
            string isNull = $"EqlOperators.IsNull({Value(other)})";
            return Step(binary.Operator == BinaryOperator.Equal ? isNull : $"EqlOperators.Not({isNull})");
        }

        string left = Value(binary.Left);
        string right = Value(binary.Right);
        string name = binary.Operator switch
        {
            BinaryOperator.And => "And",
            BinaryOperator.Or => "Or",
            BinaryOperator.Equal => "Equal",
            BinaryOperator.NotEqual => "NotEqual",
            BinaryOperator.LessThan => "LessThan",
            BinaryOperator.LessThanOrEqual => "LessThanOrEqual",
            BinaryOperator.GreaterThan => "GreaterThan",
            BinaryOperator.GreaterThanOrEqual => "GreaterThanOrEqual",
            BinaryOperator.Add => "Add",
            BinaryOperator.Subtract => "Subtract",
            BinaryOperator.Multiply => "Multiply",
            BinaryOperator.Divide => "Divide",
            _ => "Modulo",
        };
        return Step($"EqlOperators.{name}({left}, {right})");
    }

    private string In(InExpr inExpr)
    {
        string value = Value(inExpr.Value);
        string equal = inExpr.IsCaseInsensitive ? "EqualIgnoreCase" : "Equal";
        string? any = null;
        foreach (var item in inExpr.Items)
        {
            string test = Step($"EqlOperators.{equal}({value}, {Value(item)})");
            any = any is null ? test : Step($"EqlOperators.Or({any}, {test})");
        }

        return inExpr.IsNegated ? Step($"EqlOperators.Not({any})") : any!;
    }

    private string Pattern(PatternExpr pattern)
    {
        string value = Value(pattern.Value);
        if (pattern.Kind == PatternKind.Regex)
        {
            string regex = _scope.AddStatic("computed", "Regex", "global::Compiled.Runtime.Matching.RegexPattern", ConditionEmitter.RegexInitializer(pattern));
            return Step($"EqlOperators.Regex({value}, {regex})");
        }

        bool ignoreCase = pattern.Kind == PatternKind.Colon || pattern.IsCaseInsensitive;
        string patterns = string.Join(", ", pattern.Patterns.Select(item =>
            $"new global::Compiled.Runtime.Matching.WildcardPattern({CSharpText.Literal(((LiteralExpr)item).Value)}, ignoreCase: {(ignoreCase ? "true" : "false")})"));
        string name = _scope.AddStatic("computed", "Patterns", "global::Compiled.Runtime.Matching.WildcardPattern[]", $"{{ {patterns} }}");
        return Step($"EqlOperators.Like({value}, {name})");
    }

    private string Call(CallExpr call)
    {
        string function = EqlFunctions.Find(call.Name)!.Name;
        string ignoreCase = call.IsCaseInsensitive ? "true" : "false";
        string Argument(int index) => index < call.Arguments.Count ? Value(call.Arguments[index]) : "EqlValue.Null";

        switch (function)
        {
            case "add":
            case "subtract":
            case "multiply":
            case "divide":
            case "modulo":
                string name = char.ToUpperInvariant(function[0]) + function.Substring(1);
                return Step($"EqlOperators.{name}({Argument(0)}, {Argument(1)})");
            case "between":
                string greedy = call.Arguments.Count > 3 ? Argument(3) : "EqlValue.False";
                return Step($"EqlFunctions.Between({Argument(0)}, {Argument(1)}, {Argument(2)}, {greedy}, ignoreCase: {ignoreCase})");
            case "cidrMatch":
                string blocks = string.Join(", ", call.Arguments.Skip(1).Select(item => CSharpText.Literal(((LiteralExpr)item).Value)));
                string set = _scope.AddStatic("computed", "Blocks", "global::Compiled.Runtime.Matching.CidrSet", $"new({blocks})");
                return Step($"EqlFunctions.CidrMatch({Argument(0)}, {set})");
            case "concat":
                string text = Step($"EqlFunctions.Concat(ev.Scratch, {Argument(0)})");
                for (int i = 1; i < call.Arguments.Count; i++)
                {
                    text = Step($"EqlFunctions.Concat(ev.Scratch, {text}, {Argument(i)})");
                }

                return text;
            case "endsWith":
                return Step($"EqlFunctions.EndsWith({Argument(0)}, {Argument(1)}, ignoreCase: {ignoreCase})");
            case "startsWith":
                return Step($"EqlFunctions.StartsWith({Argument(0)}, {Argument(1)}, ignoreCase: {ignoreCase})");
            case "stringContains":
                return Step($"EqlFunctions.StringContains({Argument(0)}, {Argument(1)}, ignoreCase: {ignoreCase})");
            case "indexOf":
                return Step($"EqlFunctions.IndexOf({Argument(0)}, {Argument(1)}, {Argument(2)}, ignoreCase: {ignoreCase})");
            case "length":
                return Step($"EqlFunctions.Length({Argument(0)})");
            case "number":
                return Step($"EqlFunctions.Number({Argument(0)}, {Argument(1)})");
            case "string":
                return Step($"EqlFunctions.String(ev.Scratch, {Argument(0)})");
            default:
                return Step($"EqlFunctions.Substring({Argument(0)}, {Argument(1)}, {Argument(2)})");
        }
    }

    private static string Literal(LiteralExpr literal)
    {
        switch (literal.Kind)
        {
            case LiteralKind.Null:
                return "EqlValue.Null";
            case LiteralKind.Boolean:
                return literal.Value == "true" ? "EqlValue.True" : "EqlValue.False";
            case LiteralKind.Integer when long.TryParse(literal.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer):
                return $"EqlValue.FromInteger({integer.ToString(CultureInfo.InvariantCulture)}L)";
            case LiteralKind.Integer:
            case LiteralKind.Decimal:
                double number = double.Parse(literal.Value, NumberStyles.Float, CultureInfo.InvariantCulture);
                return $"EqlValue.FromDouble({number.ToString("R", CultureInfo.InvariantCulture)}d)";
            default:
                return $"EqlValue.FromString({CSharpText.Literal(literal.Value)})";
        }
    }

    private string Step(string expression)
    {
        string name = Local("value" + (++_temporaries).ToString(CultureInfo.InvariantCulture));
        _statements.Add($"var {name} = {expression};");
        return name;
    }

    private string Local(string name)
    {
        string candidate = name;
        for (int i = 2; !_locals.Add(candidate) || candidate is "ev" or "result"; i++)
        {
            candidate = name + i.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
