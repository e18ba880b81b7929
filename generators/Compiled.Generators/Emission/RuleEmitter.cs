using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Compiled.Generators.Eql;
using Compiled.Generators.RuleFiles;

namespace Compiled.Generators.Emission;

/// <summary>A generated source file.</summary>
internal sealed record GeneratedFile(string HintName, string Source);

/// <summary>
/// Emits one rule as a sealed class: the rule's metadata as typed static members, one method per query
/// stage with a comment before each clause, and an <c>Evaluate</c> method that the host calls per event.
/// </summary>
internal sealed class RuleEmitter
{
    public const string Namespace = "Compiled.Rules";
    public const string GeneratorVersion = "0.1.0";

    private const string Runtime = "global::Compiled.Runtime";

    /// <summary>
    /// The attribute of a method that runs per event: the runtime compiles it fully optimized at its first call,
    /// instead of running it unoptimized until it has been called often enough to be recompiled.
    /// </summary>
    internal const string HotPath = "[MethodImpl(MethodImplOptions.AggressiveOptimization)]";

    /// <summary>Short names for the runtime types the matching code uses on every line.</summary>
    private static readonly string[] Aliases =
    {
        "using Comparison = global::Compiled.Runtime.Matching.Comparison;",
        "using Eql = global::Compiled.Runtime.Matching.Eql;",
        "using EqlFunctions = global::Compiled.Runtime.Matching.EqlFunctions;",
        "using EqlOperators = global::Compiled.Runtime.Matching.EqlOperators;",
        "using EqlValue = global::Compiled.Runtime.Matching.EqlValue;",
        "using EventRecord = global::Compiled.Runtime.Events.EventRecord;",
        "using MethodImpl = global::System.Runtime.CompilerServices.MethodImplAttribute;",
        "using MethodImplOptions = global::System.Runtime.CompilerServices.MethodImplOptions;",
        "using StringComparison = global::System.StringComparison;",
        "using Tri = global::Compiled.Runtime.Matching.Tri;",

        // The span overloads of Equals, StartsWith, EndsWith, Contains and ContainsAny, without importing System's types.
        "using static global::System.MemoryExtensions;",
    };

    private readonly RuleSpec _rule;
    private readonly string _className;
    private readonly RuleScope _scope = new();
    private readonly ConditionEmitter _conditions;
    private readonly HashSet<string> _dateFields = new() { "@timestamp" };
    private readonly DispatchEmitter _dispatch = new();

    private RuleEmitter(RuleSpec rule, string className)
    {
        _rule = rule;
        _className = className;
        if (rule.TimestampOverride is { } timestampField)
        {
            _dateFields.Add(timestampField);
        }

        var versionFields = new HashSet<string>();
        foreach (var field in rule.RequiredFields)
        {
            if (field.Type is "date" or "date_nanos")
            {
                _dateFields.Add(field.Name);
            }
            else if (field.Type == "version")
            {
                versionFields.Add(field.Name);
            }
        }

        _conditions = new ConditionEmitter(_scope, expression => Text(expression.Range), _dateFields, versionFields, new HashSet<string>(rule.IpFields));
    }

    /// <summary>The field that contains the event category: <c>event_category_override</c>, else <c>event.category</c>.</summary>
    private string CategoryField => _rule.EventCategoryOverride ?? "event.category";

    public static GeneratedFile Emit(RuleSpec rule, string className)
    {
        var emitter = new RuleEmitter(rule, className);
        return new GeneratedFile(className + ".g.cs", emitter.Write());
    }

