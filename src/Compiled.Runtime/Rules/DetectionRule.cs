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
    /// The field the rule reads the event category from: the rule's <c>event_category_override</c>, such as
    /// <c>event.type</c>, or <c>event.category</c>.
    /// </summary>
    public virtual string EventCategoryField => "event.category";

    /// <summary>
    /// What an event needs before the rule can use it: one branch per query, stage, <c>until</c> or sample filter,
    /// and the rule can match only events that pass every term of some branch. Null when nothing is known,
    /// so the rule runs for every event of its <see cref="EventCategories"/>.
    /// </summary>
    public virtual IReadOnlyList<DispatchBranch>? DispatchBranches => null;

    /// <summary>
    /// True while the rule has state that any event can change, such as a sequence waiting to learn whether
    /// its trailing missing events arrive.
    /// </summary>
    public virtual bool NeedsEveryEvent => false;

    /// <summary>
    /// The earliest event time, in nanoseconds since the epoch, from which the rule must see every event
    /// whatever its <see cref="EventCategories"/> and <see cref="DispatchBranches"/>, which describe only the
    /// events that matter when the rule has no state: <see cref="long.MinValue"/> while
    /// <see cref="NeedsEveryEvent"/> is true and <see cref="long.MaxValue"/> otherwise, unless a rule overrides
    /// it. A rule with alert suppression returns the time its first open group closes. Only a run of the rule
    /// changes it, so a host reads it after each run, and only for rules whose <see cref="MayNeedEveryEvent"/> is true.
    /// </summary>
    public virtual long NextDueTime => NeedsEveryEvent ? long.MinValue : long.MaxValue;

    /// <summary>
    /// True for a rule whose <see cref="NextDueTime"/> can be earlier than <see cref="long.MaxValue"/>: by default
    /// a sequence whose last stage in <see cref="MissingStages"/> is a missing-event stage. A host reads it once,
    /// when it builds its dispatch.
    /// </summary>
    public virtual bool MayNeedEveryEvent => MissingStages is { Count: > 0 } stages && stages[^1];

    /// <summary>
    /// For each stage of a sequence, with runs expanded, whether it is a missing-event stage <c>![...]</c>.
    /// A sequence match reports only the events of the other stages. Empty for other rules.
    /// </summary>
    public virtual IReadOnlyList<bool> MissingStages => [];

    /// <summary>
    /// True when the rule keeps state from one event to the next, as sequences, samples, threshold and new_terms
    /// rules do, so it needs events in time order. A host evaluates an event that arrives too late only with rules for which this is false.
    /// </summary>
    public virtual bool KeepsState =>
        MissingStages.Count > 0 || Descriptor.Type is "threshold" or "new_terms" ||
        Descriptor.Language == "eql" && (StartsWithWord(Descriptor.Query, "sequence") || StartsWithWord(Descriptor.Query, "sample"));

    /// <summary>True when a query starts with <paramref name="word"/>, after white space and comments.</summary>
    private static bool StartsWithWord(string query, string word)
    {
        int i = 0;
        while (i < query.Length)
        {
            if (char.IsWhiteSpace(query[i]))
            {
                i++;
            }
            else if (query.AsSpan(i).StartsWith("//"))
            {
                int end = query.IndexOf('\n', i);
                i = end < 0 ? query.Length : end + 1;
            }
            else if (query.AsSpan(i).StartsWith("/*"))
            {
                int end = query.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? query.Length : end + 2;
            }
            else
            {
                break;
            }
        }

        int after = i + word.Length;
        return query.AsSpan(i).StartsWith(word, StringComparison.OrdinalIgnoreCase) &&
            (after == query.Length || !char.IsLetterOrDigit(query[after]) && query[after] != '_');
    }

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

    /// <summary>
    /// Elasticsearch's <c>max_samples_per_key</c> request parameter: how many samples a <c>sample</c> query reports
    /// per join key (default 1). Other rules ignore it. Set it before the first event.
    /// </summary>
    public int MaxSamplesPerKey
    {
        get => _maxSamplesPerKey;
        set => _maxSamplesPerKey = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A key gives at least one sample.");
    }

    private int _maxSamplesPerKey = 1;

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
