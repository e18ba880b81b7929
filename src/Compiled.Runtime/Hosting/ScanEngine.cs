using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Streams events through a rule set in event-time order. Inputs are merged by time. Each rule sees
/// events ordered by its own timestamp field (<c>timestamp_override</c> when the event has it, else
/// <c>@timestamp</c>), ties broken by input order (the order the inputs were given, then the position
/// in the input). A reorder buffer holds each event until <see cref="ScanOptions.MaxLateness"/> of
/// event time has passed after it (or, with <see cref="ScanOptions.SortSeekableInputsFully"/> and only
/// seekable inputs, until the buffer is full or the inputs end), so disordered input is sorted. An event
/// that arrives after a later one was released is late and only single-event rules evaluate it. Documents that cannot be
/// evaluated are counted in <see cref="Summary"/> with their reason and position.
/// </summary>
public sealed partial class ScanEngine
{
    /// <summary>The default limit on one document, in bytes.</summary>
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    private const long None = long.MinValue;

    /// <summary>
    /// The maximum number of inputs open at once for which <see cref="ScanOptions.DecodeAhead"/> applies. Merging
    /// many inputs takes a few events from each in turn, and small batches serve that worse than one thread. On
    /// 2 cores with the built-in rule, a 200 MB file split into 64 files scanned in 0.80 s with decoding ahead
    /// against 0.90 s without. Split into 256 files, it took 0.98 s against 0.91 s and 60 MB more memory.
    /// </summary>
    private const int MaxInputsDecodedAhead = 32;

    /// <summary>The lateness while events are held until the buffer is full or the inputs end.</summary>
    private const long UnboundedLateness = long.MaxValue;

    /// <summary>
    /// Converts a lateness to nanoseconds. One longer than a long of nanoseconds can hold (about 292 years,
    /// more than 106,751 days) is unbounded.
    /// </summary>
    private static long LatenessNanoseconds(TimeSpan lateness) =>
        lateness.Ticks > UnboundedLateness / 100 ? UnboundedLateness : lateness.Ticks * 100;

    private readonly RuleSet _rules;
    private readonly IAlertSink _sink;
    private readonly ScanOptions _options;
    private readonly EventDecoder _decoder;
    private readonly EventRecord _record;
    private readonly EventDecoder _timeDecoder;
    private readonly EventRecord _timeRecord;
    private readonly bool _singlePass;
    private readonly OrderGroup[] _groups;
    private readonly EventStore _store = new();
    private readonly OversizedCount _oversized = new();
    private long _latenessNanoseconds;
    private readonly List<string> _sources = [];
    private int _decodedEntry = -1;

    /// <summary>Decoders and batches that inputs of <see cref="DecodeAhead"/> take turns with, guarded by <see cref="_spareGate"/>.</summary>
    private readonly Stack<(EventDecoder Decoder, EventRecord Record)> _spareDecoders = new();
    private readonly Stack<Batch> _spareBatches = new();
    private readonly Lock _spareGate = new();

    /// <summary>When the buffer last went from empty to holding events, in <see cref="Environment.TickCount64"/> milliseconds, or <see cref="None"/>.</summary>
    private long _heldSince = None;

    public ScanEngine(RuleSet rules, IAlertSink sink, ScanOptions? options = null)
    {
        _rules = rules;
        _sink = sink;
        _options = options ?? new ScanOptions();
        _record = new EventRecord(rules.Schema);
        _latenessNanoseconds = _options.SortSeekableInputsFully ? UnboundedLateness : LatenessNanoseconds(_options.MaxLateness);

        var overrides = new List<string>();
        foreach (var rule in rules.Rules)
        {
            if (rule.Descriptor.TimestampOverride is { } field && !overrides.Contains(field))
            {
                overrides.Add(field);
            }
        }

        // Compiled rule sets have a slot for every timestamp field, so one checking decoder reads both the time and
        // the rules' fields when an event is read. A rule set built by hand may lack those slots. Then a decoder of the
        // time fields alone checks and times each event, and the rules' fields are decoded at its release.
        _singlePass = overrides.TrueForAll(field => rules.Schema.TryGetSlot(field, out _));
        _decoder = new EventDecoder(rules.Schema, checkWholeEvent: _singlePass);
        if (_singlePass)
        {
            _timeDecoder = _decoder;
            _timeRecord = _record;
        }
        else
        {
            var timeSchema = FieldSchema.Create([], overrides);
            _timeDecoder = new EventDecoder(timeSchema);
            _timeRecord = new EventRecord(timeSchema);
        }

        _groups = CreateGroups(rules, _timeRecord.Schema, _options.DispatchByValue);
    }