    private string Write()
    {
        // The body comes first because emitting it declares the slot and static fields the header lists.
        var body = new SourceWriter();
        var stateful = _rule.Stateful is { } statefulSpec ? new StatefulEmitter(_rule, statefulSpec, _scope) : null;
        bool fallsBack = _rule.TimestampOverride is not null && !_rule.TimestampOverrideFallbackDisabled;

        // EventQueryRule reads the event time itself, so a plain event query declares no slot fields for it.
        string timestampSlot = "-1", fallbackSlot = "-1";
        if (_rule.ParsedQuery is not EventQuery || stateful is not null)
        {
            timestampSlot = _scope.Slot(_rule.TimestampOverride ?? "@timestamp");
            fallbackSlot = fallsBack ? _scope.Slot("@timestamp") : "-1";
        }
        else
        {
            _scope.AddField(_rule.TimestampOverride ?? "@timestamp");
            if (fallsBack)
            {
                _scope.AddField("@timestamp");
            }
        }

        var matcherFields = new List<string>();
        var constructorLines = new List<string>();
        string baseClass = $"{Runtime}.Rules.DetectionRule";
        string baseArguments = "Metadata";
        switch (_rule.ParsedQuery)
        {
            case EventQuery query when stateful is not null && StatefulEmitter.HasStatefulBase(_rule):
                stateful.WriteBody(body, query, IndicatorFilter, timestampSlot, fallbackSlot, WriteFilterMethod);
                baseClass = stateful.BaseClass;
                baseArguments = stateful.BaseArguments;
                break;
            case EventQuery query when stateful is not null && _rule.Stateful!.Suppression is not null:
                stateful.WriteSuppressedEventQuery(body, query, timestampSlot, fallbackSlot, matcherFields, constructorLines, WriteFilterMethod);
                break;
            case EventQuery query:
                WriteFilterMethod(body, "Match", query.Filter, "The query condition.", "protected override");
                baseClass = $"{Runtime}.Rules.EventQueryRule";
                baseArguments = $"Metadata, schema.Slot({CSharpText.Literal(_rule.TimestampOverride ?? "@timestamp")}), " +
                    (fallsBack ? "schema.Slot(\"@timestamp\")" : "-1");
                break;
            case SequenceQuery sequence:
                WriteSequence(body, sequence, timestampSlot, fallbackSlot, matcherFields, constructorLines);
                break;
            case SampleQuery sample:
                WriteSample(body, sample, timestampSlot, fallbackSlot, matcherFields, constructorLines);
                break;
        }

        var writer = new SourceWriter();
        writer.Line("// <auto-generated/>");
        writer.Comment("Generated by Compiled.Generators from " + System.IO.Path.GetFileName(_rule.FilePath) + ". Edit the rule file, not this file.");
        // The rule classes compile without nullable analysis, because over the Elastic rule set it took about
        // 15 % of the compile time. The generated code declares no nullable reference types.
        writer.Line("#nullable disable");

        // A filter that folds to a constant, such as a bool query whose should clauses are optional, leaves a dead branch.
        writer.Line("#pragma warning disable CS0162 // Unreachable code detected");
        writer.Line();
        writer.Line($"namespace {Namespace};");
        writer.Line();
        foreach (var alias in Aliases)
        {
            writer.Line(alias);
        }

        writer.Line();
        writer.Line("/// <summary>");
        writer.Comment(CSharpText.Xml(_rule.Name), "/// ");
        writer.Line("/// </summary>");
        writer.Line("/// <remarks>");
        writer.Line("/// <para>");
        writer.Comment(CSharpText.Xml(_rule.Description.Trim()), "/// ");
        writer.Line("/// </para>");
        writer.Line("/// <code>");
        writer.Comment(CSharpText.Xml(_rule.Query.Trim('\n', '\r')), "/// ");
        writer.Line("/// </code>");
        writer.Line("/// </remarks>");
        writer.Line($"[global::System.CodeDom.Compiler.GeneratedCode(\"Compiled.Generators\", \"{GeneratorVersion}\")]");
        writer.Open($"public sealed class {_className} : {baseClass}");
        WriteMetadata(writer);
        writer.Line();
        writer.Line("/// <summary>The event fields this rule reads.</summary>");
        writer.Line($"public static readonly string[] Fields = {{ {string.Join(", ", _scope.Fields.Select(CSharpText.Literal))} }};");
        writer.Line();
        writer.Line("/// <summary>The field that contains the event time for this rule.</summary>");
        writer.Line($"public static readonly string[] TimestampFields = {{ {CSharpText.Literal(_rule.TimestampOverride ?? "@timestamp")} }};");
        writer.Line();
        foreach (var field in _scope.StaticFields)
        {
            writer.Line(field);
        }

        if (_scope.StaticFields.Count > 0)
        {
            writer.Line();
        }

        foreach (var slot in _scope.SlotFields)
        {
            writer.Line($"private readonly int {slot.Value};");
        }

        foreach (var slot in _scope.PatternSlotFields)
        {
            writer.Line($"private readonly int {slot.Key};");
        }

        foreach (var nested in _scope.NestedScopeFields)
        {
            writer.Line($"private readonly int {nested.Key};");
        }

        foreach (var field in matcherFields)
        {
            writer.Line(field);
        }

        writer.Line();
        writer.Line($"public {_className}({Runtime}.Events.FieldSchema schema)");
        writer.Line($"    : base({baseArguments})");
        writer.Open();
        foreach (var slot in _scope.SlotFields)
        {
            writer.Line($"{slot.Value} = schema.Slot({CSharpText.Literal(slot.Key)});");
        }

        foreach (var slot in _scope.PatternSlotFields)
        {
            writer.Line($"{slot.Key} = schema.PatternSlot({slot.Value});");
        }

        foreach (var nested in _scope.NestedScopeFields)
        {
            writer.Line($"{nested.Key} = schema.NestedScope({CSharpText.Literal(nested.Value)});");
        }

        foreach (var line in constructorLines)
        {
            writer.Line(line);
        }

        writer.Close();
        writer.Line();
        // A threshold rule starts its run schedule at the first event it receives and closes intervals as events
        // pass, so it reads every event.
        if (WriteCategories(writer) && _rule.Stateful?.Threshold is null)
        {
            _dispatch.Write(writer, _scope);
        }

        WritePipes(writer);
        foreach (var line in body.ToString().TrimEnd('\n').Split('\n'))
        {
            writer.Line(line);
        }

        foreach (var method in _scope.Methods)
        {
            writer.Line();
            foreach (var line in method.TrimEnd('\n').Split('\n'))
            {
                writer.Line(line);
            }
        }

        writer.Close();
        return Normalize(writer.ToString());
    }

