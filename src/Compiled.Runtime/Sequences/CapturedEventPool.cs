using System.Numerics;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Sequences;

/// <summary>
/// The event copies of one matcher, reused once no pending sequence refers to them, so that keeping an event
/// allocates nothing while the pool has a free copy of its size class. Free copies wait by
/// the size of their bytes: 64 bytes, then four sizes per doubling up to 1 MiB, so a copy wastes at most a
/// quarter of its size. A larger event gets a copy of its exact size, which the pool does not keep.
/// The free copies take at most as many bytes as the copies in use, or <see cref="FreeBudget"/> when that is
/// more, so after a burst of keys or of large events the pool lets the excess go.
/// </summary>
internal sealed class CapturedEventPool
{
    private const int SmallestShift = 6;
    private const int LargestShift = 20;
    private const int SizesPerDoubling = 4;

    /// <summary>The bytes of free copies a pool may keep however few copies are in use.</summary>
    internal const long FreeBudget = 8 << 20;

    private readonly Stack<CapturedEvent>?[] _free = new Stack<CapturedEvent>?[1 + ((LargestShift - SmallestShift) * SizesPerDoubling)];

    /// <summary>The number of copies waiting for reuse.</summary>
    public int FreeCount { get; private set; }

    /// <summary>The bytes of the copies waiting for reuse.</summary>
    public long FreeBytes { get; private set; }

    /// <summary>The bytes of the copies rented and not yet released, past 1 MiB events left out.</summary>
    public long BytesInUse { get; private set; }

    /// <summary>Returns a copy of <paramref name="ev"/> with no references, which <see cref="Release"/> returns once the last one is dropped.</summary>
    public CapturedEvent Rent(EventRecord ev, long timestamp)
    {
        int sizeClass = ClassOf(CapturedEvent.LengthOf(ev));
        if (sizeClass < 0)
        {
            return CapturedEvent.From(ev, timestamp);
        }

        int bytes = SizeOf(sizeClass);
        BytesInUse += bytes;
        var copy = _free[sizeClass] is { } free && free.TryPop(out var reused) ? reused : null;
        if (copy is null)
        {
            return CapturedEvent.Create(ev, timestamp, bytes);
        }

        FreeCount--;
        FreeBytes -= bytes;
        copy.Fill(ev, timestamp);
        return copy;
    }

    /// <summary>Adds a reference to <paramref name="copy"/>.</summary>
    public static void Hold(CapturedEvent copy) => copy.References++;

    /// <summary>
    /// Drops a reference to <paramref name="copy"/>. When that was the last, keeps the copy for reuse, then lets the
    /// largest free copies go while the free copies take more than the copies in use and <see cref="FreeBudget"/>.
    /// </summary>
    public void Release(CapturedEvent copy)
    {
        if (--copy.References > 0)
        {
            return;
        }

        int sizeClass = ClassOf(copy.Capacity);
        if (sizeClass < 0 || SizeOf(sizeClass) != copy.Capacity)
        {
            return;
        }

        BytesInUse -= copy.Capacity;
        (_free[sizeClass] ??= new Stack<CapturedEvent>()).Push(copy);
        FreeCount++;
        FreeBytes += copy.Capacity;
        long limit = Math.Max(FreeBudget, BytesInUse);
        for (int largest = _free.Length - 1; FreeBytes > limit && largest >= 0; largest--)
        {
            while (FreeBytes > limit && _free[largest] is { } stack && stack.TryPop(out var dropped))
            {
                FreeCount--;
                FreeBytes -= dropped.Capacity;
            }
        }
    }

    /// <summary>Returns the smallest size class with room for <paramref name="size"/> bytes, or -1 past 1 MiB.</summary>
    internal static int ClassOf(int size)
    {
        if (size <= 1 << SmallestShift)
        {
            return 0;
        }

        if (size > 1 << LargestShift)
        {
            return -1;
        }

        // size is in (2^shift, 2^(shift + 1)], split into four equal steps.
        int shift = BitOperations.Log2((uint)size - 1);
        int step = 1 << (shift - 2);
        int within = (size - 1 - (1 << shift)) / step;
        return 1 + ((shift - SmallestShift) * SizesPerDoubling) + within;
    }

    /// <summary>Returns the bytes of a copy in <paramref name="sizeClass"/>.</summary>
    internal static int SizeOf(int sizeClass)
    {
        if (sizeClass == 0)
        {
            return 1 << SmallestShift;
        }

        int shift = SmallestShift + ((sizeClass - 1) / SizesPerDoubling);
        int steps = 1 + ((sizeClass - 1) % SizesPerDoubling);
        return (1 << shift) + (steps << (shift - 2));
    }
}
