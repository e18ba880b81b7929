using System.Runtime.ExceptionServices;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Hosting;

public sealed partial class ScanEngine
{
    /// <summary>Moves an input that decodes ahead to its next event, as <see cref="Advance"/> does for one the engine reads.</summary>
    private bool AdvanceDecoded(InputCursor cursor, DecodeAhead ahead)
    {
        while (true)
        {
            if (!ahead.MoveNext(out var batch, out int item, out string? inputError))
            {
                if (inputError is not null)
                {
                    Summary.AddInputError(inputError);
                }

                return false;
            }

            ref var document = ref batch[item];
            cursor.Ordinal++;
            switch (document.Kind)
            {
                case DocumentKind.Blank:
                    Summary.CountBlank();
                    break;
                case DocumentKind.Rejected:
                    if (document.IsReadFailure)
                    {
                        Summary.AddInputError($"{cursor.Name}: {document.Detail}");
                    }

                    Reject(cursor.Index, document.Line, document.Element, document.Reason!, document.Detail!);
                    break;
                case DocumentKind.DecodeError:
                    RejectDecodeError(cursor.Index, document.Line, document.Element, document.Detail!);
                    break;
                case DocumentKind.TimeProblem:
                    RejectTimestamp(cursor.Index, document.Line, document.Element, document.Detail!);
                    break;
                case DocumentKind.Untimed:
                    // Valid time fields, but none that any rule orders by: no rule can match the event.
                    Summary.CountEvaluated();
                    break;
                case DocumentKind.Event:
                    batch.Times(item).CopyTo(cursor.Times);
                    cursor.MergeTime = document.MergeTime;
                    cursor.Entry = Store(cursor, batch, document);
                    return true;
                default:
                    // A batch reaches the engine only once every document in it is decoded.
                    throw new System.Diagnostics.UnreachableException($"A document of kind {document.Kind} reached the engine undecoded.");
            }

            if (Summary.StoppedAt is not null)
            {
                return false;
            }
        }
    }

    /// <summary>Copies a decoded event and, within the budget of <see cref="SaveDecoded"/>, its values into the store.</summary>
    private int Store(InputCursor cursor, Batch batch, in DecodedDocument document)
    {
        int entry = _store.Add(batch.Slice(document.Json), batch.Slice(document.Id), batch.Slice(document.Index), cursor.Index, document.Line, document.Element);
        _store.AddReference(entry);
        _store.SetReadAhead(entry, true);
        var snapshot = batch.Snapshot(document.Snapshot);
        if (!snapshot.IsEmpty && _store.SnapshotBytes + snapshot.Length <= _options.MaxBufferedBytes)
        {
            snapshot.CopyTo(_store.ReserveSnapshot(entry, snapshot.Length));
        }

        // Both store calls can pack the store, which moves the JSON of the event whose values the record has.
        if (_decodedEntry >= 0)
        {
            SetOrigin(_decodedEntry);
        }

        return entry;
    }

    private (EventDecoder Decoder, EventRecord Record) RentDecoder()
    {
        lock (_spareGate)
        {
            if (_spareDecoders.TryPop(out var spare))
            {
                return spare;
            }
        }

        return (new EventDecoder(_rules.Schema, checkWholeEvent: true), new EventRecord(_rules.Schema));
    }

    private void ReturnDecoder(EventDecoder decoder, EventRecord record)
    {
        lock (_spareGate)
        {
            _spareDecoders.Push((decoder, record));
        }
    }

    /// <summary>Returns a spare batch of <paramref name="capacity"/> bytes, or a new one. Spares of another capacity are dropped.</summary>
    private Batch RentBatch(int capacity)
    {
        lock (_spareGate)
        {
            while (_spareBatches.TryPop(out var spare))
            {
                if (spare.Capacity == capacity)
                {
                    return spare;
                }
            }
        }

        return new Batch(_groups.Length, capacity, _oversized);
    }

    private void ReturnBatch(Batch batch)
    {
        batch.Clear();
        lock (_spareGate)
        {
            _spareBatches.Push(batch);
        }
    }

