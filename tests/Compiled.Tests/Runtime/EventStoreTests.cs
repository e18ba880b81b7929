using System.Text;
using Compiled.Runtime.Hosting;

namespace Compiled.Tests.Runtime;

public class EventStoreTests
{
    [Test]
    public void LongHeldEventsArePacked()
    {
        // One event in a hundred stays held, as events dated far in the future do, and each would keep a chunk in use.
        var store = new EventStore();
        var held = new List<(int Id, byte[] Json, byte[] Snapshot)>();
        for (int i = 0; i < 3000; i++)
        {
            byte[] json = Event(i, 10_000);
            int id = store.Add(json, Encoding.UTF8.GetBytes($"\"id{i}\""), Encoding.UTF8.GetBytes($"\"index{i}\""), input: 0, line: i, element: -1);
            store.AddReference(id);
            if (i % 100 == 0)
            {
                byte[] snapshot = Encoding.UTF8.GetBytes($"decoded values of event {i}");
                snapshot.CopyTo(store.ReserveSnapshot(id, snapshot.Length));
                held.Add((id, json, snapshot));
            }
            else
            {
                store.Release(id);
            }
        }

        Assert.That(store.Count, Is.EqualTo(30));
        Assert.That(store.ChunkCount, Is.LessThanOrEqualTo(PackedChunkLimit(store)), "chunks kept for 30 events of 10 KB");
        foreach (var (id, json, snapshot) in held)
        {
            Assert.That(store.Json(id).ToArray(), Is.EqualTo(json), $"event {id}");
            Assert.That(Encoding.UTF8.GetString(store.HitId(id).Span), Is.EqualTo($"\"id{store[id].Line}\""));
            Assert.That(Encoding.UTF8.GetString(store.HitIndex(id).Span), Is.EqualTo($"\"index{store[id].Line}\""));
            Assert.That(store.Snapshot(id).ToArray(), Is.EqualTo(snapshot), $"event {id}");
        }
    }

    [Test]
    public void PackingKeepsLargeDocuments()
    {
        var store = new EventStore();
        byte[] large = Event(-1, (3 * EventStore.ChunkSize) / 2);
        int largeId = store.Add(large, default, default, input: 0, line: 0, element: -1);
        store.AddReference(largeId);
        for (int i = 0; i < 2000; i++)
        {
            int id = store.Add(Event(i, 20_000), default, default, input: 0, line: i + 1, element: -1);
            store.AddReference(id);
            if (i % 50 != 0)
            {
                store.Release(id);
            }
        }

        Assert.That(store.Json(largeId).ToArray(), Is.EqualTo(large));
        Assert.That(store.ChunkCount, Is.LessThanOrEqualTo(PackedChunkLimit(store)));
        Assert.That(store.Release(largeId), Is.True);
    }

    /// <summary>
    /// Returns the maximum number of chunks a store keeps while its bytes only grow: twice those bytes and four
    /// more in use before it packs, and one chunk being filled.
    /// </summary>
    private static long PackedChunkLimit(EventStore store) => (2 * (store.Bytes + store.SnapshotBytes) / EventStore.ChunkSize) + 5;

    /// <summary>Returns a JSON object of about <paramref name="size"/> bytes whose text depends on <paramref name="number"/>.</summary>
    private static byte[] Event(int number, int size)
    {
        string head = $"{{\"n\":{number},\"pad\":\"";
        return Encoding.UTF8.GetBytes(head + new string((char)('a' + (Math.Abs(number) % 26)), size - head.Length - 2) + "\"}");
    }
}