    /// <summary>Drops trailing blank lines before a closing brace, which the body splice leaves behind.</summary>
    private static string Normalize(string source)
    {
        var lines = source.Split('\n').ToList();
        for (int i = lines.Count - 1; i > 0; i--)
        {
            if (lines[i].Trim() == "}" && lines[i - 1].Trim().Length == 0)
            {
                lines.RemoveAt(i - 1);
            }
        }

        return string.Join("\n", lines);
    }

    /// <summary>The parsed threat query of a threat_match rule, applied to indicator documents, or null.</summary>
    private EventFilter? IndicatorFilter => _rule.Stateful?.ThreatMatch?.IndicatorFilter;

    private void WriteSequence(
        SourceWriter body,
        SequenceQuery sequence,
        string timestampSlot,
        string fallbackSlot,
        List<string> matcherFields,
        List<string> constructorLines)
    {
        // runs=N repeats a stage N times, so the matcher gets the expanded list of stages.
        var expanded = new List<(SequenceStage Stage, int Number)>();
        for (int i = 0; i < sequence.Stages.Count; i++)
        {
            for (int run = 0; run < sequence.Stages[i].Runs; run++)
            {
                expanded.Add((sequence.Stages[i], i + 1));
            }
        }

        bool hasMissing = expanded.Any(stage => stage.Stage.IsMissing);
        long maxspanNanoseconds = sequence.Maxspan is { } maxspan ? maxspan.Milliseconds * 1_000_000 : long.MaxValue;
        string maxspanText = sequence.Maxspan is { } span
            ? maxspanNanoseconds.ToString(CultureInfo.InvariantCulture) + "L"
            : "long.MaxValue";

        // Member names go through the scope, so a query field named "sequence" cannot clash with them.
        string matcher = _scope.Unique("_sequence");
        string missingList = string.Join(", ", expanded.Select(stage => stage.Stage.IsMissing ? "true" : "false"));
        string layout = hasMissing ? $"new[] {{ {missingList} }}" : expanded.Count.ToString(CultureInfo.InvariantCulture);
        matcherFields.Add($"private readonly {Runtime}.Sequences.SequenceMatcher {matcher};");
        constructorLines.Add($"{matcher} = new {Runtime}.Sequences.SequenceMatcher({layout}, maxspanNanoseconds: {maxspanText});");
        var stageKeys = new string[sequence.Stages.Count];
        for (int i = 0; i < sequence.Stages.Count; i++)
        {
            stageKeys[i] = _scope.Unique($"_stage{i + 1}Keys");
            matcherFields.Add($"private readonly {Runtime}.Sequences.JoinKeys {stageKeys[i]};");
            constructorLines.Add($"{stageKeys[i]} = {JoinKeys(sequence, sequence.Stages[i])};");
        }

        string untilKeys = _scope.Unique("_untilKeys");
        if (sequence.Until is { } untilStage)
        {
            matcherFields.Add($"private readonly {Runtime}.Sequences.JoinKeys {untilKeys};");
            constructorLines.Add($"{untilKeys} = {JoinKeys(sequence, untilStage)};");
        }

        if (hasMissing)
        {
            string stagesField = _scope.Unique("s_missingStages");
            matcherFields.Add($"private static readonly bool[] {stagesField} = {{ {missingList} }};");
            body.Line($"public override global::System.Collections.Generic.IReadOnlyList<bool> MissingStages => {stagesField};");
            body.Line();
            body.Line("/// <summary>Reports the sequences held back for their trailing missing-event stages.</summary>");
            body.Line($"public override void Flush({Runtime}.Alerts.IAlertSink sink) => {matcher}.Flush(this, sink);");
            body.Line();
        }

        if (sequence.Stages[sequence.Stages.Count - 1].IsMissing)
        {
            body.Line("/// <summary>True while sequences wait for time to pass, which any event shows, or for their next stages.</summary>");
            body.Line($"public override bool NeedsEveryEvent => {matcher}.HasState;");
            body.Line();
        }

        body.Line($"public override long StateEvictions => {matcher}.Evictions;");
        body.Line();
        body.Line(HotPath);
        body.Line($"public override void Evaluate(EventRecord ev, {Runtime}.Alerts.IAlertSink sink)");
        body.Open();
        body.Line($"if (!ev.TryGetTimestamp({timestampSlot}, {fallbackSlot}, out long timestamp))");
        body.Open();
        body.Line("return;");
        body.Close();
        body.Line();
        body.Line($"{matcher}.Tick(timestamp, this, sink);");
        body.Line();
        body.Line("// Stages run from the last to the first, so an event never extends a sequence it started.");
        var positiveIndex = new Dictionary<int, int>();
        for (int i = 0, positive = 0; i < expanded.Count; i++)
        {
            if (!expanded[i].Stage.IsMissing)
            {
                positiveIndex[i] = positive++;
            }
        }

        bool first = true;
        for (int i = expanded.Count - 1; i >= 0; i--)
        {
            var (stage, number) = expanded[i];
            if (stage.IsMissing)
            {
                continue;
            }

            if (!first)
            {
                body.Line();
            }

            first = false;
            body.Line($"if (MatchStage{number}(ev))");
            body.Open();
            body.Line($"{matcher}.Advance({positiveIndex[i]}, ev, timestamp, {stageKeys[number - 1]}, this, sink);");
            body.Close();
        }

        if (hasMissing)
        {
            body.Line();
            body.Line("// Missing-event stages come after the positive ones, so they only see sequences that earlier events built.");
            for (int i = expanded.Count - 1; i >= 0; i--)
            {
                var (stage, number) = expanded[i];
                if (!stage.IsMissing)
                {
                    continue;
                }

                body.Line($"if (MatchStage{number}(ev))");
                body.Open();
                body.Line($"{matcher}.Missing({i}, ev, timestamp, {stageKeys[number - 1]});");
                body.Close();
            }
        }

        if (sequence.Until is not null)
        {
            body.Line();
            body.Line("// until comes last: an event that matches it ends the pending sequences of its join key,");
            body.Line("// but not a sequence it has just completed.");
            body.Line("if (MatchUntil(ev))");
            body.Open();
            body.Line($"{matcher}.Until(ev, {untilKeys});");
            body.Close();
        }

        body.Close();
        // Trailing missing-event stages change nothing while the rule has no state, and NeedsEveryEvent covers
        // the rest of the time, so their filters give dispatch no branch.
        int trailingMissing = sequence.Stages.Count;
        while (trailingMissing > 0 && sequence.Stages[trailingMissing - 1].IsMissing)
        {
            trailingMissing--;
        }

        for (int i = 0; i < sequence.Stages.Count; i++)
        {
            var stage = sequence.Stages[i];
            body.Line();
            string kind = stage.IsMissing ? " (missing event)" : string.Empty;
            WriteFilterMethod(body, $"MatchStage{i + 1}", stage.Filter, $"Stage {i + 1}{kind}: " + StageText(stage), "private", dispatch: i < trailingMissing);
        }

        if (sequence.Until is { } until)
        {
            body.Line();
            WriteFilterMethod(body, "MatchUntil", until.Filter, "until " + StageText(until));
        }
    }

