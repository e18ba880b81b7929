namespace Compiled.Tests.Support;

/// <summary>Counts the bytes a piece of work allocates on every thread.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="pass"/> with 0, 1, ... <paramref name="passes"/> - 1 and returns the fewest bytes
    /// allocated by any pass. The count covers every thread of the process, because the engine decodes on
    /// thread-pool threads, so work left over from an earlier test, such as the pool starting a thread, can add
    /// to one pass. A cost per event shows in every pass, so the least of them still reveals it.
    /// </summary>
    public static long Least(int passes, Action<int> pass)
    {
        long least = long.MaxValue;
        for (int i = 0; i < passes; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            pass(i);
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return least;
    }
}