    /// <summary>
    /// Reads and decodes the documents of one input on thread-pool threads, a few batches ahead of the engine, so
    /// that decoding and rule evaluation share the processors. A batch carries each document's outcome in input
    /// order: the event's JSON, decoded values and times, or the reason it was rejected. The engine takes the
    /// batches in order and handles each document as the single-threaded path would, so alerts and the summary
    /// do not depend on which path read the input. One work item at a time reads the input into a batch, and the
    /// batch is then decoded while the next work item reads on. The engine, when it would wait for the batch it
    /// needs next, decodes that batch's remaining events itself. A work item ends when no batch is free instead of
    /// waiting for one, so many inputs cannot starve the thread pool.
    /// </summary>
    private sealed class DecodeAhead : IDisposable, IThreadPoolWorkItem
    {
        /// <summary>Batches per input: one the engine reads, one being read and the others being decoded.</summary>
        private const int BatchCount = 4;

        /// <summary>The documents a thread takes for decoding at a time.</summary>
        private const int ClaimSize = 8;

        /// <summary>How long the engine waits for a work item to start reading before it reads the input itself, in milliseconds.</summary>
        private const int WorkerStartTimeout = 10;

        private readonly ScanEngine _engine;
        private readonly IEnumerator<Document> _documents;
        private readonly string _name;
        private readonly int _maxWorkers = Math.Clamp(Environment.ProcessorCount - 1, 1, BatchCount - 1);
        // Monitor.Wait needs a lock on an object, so this is not a System.Threading.Lock.
        private readonly object _gate = new();
        private readonly Queue<Batch> _free = new(BatchCount);

        /// <summary>Batches that are being read, being decoded or ready, in input order.</summary>
        private readonly Queue<Batch> _ordered = new(BatchCount);
        private Batch? _current;
        /// <summary>
        /// Decoders for the work items and the engine, taken from the engine when the input opens, so that what
        /// a scan allocates does not depend on which threads happened to decode.
        /// </summary>
        private readonly Stack<(EventDecoder Decoder, EventRecord Record)> _decoders = new();
        private (EventDecoder Decoder, EventRecord Record)? _engineDecoder;
        /// <summary>Work items queued or running.</summary>
        private int _workers;

        /// <summary>Work items between taking a batch and finishing with it, which <see cref="Dispose"/> waits for.</summary>
        private int _busyWorkers;
        private bool _reading;

        /// <summary>True when the current document of the input did not fit in the last batch and goes first into the next.</summary>
        private bool _pending;
        private bool _ended;
        private volatile bool _stopping;

        public DecodeAhead(ScanEngine engine, IEnumerator<Document> documents, string name, int batchBytes)
        {
            _engine = engine;
            _documents = documents;
            _name = name;
            for (int i = 0; i < BatchCount; i++)
            {
                _free.Enqueue(engine.RentBatch(batchBytes));
            }

            for (int i = 0; i <= _maxWorkers; i++)
            {
                _decoders.Push(engine.RentDecoder());
            }

            lock (_gate)
            {
                StartWorker();
            }
        }

        /// <summary>
        /// Moves to the next document, waiting for its batch when it is not decoded yet. False at the end of the
        /// input, with <paramref name="inputError"/> set when reading failed there. An unexpected exception
        /// of a work item is thrown here, after the documents before it.
        /// </summary>
        public bool MoveNext(out Batch batch, out int item, out string? inputError)
        {
            inputError = null;
            while (_current is null || _current.Next == _current.Count)
            {
                if (_current is not null)
                {
                    if (_current.Ended)
                    {
                        batch = _current;
                        item = -1;
                        _current.Failure?.Throw();
                        inputError = _current.InputError;
                        return false;
                    }

                    Recycle(_current);
                    _current = null;
                }

                var help = NextBatch(out int generation, out bool unread);
                if (help is not null)
                {
                    if (unread)
                    {
                        ReadAndPublish(help);
                    }

                    if (_engineDecoder is null)
                    {
                        lock (_gate)
                        {
                            _engineDecoder = _decoders.Pop();
                        }
                    }

                    var (decoder, record) = _engineDecoder.Value;
                    DecodeShare(help, generation, fromEnd: true, decoder, record);
                }
            }

            batch = _current;
            item = _current.Next++;
            return true;
        }