    /// <summary>
    /// Declares the event categories the rule can match, so a host can skip it for other events. Returns
    /// false when the rule needs every event, because a trailing missing-event stage waits for time to pass.
    /// </summary>
    private bool WriteCategories(SourceWriter writer)
    {
        var filters = _rule.ParsedQuery switch
        {
            EventQuery query => new List<EventFilter> { query.Filter },
            SequenceQuery sequence => sequence.Stages.Select(stage => stage.Filter)
                .Concat(sequence.Until is { } until ? new[] { until.Filter } : Enumerable.Empty<EventFilter>()).ToList(),
            SampleQuery sample => sample.Filters.Select(filter => filter.Filter).ToList(),
            _ => new List<EventFilter>(),
        };
        // A sequence that ends in missing-event stages reports when time passes, so while it has state it
        // reads every event (NeedsEveryEvent). It declares no categories, and dispatch by its other stages
        // covers the time it has none.
        bool trailingMissing = _rule.ParsedQuery is SequenceQuery { Stages.Count: > 0 } ordered && ordered.Stages[ordered.Stages.Count - 1].IsMissing;
        if (trailingMissing)
        {
            return true;
        }

        if (_rule.EventCategoryOverride is { } categoryField)
        {
            // NOTE: the host dispatches on event.category, so a rule with event_category_override declares no
            // categories. It runs for every event that passes its dispatch terms, and its filters read the
            // category from the override field.
            writer.Line($"public override string EventCategoryField => {CSharpText.Literal(categoryField)};");
            writer.Line();
            return true;
        }

        if (filters.Count == 0 || filters.Any(filter => filter.Category is null))
        {
            return true;
        }

        var categories = filters.Select(filter => filter.Category!).Distinct().OrderBy(category => category, System.StringComparer.Ordinal);
        string field = _scope.Unique("s_eventCategories");
        writer.Line($"private static readonly string[] {field} = {{ {string.Join(", ", categories.Select(CSharpText.Literal))} }};");
        writer.Line();
        writer.Line($"public override global::System.Collections.Generic.IReadOnlyList<string> EventCategories => {field};");
        writer.Line();
        return true;
    }

