using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Rules;

/// <summary>The base of every generated rule class.</summary>
public abstract class DetectionRule
{
    protected DetectionRule(RuleDescriptor descriptor) => Descriptor = descriptor;

    public RuleDescriptor Descriptor { get; }

    /// <summary>
    /// The values of <c>event.category</c> that the rule can match, or null when any event may match
    /// (an <c>any where</c> query or stage). A host may skip the rule for events of other categories.
    /// </summary>
    public virtual IReadOnlyList<string>? EventCategories => null;

    /// <summary>
    /// What an event needs before the rule can use it: one branch per query, stage, <c>until</c> or sample filter,
    /// and the rule can match only events that pass every term of some branch. Null when nothing is known,
    /// so the rule runs for every event of its <see cref="EventCategories"/>.
    /// </summary>
    public virtual IReadOnlyList<DispatchBranch>? DispatchBranches => null;

    /// <summary>
    /// For each stage of a sequence, with runs expanded, whether it is a missing-event stage <c>![...]</c>.
    /// A sequence match reports only the events of the other stages. Empty for other rules.
    /// </summary>
    public virtual IReadOnlyList<bool> MissingStages => [];

    /// <summary>Reports matches that wait for the end of the input, such as sequences with trailing missing-event stages.</summary>
    public virtual void Flush(IAlertSink sink)
    {
    }

    /// <summary>The query's <c>head</c> and <c>tail</c> pipes, in order; empty for most rules.</summary>
    public virtual IReadOnlyList<QueryPipe> Pipes => [];

    /// <summary>The default of <see cref="MaxStateEntries"/>.</summary>
    public const int DefaultMaxStateEntries = 1_000_000;

    /// <summary>
    /// The maximum number of state entries the rule keeps: pending sequences, sample keys, threshold
    /// buckets or seen terms. Beyond it the oldest entry is evicted first and counted in <see cref="StateEvictions"/>.
    /// </summary>
    public int MaxStateEntries { get; set; } = DefaultMaxStateEntries;

    /// <summary>The number of state entries evicted so far because of <see cref="MaxStateEntries"/>.</summary>
    public virtual long StateEvictions => 0;

    /// <summary>Evaluates one event and reports alerts to <paramref name="sink"/>. Events must arrive in time order.</summary>
    public abstract void Evaluate(EventRecord ev, IAlertSink sink);
}

/// <summary>The kinds of pipe Elasticsearch EQL supports.</summary>
public enum QueryPipeKind
{
    /// <summary><c>| head N</c>: the first N results in time order.</summary>
    Head,

    /// <summary><c>| tail N</c>: the last N results, still in time order.</summary>
    Tail,
}

/// <summary>One pipe of a query, such as <c>| head 5</c>.</summary>
public sealed record QueryPipe(QueryPipeKind Kind, int Count);

/// <summary>Compiled rules together with the field schema their events are decoded with.</summary>
public sealed class RuleSet
{
    public RuleSet(FieldSchema schema, IReadOnlyList<DetectionRule> rules)
    {
        Schema = schema;
        Rules = rules;
    }

    public FieldSchema Schema { get; }

    public IReadOnlyList<DetectionRule> Rules { get; }
}

/// <summary>Marks the generated catalog of an assembly, so a host can load rules compiled at run time.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RuleCatalogAttribute(Type catalogType) : Attribute
{
    /// <summary>A static class with <c>CreateRuleSet()</c> and <c>Descriptors</c>.</summary>
    public Type CatalogType { get; } = catalogType;
}