        /// <summary>
        /// Stops the work items and waits until they have left the input, which the caller then closes. A work item
        /// still queued, such as behind other work of a busy pool, is not waited for: when it runs, it finds the
        /// input stopped and ends without touching the input or the batches.
        /// </summary>
        public void Dispose()
        {
            lock (_gate)
            {
                _stopping = true;
                while (_busyWorkers > 0)
                {
                    Monitor.Wait(_gate);
                }
            }

            if (_engineDecoder is { } engineDecoder)
            {
                _decoders.Push(engineDecoder);
                _engineDecoder = null;
            }

            foreach (var (decoder, record) in _decoders)
            {
                _engine.ReturnDecoder(decoder, record);
            }

            _decoders.Clear();

            // The engine keeps the batches for its next input, so a steady scan of many inputs allocates none.
            foreach (var batch in _free)
            {
                _engine.ReturnBatch(batch);
            }

            foreach (var batch in _ordered)
            {
                _engine.ReturnBatch(batch);
            }

            if (_current is not null)
            {
                _engine.ReturnBatch(_current);
                _current = null;
            }

            _free.Clear();
            _ordered.Clear();
        }

        void IThreadPoolWorkItem.Execute() => Work();

        /// <summary>
        /// Makes the first batch in input order current once it is decoded, and returns null. Returns the batch
        /// instead when it is read but has events that no thread decodes yet, for the engine to decode. When no
        /// batch has been read or is being read after <see cref="WorkerStartTimeout"/>, such as while the thread pool
        /// is busy with other work, returns a free batch with <paramref name="unread"/> set, for the engine to read
        /// and decode, so a busy pool delays the scan by at most that timeout per batch.
        /// </summary>
        private Batch? NextBatch(out int generation, out bool unread)
        {
            unread = false;
            bool waited = false;
            lock (_gate)
            {
                while (true)
                {
                    if (_ordered.TryPeek(out var head))
                    {
                        generation = head.Generation;
                        if (head.Decoded)
                        {
                            _current = _ordered.Dequeue();
                            return null;
                        }

                        if (head.Read && head.HasUnclaimed)
                        {
                            return head;
                        }
                    }
                    else if (waited && !_reading && !_ended && _free.TryDequeue(out var next))
                    {
                        _reading = true;
                        _ordered.Enqueue(next);
                        generation = next.Generation;
                        unread = true;
                        return next;
                    }

                    // A work item usually starts reading within microseconds. One that has not started after
                    // WorkerStartTimeout waits behind other work of the pool, and the engine reads instead.
                    if (_ordered.Count == 0)
                    {
                        waited = !Monitor.Wait(_gate, WorkerStartTimeout);
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
            }
        }

        private void Recycle(Batch batch)
        {
            batch.Clear();
            lock (_gate)
            {
                _free.Enqueue(batch);
                StartWorker();
            }
        }

        /// <summary>Starts a work item when there is a batch to read into and no work item reads. Called under the lock.</summary>
        private void StartWorker()
        {
            if (!_stopping && !_ended && !_reading && _workers < _maxWorkers && _free.Count > 0)
            {
                _workers++;
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }

        /// <summary>
        /// True when a batch waiting for the engine grew past its capacity for a large document. Reading further
        /// waits until the engine has taken it, so an input keeps at most one such document ahead.
        /// </summary>
        private bool HoldsOversizedBatch()
        {
            foreach (var batch in _ordered)
            {
                if (batch.IsOversized)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Reads a batch, lets another work item read the next one, and decodes the batch; repeats while it can.</summary>
        private void Work()
        {
            (EventDecoder Decoder, EventRecord Record)? decoder = null;
            bool busy = false;
            while (true)
            {
                Batch? batch;
                lock (_gate)
                {
                    if (busy)
                    {
                        busy = false;
                        _busyWorkers--;
                    }

                    if (_stopping || _ended || _reading || HoldsOversizedBatch() || !_free.TryDequeue(out batch))
                    {
                        if (decoder is { } held)
                        {
                            _decoders.Push(held);
                        }

                        _workers--;
                        Monitor.PulseAll(_gate);
                        return;
                    }

                    decoder ??= _decoders.Pop();
                    _reading = true;
                    _ordered.Enqueue(batch);
                    _busyWorkers++;
                    busy = true;
                }

                ReadAndPublish(batch);
                DecodeShare(batch, batch.Generation, fromEnd: false, decoder.Value.Decoder, decoder.Value.Record);
            }
        }

        /// <summary>Reads a batch that the caller took for reading, and lets the other threads decode it and read on.</summary>
        private void ReadAndPublish(Batch batch)
        {
            Read(batch);
            lock (_gate)
            {
                _reading = false;
                _ended |= batch.Ended;
                batch.OpenClaims();
                batch.Read = true;
                batch.Decoded = batch.Count == 0;
                StartWorker();
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Copies documents into the batch until it is full or the input ends.</summary>
        private void Read(Batch batch)
        {
            try
            {
                // A document that does not fit stays the input's current one, valid until the next MoveNext.
                while (!batch.IsFull)
                {
                    if (!_pending)
                    {
                        // Cancellation is left to the engine, which stops between two documents as it does when it reads.
                        if (_stopping || !_documents.MoveNext())
                        {
                            batch.Ended = true;
                            return;
                        }

                        _pending = true;
                    }

                    if (!batch.TryAdd(_documents.Current))
                    {
                        return;
                    }

                    _pending = false;
                }
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                batch.Ended = true;
                batch.InputError = $"{_name}: {error.Message}";
            }
            catch (OperationCanceledException)
            {
                batch.Ended = true;
            }
            catch (Exception error)
            {
                // The engine throws it when it reaches this point of the input, as the single-threaded path would.
                batch.Ended = true;
                batch.Failure = ExceptionDispatchInfo.Capture(error);
            }
        }

        /// <summary>
        /// Decodes the events of a read batch that no other thread has taken, <see cref="ClaimSize"/> at a time. The
        /// work item takes them from the start and the engine, with <paramref name="fromEnd"/>, from the end. The
        /// thread that finishes the last one marks the batch decoded. <paramref name="generation"/> is the batch's
        /// <see cref="Batch.Generation"/> when the caller found it, so a thread that comes back after the
        /// batch was recycled takes nothing.
        /// </summary>
        private void DecodeShare(Batch batch, int generation, bool fromEnd, EventDecoder decoder, EventRecord record)
        {
            while (batch.TryClaim(generation, fromEnd, ClaimSize, out int first, out int end))
            {
                for (int item = first; item < end; item++)
                {
                    try
                    {
                        if (batch[item].Kind == DocumentKind.Undecoded)
                        {
                            Decode(batch, item, decoder, record);
                        }
                    }
                    catch (Exception error)
                    {
                        lock (_gate)
                        {
                            batch.Fail(item, error);
                        }
                    }
                }

                if (batch.Finish(end - first))
                {
                    lock (_gate)
                    {
                        // The documents before a failing one are handled, and the engine then throws.
                        _ended |= batch.EndAtFailure();
                        batch.Decoded = true;
                        Monitor.PulseAll(_gate);
                    }
                }
            }
        }

        private void Decode(Batch batch, int index, EventDecoder decoder, EventRecord record)
        {
            ref var item = ref batch[index];
            if (decoder.Decode(batch.Memory(item.Json), record) is { } error)
            {
                item.Kind = DocumentKind.DecodeError;
                item.Detail = error;
                return;
            }

            if (!TimeEvent(_engine._groups, record, batch.Times(index), out item.MergeTime, out string? problem))
            {
                item.Kind = problem is null ? DocumentKind.Untimed : DocumentKind.TimeProblem;
                item.Detail = problem;
                return;
            }

            item.Kind = DocumentKind.Event;

            // Values that do not fit in the batch are not kept, and the engine decodes the event again at its release.
            item.Snapshot = batch.TryWriteSnapshot(record, record.SnapshotLength);
        }
    }
}