    private void WritePipes(SourceWriter writer)
    {
        if (_rule.ParsedQuery.Pipes.Count == 0)
        {
            return;
        }

        var pipes = _rule.ParsedQuery.Pipes.Select(pipe =>
            $"new({Runtime}.Rules.QueryPipeKind.{(pipe.Name == "head" ? "Head" : "Tail")}, {((LiteralExpr)pipe.Arguments[0]).Value})");
        writer.Line($"private static readonly {Runtime}.Rules.QueryPipe[] s_pipes = {{ {string.Join(", ", pipes)} }};");
        writer.Line();
        writer.Line($"public override global::System.Collections.Generic.IReadOnlyList<{Runtime}.Rules.QueryPipe> Pipes => s_pipes;");
        writer.Line();
    }

    private void WriteSample(
        SourceWriter body,
        SampleQuery sample,
        string timestampSlot,
        string fallbackSlot,
        List<string> matcherFields,
        List<string> constructorLines)
    {
        string matcher = _scope.Unique("_sample");
        matcherFields.Add($"private readonly {Runtime}.Sequences.SampleMatcher {matcher};");
        constructorLines.Add($"{matcher} = new {Runtime}.Sequences.SampleMatcher({sample.Filters.Count.ToString(CultureInfo.InvariantCulture)}, this);");
        var filterKeys = new string[sample.Filters.Count];
        for (int i = 0; i < sample.Filters.Count; i++)
        {
            filterKeys[i] = _scope.Unique($"_filter{i + 1}Keys");
            matcherFields.Add($"private readonly {Runtime}.Sequences.JoinKeys {filterKeys[i]};");
            constructorLines.Add($"{filterKeys[i]} = {JoinKeys(sample.By, sample.Filters[i].By)};");
        }

        body.Line($"public override long StateEvictions => {matcher}.Evictions;");
        body.Line();
        body.Line(HotPath);
        body.Line($"public override void Evaluate(EventRecord ev, {Runtime}.Alerts.IAlertSink sink)");
        body.Open();
        body.Line("// A sample ignores time and order; the time is only reported in alerts.");
        body.Line($"ev.TryGetTimestamp({timestampSlot}, {fallbackSlot}, out long timestamp);");
        body.Line($"{matcher}.Tick();");
        for (int i = 0; i < sample.Filters.Count; i++)
        {
            body.Line($"if (MatchFilter{i + 1}(ev))");
            body.Open();
            body.Line($"{matcher}.Offer({i.ToString(CultureInfo.InvariantCulture)}, ev, timestamp, {filterKeys[i]});");
            body.Close();
        }

        body.Line();
        body.Line($"{matcher}.Complete(this, sink);");
        body.Close();
        for (int i = 0; i < sample.Filters.Count; i++)
        {
            body.Line();
            WriteFilterMethod(body, $"MatchFilter{i + 1}", sample.Filters[i].Filter, $"Filter {i + 1}: " + StageText(sample.Filters[i]));
        }
    }