    public ScanSummary Summary { get; } = new();

    /// <summary>The number of inputs read and decoded on other threads (see <see cref="ScanOptions.DecodeAhead"/>).</summary>
    internal int InputsDecodedAhead { get; private set; }

    /// <summary>The most batches that held a document larger than their capacity at once, over all scans of this engine.</summary>
    internal int PeakOversizedBatches => _oversized.Peak;

    /// <summary>The number of times the reorder buffer packed its events into fewer chunks.</summary>
    internal int BufferPacks => _store.Packs;

    /// <summary>The events held for reordering. The next event of each input, read ahead to merge the inputs, is not counted.</summary>
    private int BufferedEvents => _store.Count - _store.ReadAheadCount;

    /// <summary>The number of rules run on events so far, summed over events: what dispatch left to run.</summary>
    public long RulesRun
    {
        get
        {
            long runs = 0;
            foreach (var group in _groups)
            {
                runs += group.All.RulesRun + (group.SingleEvent?.RulesRun ?? 0);
            }

            return runs;
        }
    }

    /// <summary>
    /// Reads every document of <paramref name="input"/>, which stays open. <paramref name="sourceName"/> names it in
    /// alerts and messages. The events are released in time order before this returns.
    /// </summary>
    public void Scan(Stream input, string sourceName, CancellationToken cancellation = default) =>
        Scan([new ScanInput(sourceName, () => input) { LeaveOpen = true }], cancellation);

    /// <summary>
    /// Reads the inputs together, merged by event time, and evaluates every event before returning. An
    /// input that cannot be opened or read is listed in <see cref="ScanSummary.InputErrors"/> and the others go on.
    /// Stops between two documents when <paramref name="cancellation"/> is cancelled or a strict scan meets a rejection;
    /// the events already read are still evaluated.
    /// </summary>
    public void Scan(IReadOnlyList<ScanInput> inputs, CancellationToken cancellation = default)
    {
        for (int first = 0; first < inputs.Count && !Stopped(cancellation); first += _options.MaxOpenInputs)
        {
            // NOTE: inputs beyond MaxOpenInputs are merged group by group, so time order holds within a group only.
            int count = Math.Min(_options.MaxOpenInputs, inputs.Count - first);
            var cursors = new List<InputCursor>(count);
            var merge = new PriorityQueue<InputCursor, OrderKey>(count);
            try
            {
                for (int i = first; i < first + count && !Stopped(cancellation); i++)
                {
                    var cursor = Open(inputs[i], count, cancellation);
                    if (cursor is null)
                    {
                        continue;
                    }

                    cursors.Add(cursor);
                    if (Advance(cursor))
                    {
                        merge.Enqueue(cursor, cursor.Key);
                    }
                }

                while (!Stopped(cancellation) && merge.TryDequeue(out var next, out _))
                {
                    Accept(next);
                    if (!Stopped(cancellation) && Advance(next))
                    {
                        merge.Enqueue(next, next.Key);
                    }
                }
            }
            finally
            {
                foreach (var cursor in cursors)
                {
                    // The next event of an input stopped early is in the store, and is dropped unevaluated.
                    if (cursor.Entry >= 0)
                    {
                        ReleaseEntry(cursor.Entry);
                        cursor.Entry = -1;
                    }

                    cursor.Dispose();
                }
            }
        }

        ReleaseAll();
    }

    /// <summary>Ends the scan: rules report the matches they held back until no later event could change them.</summary>
    public void Finish()
    {
        ReleaseAll();
        var rules = _rules.Rules;
        for (int i = 0; i < rules.Count; i++)
        {
            rules[i].Flush(_sink);
        }
    }

