using Compiled.Runtime.Hosting;

namespace Compiled.Tests.Runtime;

/// <summary>
/// <see cref="OrderQueue"/> must hand out events in the order one binary heap would, whatever mix of
/// ordered and late keys it gets, and across the growth and wrap of its ring.
/// </summary>
public class OrderQueueTests
{
    [TestCase(0.0, 1)]
    [TestCase(0.02, 2)]
    [TestCase(0.3, 3)]
    [TestCase(1.0, 4)]
    public void DequeuesInHeapOrder(double lateShare, int seed)
    {
        var random = new Random(seed);
        var queue = new OrderQueue();
        var heap = new PriorityQueue<int, OrderKey>();
        long time = 1_000;
        long ordinal = 0;
        int dequeued = 0;
        for (int step = 0; step < 20_000; step++)
        {
            // Bursts of adds and takes make the ring grow past its first size and wrap around many times.
            if (random.Next(3) > 0 || heap.Count == 0)
            {
                int burst = random.Next(1, 200);
                for (int i = 0; i < burst; i++)
                {
                    time += random.Next(0, 3);
                    long eventTime = random.NextDouble() < lateShare ? time - random.Next(0, 5_000) : time;
                    var key = new OrderKey(eventTime, random.Next(0, 3), ordinal++);
                    int entry = (int)ordinal;
                    queue.Enqueue(entry, key);
                    heap.Enqueue(entry, key);
                }
            }
            else
            {
                int burst = random.Next(1, heap.Count + 1);
                for (int i = 0; i < burst; i++)
                {
                    Assert.That(queue.TryPeek(out int peeked, out var peekedKey), Is.True);
                    heap.TryPeek(out int expectedEntry, out var expectedKey);
                    Assert.That((peeked, peekedKey), Is.EqualTo((expectedEntry, expectedKey)), $"peek {dequeued}");
                    Assert.That(queue.TryDequeue(out int entry, out var key), Is.True);
                    heap.TryDequeue(out expectedEntry, out expectedKey);
                    Assert.That((entry, key), Is.EqualTo((expectedEntry, expectedKey)), $"take {dequeued}");
                    dequeued++;
                }
            }

            Assert.That(queue.Count, Is.EqualTo(heap.Count));
        }

        while (heap.TryDequeue(out int expectedEntry, out var expectedKey))
        {
            Assert.That(queue.TryDequeue(out int entry, out var key), Is.True);
            Assert.That((entry, key), Is.EqualTo((expectedEntry, expectedKey)));
        }

        Assert.That(queue.TryPeek(out _, out _), Is.False);
        Assert.That(queue.TryDequeue(out _, out _), Is.False);
        Assert.That(queue.Count, Is.Zero);
    }

    [Test]
    public void EqualTimesOrderByInputThenPosition()
    {
        var queue = new OrderQueue();
        queue.Enqueue(1, new OrderKey(5, 1, 0));
        queue.Enqueue(2, new OrderKey(5, 0, 7));
        queue.Enqueue(3, new OrderKey(5, 0, 3));
        queue.Enqueue(4, new OrderKey(5, 1, 1));
        var order = new List<int>();
        while (queue.TryDequeue(out int entry, out _))
        {
            order.Add(entry);
        }

        Assert.That(order, Is.EqualTo(new[] { 3, 2, 1, 4 }));
    }
}