    private string StageText(SequenceStage stage) => CSharpText.OneLine(Text(stage.Range));

    private string JoinKeys(SequenceQuery sequence, SequenceStage stage) => JoinKeys(sequence.By, stage.By);

    private string JoinKeys(IEnumerable<FieldExpr> queryKeys, IEnumerable<FieldExpr> stageKeys)
    {
        var keys = queryKeys.Concat(stageKeys).ToList();
        if (keys.Count == 0)
        {
            return $"{Runtime}.Sequences.JoinKeys.None";
        }

        string slots = string.Join(", ", keys.Select(key => _scope.Slot(key.Path)));
        string optional = string.Join(", ", keys.Select(key => key.IsOptional ? "true" : "false"));
        if (keys.Any(key => _dateFields.Contains(key.Path)))
        {
            // Date keys join by instant, so "2022-12-17" and 1671235200000 are one key, as in Elasticsearch.
            string dates = string.Join(", ", keys.Select(key => _dateFields.Contains(key.Path) ? "true" : "false"));
            return $"new {Runtime}.Sequences.JoinKeys(new[] {{ {slots} }}, new[] {{ {optional} }}, new[] {{ {dates} }})";
        }

        return $"new {Runtime}.Sequences.JoinKeys(new[] {{ {slots} }}, new[] {{ {optional} }})";
    }

    private void WriteFilterMethod(SourceWriter body, string name, EventFilter filter, string summary) =>
        WriteFilterMethod(body, name, filter, summary, "private");

    private void WriteFilterMethod(SourceWriter body, string name, EventFilter filter, string summary, string modifiers, bool dispatch = true)
    {
        body.Line("/// <summary>");
        body.Comment(CSharpText.Xml(summary), "/// ");
        body.Line("/// </summary>");
        body.Line(HotPath);
        body.Line($"{modifiers} bool {name}(EventRecord ev)");
        body.Open();
        _dispatch.StartBranch(dispatch);
        if (filter.Category is { } category)
        {
            body.Comment($"{CSharpText.OneLine(category)} where: {CSharpText.OneLine(CategoryField)} is \"{CSharpText.OneLine(category)}\"");
            string slot = _scope.Slot(CategoryField);
            body.Line($"if (Eql.Equal(ev, {slot}, {CSharpText.Literal(category)}) is not Tri.True)");
            body.Open();
            body.Line("return false;");
            body.Close();
            body.Line();
        }

        foreach (var clause in ConditionEmitter.Conjuncts(filter.Condition))
        {
            if (clause is LiteralExpr { Kind: LiteralKind.Boolean, Value: "true" })
            {
                continue;
            }

            string fails = _conditions.Fails(clause);
            _dispatch.AddConjunct(clause, fails, _dateFields, _conditions.TrueTest);
            body.Comment(CSharpText.OneLine(clause is Kql.DescribedExpr described ? described.Description : Text(clause.Range)));
            body.Line($"if ({fails})");
            body.Open();
            body.Line("return false;");
            body.Close();
            body.Line();
        }

        body.Line("return true;");
        body.Close();
    }