    private bool Stopped(CancellationToken cancellation) => cancellation.IsCancellationRequested || Summary.StoppedAt is not null;

    private InputCursor? Open(ScanInput input, int openInputs, CancellationToken cancellation)
    {
        int index = _sources.Count;
        _sources.Add(input.Name);
        Stream? stream = null;
        try
        {
            stream = input.Open();
            bool live = !stream.CanSeek;
            if (input.LeaveOpen)
            {
                stream = new KeepOpenStream(stream);
            }

            // A pipe or terminal can wait for data indefinitely: it is read on its own thread, so that the
            // events held for reordering are released on time and cancellation ends a blocked read.
            if (live)
            {
                // Events from a stream keep coming, so holding them until the end would hold every alert back.
                _latenessNanoseconds = LatenessNanoseconds(_options.MaxLateness);
                stream = new LiveInputStream(stream, FlushDelay, ReleaseAll, cancellation);
            }

            stream = DocumentReader.Open(stream);
            var documents = DocumentReader.Read((PeekStream)stream, _options.MaxDocumentBytes).GetEnumerator();
            Summary.FilesRead++;

            // A live input releases events on a timer from the reading thread, so only regular inputs decode ahead.
            // Each input has four batches of about seven times their JSON capacity, with the decoded values and the
            // document slots. Batches shrink as more inputs are open at once, so that together they take at most
            // about 40 MiB.
            DecodeAhead? ahead = null;
            if (!live && _singlePass && _options.DecodeAhead && openInputs <= MaxInputsDecodedAhead)
            {
                int batchBytes = _options.DecodeAheadBatchBytes > 0
                    ? _options.DecodeAheadBatchBytes
                    : Math.Clamp(32 * 1024 * 1024 / (24 * openInputs), 16 * 1024, 256 * 1024);
                InputsDecodedAhead++;
                ahead = new DecodeAhead(this, documents, input.Name, batchBytes);
            }

            return new InputCursor(index, input.Name, stream, documents, _groups.Length) { Ahead = ahead };
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stream?.Dispose();
            Summary.AddInputError($"{input.Name}: {error.Message}");
            return null;
        }
        catch (OperationCanceledException)
        {
            stream?.Dispose();
            return null;
        }
    }