    private string Text(TextRange range)
    {
        int start = System.Math.Max(0, System.Math.Min(range.Start, _rule.Query.Length));
        int length = System.Math.Max(0, System.Math.Min(range.Length, _rule.Query.Length - start));
        return _rule.Query.Substring(start, length);
    }

    private void WriteMetadata(SourceWriter writer)
    {
        string severity = _rule.Severity switch
        {
            "low" => "Low",
            "medium" => "Medium",
            "high" => "High",
            _ => "Critical",
        };
        string maturity = _rule.Maturity switch
        {
            "development" => "Development",
            "experimental" => "Experimental",
            "beta" => "Beta",
            "production" => "Production",
            "deprecated" => "Deprecated",
            _ => "Unspecified",
        };

        writer.Line($"public const string RuleIdText = {CSharpText.Literal(_rule.RuleId)};");
        writer.Line($"public const string Name = {CSharpText.Literal(_rule.Name)};");
        writer.Line($"public const {Runtime}.Rules.Severity Severity = {Runtime}.Rules.Severity.{severity};");
        writer.Line($"public const int RiskScore = {_rule.RiskScore.ToString(CultureInfo.InvariantCulture)};");
        writer.Line();
        writer.Line("/// <summary>Everything the rule file states about the rule, typed.</summary>");
        writer.Line($"public static readonly {Runtime}.Rules.RuleDescriptor Metadata = {Runtime}.Rules.RuleDescriptorJson.Read(");
        writer.Line($"    {CSharpText.RawLiteral(MetadataJson(severity, maturity))});");
    }

    /// <summary>
    /// The rule's metadata as the JSON that <c>RuleDescriptorJson.Read</c> takes. One string constant
    /// compiles far faster than the same values as C# expressions.
    /// </summary>
    private string MetadataJson(string severity, string maturity)
    {
        var json = new JsonTextWriter();
        json.StartObject();
        json.String("rule_id", _rule.RuleId);
        json.String("rule_guid", _rule.RuleGuid);
        json.String("name", _rule.Name);
        json.String("description", _rule.Description);
        json.String("severity", severity);
        json.Number("risk_score", _rule.RiskScore);
        json.String("type", _rule.Type);
        json.String("language", _rule.Language);
        json.String("query", _rule.Query);
        json.String("source_file", System.IO.Path.GetFileName(_rule.FilePath));
        json.Strings("tags", _rule.Tags);
        json.Strings("index", _rule.Index);
        json.String("from", _rule.From ?? "now-6m");
        json.String("interval", _rule.Interval ?? "5m");
        json.Number("max_signals", _rule.MaxSignals ?? 100);
        json.Number("version", _rule.Version ?? 1);
        json.String("timestamp_override", _rule.TimestampOverride);
        if (_rule.TimestampOverrideFallbackDisabled)
        {
            json.True("timestamp_override_fallback_disabled");
        }

        json.String("building_block_type", _rule.BuildingBlockType);
        json.Strings("references", _rule.References);
        json.Strings("false_positives", _rule.FalsePositives);
        json.Strings("author", _rule.Author);
        json.String("license", _rule.License);
        json.String("maturity", maturity);
        json.String("creation_date", _rule.CreationDate);
        json.String("updated_date", _rule.UpdatedDate);
        if (_rule.Threat.Count > 0)
        {
            json.StartArray("threat");
            foreach (var threat in _rule.Threat)
            {
                json.StartObject();
                json.String("framework", threat.Framework);
                if (threat.Tactic is { } tactic)
                {
                    json.Entry("tactic", tactic.Id, tactic.Name, tactic.Reference);
                }

                json.StartArray("technique");
                foreach (var technique in threat.Techniques)
                {
                    var t = technique.Technique;
                    json.StartObject();
                    json.String("id", t.Id);
                    json.String("name", t.Name);
                    json.String("reference", t.Reference);
                    json.StartArray("subtechnique");
                    foreach (var subtechnique in technique.Subtechniques)
                    {
                        json.Entry(null, subtechnique.Id, subtechnique.Name, subtechnique.Reference);
                    }

                    json.EndArray();
                    json.EndObject();
                }

                json.EndArray();
                json.EndObject();
            }

            json.EndArray();
        }

        json.EndObject();
        return json.ToString();
    }
}