    /// <summary>Moves an input to its next event, counting the documents rejected on the way. False at its end.</summary>
    private bool Advance(InputCursor cursor)
    {
        if (cursor.Ahead is not null)
        {
            return AdvanceDecoded(cursor, cursor.Ahead);
        }

        while (true)
        {
            try
            {
                if (!cursor.Documents.MoveNext())
                {
                    return false;
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Summary.AddInputError($"{cursor.Name}: {error.Message}");
                return false;
            }
            catch (OperationCanceledException)
            {
                // The scan was cancelled while waiting for a live input.
                return false;
            }

            var document = cursor.Documents.Current;
            cursor.Ordinal++;
            if (document.IsBlank)
            {
                Summary.CountBlank();
            }
            else if (document.IsRejected)
            {
                // A damaged input is also an input error, so the scan does not look complete.
                if (document.IsReadFailure)
                {
                    Summary.AddInputError($"{cursor.Name}: {document.Detail}");
                }

                Reject(cursor.Index, document.Line, document.Element, document.Reason!, document.Detail!);
            }
            else if (DecodeForTime(document.Json) is { } error)
            {
                RejectDecodeError(cursor.Index, document.Line, document.Element, error);
            }
            else if (Time(cursor, out string? problem))
            {
                cursor.Current = document;
                if (_singlePass)
                {
                    // The store keeps the event and, once another event is decoded, its values until Accept takes it.
                    cursor.Entry = _store.Add(document.Json.Span, document.Id.Span, document.Index.Span, cursor.Index, document.Line, document.Element);
                    _store.AddReference(cursor.Entry);
                    _store.SetReadAhead(cursor.Entry, true);
                    SetOrigin(cursor.Entry);
                    _decodedEntry = cursor.Entry;
                }

                return true;
            }
            else if (problem is not null)
            {
                RejectTimestamp(cursor.Index, document.Line, document.Element, problem);
            }
            else
            {
                // Valid time fields, but none that any rule orders by: no rule can match the event.
                Summary.CountEvaluated();
            }

            if (Summary.StoppedAt is not null)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Decodes a document into <see cref="_timeRecord"/>, checking every key and number. In a single pass that
    /// record is <see cref="_record"/>, so the values of an event that a group still has queued are stored first.
    /// </summary>
    private string? DecodeForTime(ReadOnlyMemory<byte> json)
    {
        if (_singlePass)
        {
            SaveDecoded();
        }

        return _timeDecoder.Decode(json, _timeRecord);
    }

    /// <summary>Reads the time of the event in <see cref="_timeRecord"/> for each group. Returns false when no group has one.</summary>
    private bool Time(InputCursor cursor, out string? problem)
    {
        bool any = TimeEvent(_groups, _timeRecord, cursor.Times, out long mergeTime, out problem);
        cursor.MergeTime = mergeTime;
        return any;
    }

    /// <summary>
    /// Reads the time of a decoded event for each group into <paramref name="times"/>. Returns false when no group
    /// has one, with <paramref name="problem"/> set unless the event has a valid time in a field no rule orders by.
    /// </summary>
    private static bool TimeEvent(OrderGroup[] groups, EventRecord record, Span<long> times, out long mergeTime, out string? problem)
    {
        problem = null;
        bool any = false;
        mergeTime = None;
        for (int g = 0; g < groups.Length; g++)
        {
            var group = groups[g];
            long time = record.TryGetTimestamp(group.Slot, group.FallbackSlot, out long t) ? t : None;
            times[g] = time;
            if (time != None)
            {
                any = true;
                mergeTime = mergeTime == None ? time : mergeTime;
            }
        }

        if (any)
        {
            return true;
        }

        foreach (int slot in record.Schema.TimestampSlots)
        {
            if (record.TryGetTimestamp(slot, out _))
            {
                return false;
            }
        }

        problem = TimestampProblem(record);
        return false;
    }

    private static string TimestampProblem(EventRecord record)
    {
        foreach (ref readonly var value in record.Values(0))
        {
            string text = value.Kind == FieldValueKind.String
                ? JsonSerializer.Serialize(record.Text(value).ToString())
                : record.Text(value).ToString();
            return $"invalid @timestamp {text}: not an ISO 8601 date or epoch milliseconds";
        }

        var schema = record.Schema;
        var fields = schema.TimestampSlots.Select(slot => schema.Fields[slot]).ToList();
        return fields.Count == 1 ? "missing @timestamp" : $"missing @timestamp (and {string.Join(", ", fields.Skip(1))})";
    }

    /// <summary>Counts an event and queues it in each group that can time it. Single-event rules evaluate a late event at once.</summary>
    private void Accept(InputCursor cursor)
    {
        Summary.CountEvaluated();
        var document = cursor.Current;

        // In a single pass, the event is in the store with one reference of its own until the end of this method.
        int entry = cursor.Entry;
        cursor.Entry = -1;
        if (entry >= 0)
        {
            _store.SetReadAhead(entry, false);
        }

        bool late = false;
        bool decoded = false;
        for (int g = 0; g < _groups.Length; g++)
        {
            long time = cursor.Times[g];
            if (time == None)
            {
                continue;
            }

            var group = _groups[g];
            if (time < group.LastReleased)
            {
                late |= group.KeepsState;
                if (group.SingleEvent is null)
                {
                    continue;
                }

                if (!decoded)
                {
                    decoded = true;
                    if (_singlePass)
                    {
                        Restore(entry);
                    }
                    else if (!DecodeInto(document.Json, document.Id, document.Index, cursor.Index, document.Line, document.Element))
                    {
                        return;
                    }
                }

                // The late dispatch runs rules that the group's full dispatch also runs, so each reads the due times the other changed.
                group.SingleEvent.RefreshDueTimes();
                group.SingleEvent.Evaluate(_record, _sink, time);
                group.All.RefreshDueTimes();
                continue;
            }

            if (_heldSince == None)
            {
                _heldSince = Environment.TickCount64;
            }

            if (entry < 0)
            {
                entry = _store.Add(document.Json.Span, document.Id.Span, document.Index.Span, cursor.Index, document.Line, document.Element);

                // Adding can pack the store, which moves the JSON of the event whose values the record has.
                if (_decodedEntry >= 0)
                {
                    SetOrigin(_decodedEntry);
                }
            }

            _store.AddReference(entry);
            group.Queue.Enqueue(entry, new OrderKey(time, cursor.Index, cursor.Ordinal));
            group.MaxSeen = Math.Max(group.MaxSeen, time);
        }

        if (late)
        {
            Summary.EventsLate++;
        }

        if (_singlePass)
        {
            ReleaseEntry(entry);
        }

        Summary.PeakBufferedEvents = Math.Max(Summary.PeakBufferedEvents, BufferedEvents);
        // Groups release in one merged time order, so an event that is due in several groups at once is restored once.
        while (Oldest(dueOnly: true) is { } due)
        {
            Release(due);
        }

        while (BufferedEvents > _options.MaxBufferedEvents || _store.Bytes - _store.ReadAheadBytes > _options.MaxBufferedBytes)
        {
            if (Oldest() is not { } group)
            {
                break;
            }

            // An event queued in several groups counts once, however many of them release it early.
            if (group.Queue.TryPeek(out int early, out _) && !_store[early].ReleasedEarly)
            {
                _store[early].ReleasedEarly = true;
                Summary.EarlyReleases++;
            }

            Release(group);
        }

        if (BufferedEvents == 0)
        {
            _heldSince = None;
        }
    }

    /// <summary>Releases every buffered event, across groups in time order.</summary>
    private void ReleaseAll()
    {
        while (Oldest() is { } group)
        {
            Release(group);
        }

        _heldSince = None;
    }

    /// <summary>
    /// Returns the milliseconds until a live input must release the buffer, because its oldest event has then
    /// waited <see cref="ScanOptions.IdleFlush"/>, or <see cref="Timeout.Infinite"/> when nothing is held or the flush is off.
    /// </summary>
    private int FlushDelay()
    {
        var flushAfter = _options.IdleFlush;

        // A wait longer than int.MaxValue milliseconds (about 24 days) is taken as never.
        if (_heldSince == None || flushAfter < TimeSpan.Zero || flushAfter.TotalMilliseconds >= int.MaxValue)
        {
            return Timeout.Infinite;
        }

        long due = _heldSince + (long)flushAfter.TotalMilliseconds;
        return (int)Math.Clamp(due - Environment.TickCount64, 0, int.MaxValue - 1);
    }

    /// <summary>
    /// Returns the group whose next event is oldest, or null when no group has one. With <paramref name="dueOnly"/>,
    /// only groups whose watermark (the latest time seen less the lateness) has passed their next event count.
    /// </summary>
    private OrderGroup? Oldest(bool dueOnly = false)
    {
        if (dueOnly && _latenessNanoseconds == UnboundedLateness)
        {
            return null;
        }

        OrderGroup? oldest = null;
        OrderKey oldestKey = default;
        foreach (var group in _groups)
        {
            if (group.Queue.TryPeek(out _, out var key)
                && (!dueOnly || (group.MaxSeen > None + _latenessNanoseconds && key.Time <= group.MaxSeen - _latenessNanoseconds))
                && (oldest is null || key.CompareTo(oldestKey) < 0))
            {
                oldest = group;
                oldestKey = key;
            }
        }

        return oldest;
    }

    /// <summary>Evaluates the group's oldest event with the group's rules.</summary>
    private void Release(OrderGroup group)
    {
        group.Queue.TryDequeue(out int entry, out var key);
        group.LastReleased = Math.Max(group.LastReleased, key.Time);
        ref var stored = ref _store[entry];
        if (!stored.Rejected)
        {
            if (_decodedEntry != entry)
            {
                if (stored.SnapshotLength > 0)
                {
                    Restore(entry);
                }
                else if (DecodeStored(entry))
                {
                    _decodedEntry = entry;
                }
                else
                {
                    stored.Rejected = true;
                }
            }

            if (!stored.Rejected)
            {
                group.All.Evaluate(_record, _sink, key.Time);
            }
        }

        ReleaseEntry(entry);
    }

    /// <summary>Drops one reference to a stored event, and clears <see cref="_decodedEntry"/> when that frees the event.</summary>
    private void ReleaseEntry(int entry)
    {
        if (_store.Release(entry) && _decodedEntry == entry)
        {
            _decodedEntry = -1;
        }
    }

    /// <summary>
    /// Makes <see cref="_record"/> hold the values of a stored event that decoded before, from its stored values
    /// or, when they did not fit in the budget, by decoding it again.
    /// </summary>
    private void Restore(int entry)
    {
        if (_decodedEntry == entry)
        {
            return;
        }

        if (_store[entry].SnapshotLength == 0)
        {
            // The same bytes decoded before, so they decode again.
            DecodeStored(entry);
            _decodedEntry = entry;
            return;
        }

        SaveDecoded();
        _record.RestoreSnapshot(_store.Snapshot(entry));
        SetOrigin(entry);
        _decodedEntry = entry;
    }

    /// <summary>Decodes a stored event with <see cref="DecodeInto"/>.</summary>
    private bool DecodeStored(int entry)
    {
        // Storing the decoded values can pack the store and move the event, so its JSON is found after that.
        SaveDecoded();
        ref var stored = ref _store[entry];
        return DecodeInto(_store.Json(entry), _store.HitId(entry), _store.HitIndex(entry), stored.Input, stored.Line, stored.Element);
    }

    /// <summary>Sets the origin of <see cref="_record"/> to a stored event, with its JSON in the store.</summary>
    private void SetOrigin(int entry)
    {
        ref var stored = ref _store[entry];
        SetOrigin(_store.Json(entry), _store.HitId(entry), _store.HitIndex(entry), stored.Input, stored.Line, stored.Element);
    }

    /// <summary>
    /// Stores the values in <see cref="_record"/> with their event before another event replaces them, when
    /// a group still has that event queued. Its release in that group then restores them instead of decoding the JSON again.
    /// </summary>
    private void SaveDecoded()
    {
        // Decoded values can take many times the bytes of their JSON, such as a long array of small numbers. Past
        // a budget as large as the buffer's byte limit, an event is decoded again at its release instead.
        long length = _record.SnapshotLength;
        if (_decodedEntry >= 0
            && _store.Snapshot(_decodedEntry).IsEmpty
            && _store.SnapshotBytes + length <= _options.MaxBufferedBytes
            && length <= Array.MaxLength)
        {
            _record.WriteSnapshot(_store.ReserveSnapshot(_decodedEntry, (int)length));
        }

        _decodedEntry = -1;
    }

    private void SetOrigin(ReadOnlyMemory<byte> json, ReadOnlyMemory<byte> hitId, ReadOnlyMemory<byte> hitIndex, int input, long line, long element)
    {
        _record.Json = json;
        _record.Source = _sources[input];
        _record.LineNumber = line;
        _record.ElementIndex = element;
        _record.HitId = hitId;
        _record.HitIndex = hitIndex;
    }

    /// <summary>Decodes an event in full. A failure moves the event from the evaluated count to the rejected count.</summary>
    private bool DecodeInto(ReadOnlyMemory<byte> json, ReadOnlyMemory<byte> hitId, ReadOnlyMemory<byte> hitIndex, int input, long line, long element)
    {
        SaveDecoded();
        string? error = _decoder.Decode(json, _record);
        SetOrigin(json, hitId, hitIndex, input, line, element);
        if (error is null)
        {
            return true;
        }

        int colon = error.IndexOf(':');
        Summary.Reclassify(_sources[input], line, colon < 0 ? error : error[..colon], error, element);
        StopIfStrict(input, line, element, colon < 0 ? error : error[..colon], error);
        return false;
    }

    private void RejectTimestamp(int input, long line, long element, string problem) =>
        Reject(input, line, element, problem.StartsWith("invalid", StringComparison.Ordinal) ? "invalid @timestamp" : "missing @timestamp", problem);

    private void RejectDecodeError(int input, long line, long element, string error)
    {
        int colon = error.IndexOf(':');
        Reject(input, line, element, colon < 0 ? error : error[..colon], error);
    }

    private void Reject(int input, long line, long element, string reason, string detail)
    {
        Summary.CountRejected(_sources[input], line, reason, detail, element);
        StopIfStrict(input, line, element, reason, detail);
    }

    private void StopIfStrict(int input, long line, long element, string reason, string detail)
    {
        if (_options.Strict && Summary.StoppedAt is null)
        {
            Summary.StoppedAt = new RejectedLine(_sources[input], line, reason, detail, element);
        }
    }

    /// <summary>
    /// Groups rules by the time they order events by: the timestamp field, and whether <c>@timestamp</c>
    /// stands in when an event lacks it. Most rule sets have one or two groups.
    /// </summary>
    private static OrderGroup[] CreateGroups(RuleSet rules, FieldSchema timeSchema, bool byValue)
    {
        var groups = new List<(string Field, bool Fallback, List<DetectionRule> Rules)>();
        foreach (var rule in rules.Rules)
        {
            string field = rule.Descriptor.TimestampOverride ?? FieldSchema.TimestampField;
            bool fallback = rule.Descriptor.TimestampOverride is not null && !rule.Descriptor.TimestampOverrideFallbackDisabled;
            int index = groups.FindIndex(group => group.Field == field && group.Fallback == fallback);
            if (index < 0)
            {
                groups.Add((field, fallback, []));
                index = groups.Count - 1;
            }

            groups[index].Rules.Add(rule);
        }

        if (groups.Count == 0)
        {
            groups.Add((FieldSchema.TimestampField, false, []));
        }

        var result = new OrderGroup[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            var (field, fallback, members) = groups[i];
            var stateless = members.Where(rule => !rule.KeepsState).ToList();
            result[i] = new OrderGroup
            {
                Slot = timeSchema.Slot(field),
                FallbackSlot = fallback ? timeSchema.Slot(FieldSchema.TimestampField) : -1,
                All = new RuleDispatch(new RuleSet(rules.Schema, members), byValue),
                SingleEvent = stateless.Count == 0 ? null : new RuleDispatch(new RuleSet(rules.Schema, stateless), byValue),
                KeepsState = stateless.Count < members.Count,
            };
        }

        return result;
    }

    /// <summary>Rules that order events by the same time, with their reorder queue.</summary>
    private sealed class OrderGroup
    {
        public required int Slot { get; init; }

        public required int FallbackSlot { get; init; }

        public required RuleDispatch All { get; init; }

        /// <summary>The rules that keep no state between events, which still evaluate late events, or null when there are none.</summary>
        public required RuleDispatch? SingleEvent { get; init; }

        public required bool KeepsState { get; init; }

        public OrderQueue Queue { get; } = new();

        public long MaxSeen { get; set; } = None;

        public long LastReleased { get; set; } = None;
    }

    /// <summary>An open input with its next event, timed for each group.</summary>
    private sealed class InputCursor(int index, string name, Stream stream, IEnumerator<Document> documents, int groups) : IDisposable
    {
        public int Index { get; } = index;

        public string Name { get; } = name;

        public IEnumerator<Document> Documents { get; } = documents;

        public Document Current { get; set; }

        /// <summary>The work that reads and decodes this input on another thread, or null when the engine reads it.</summary>
        public DecodeAhead? Ahead { get; init; }

        /// <summary>The store entry of <see cref="Current"/> when the engine decodes in a single pass, else -1.</summary>
        public int Entry { get; set; } = -1;

        public long Ordinal { get; set; }

        public long[] Times { get; } = new long[groups];

        public long MergeTime { get; set; }

        public OrderKey Key => new(MergeTime, Index, Ordinal);

        public void Dispose()
        {
            Ahead?.Dispose();
            Documents.Dispose();
            stream.Dispose();
        }
    }

    /// <summary>Passes reads through and leaves the stream open, for a stream the caller owns.</summary>
    private sealed class KeepOpenStream(Stream inner) : ReadOnlyInputStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => inner.Read(buffer);
    }
}
