namespace Compiled.Runtime.Sequences;

/// <summary>An item of a <see cref="RecencyList{T}"/>, which links its items through these two fields.</summary>
internal abstract class RecencyNode<T>
    where T : RecencyNode<T>
{
    internal T? Older;

    internal T? Newer;
}

/// <summary>
/// Items from the least to the most recently used, linked through the items themselves, so adding,
/// moving and removing an item allocate nothing. The matchers keep their join keys' states in one, to
/// evict the oldest key when the state cap is reached.
/// </summary>
internal sealed class RecencyList<T>
    where T : RecencyNode<T>
{
    public T? Oldest { get; private set; }

    public T? Newest { get; private set; }

    /// <summary>Appends <paramref name="item"/>, which must not be in the list, as the newest.</summary>
    public void Add(T item)
    {
        item.Older = Newest;
        item.Newer = null;
        if (Newest is not null)
        {
            Newest.Newer = item;
        }
        else
        {
            Oldest = item;
        }

        Newest = item;
    }

    /// <summary>Makes <paramref name="item"/>, which must be in the list, the newest.</summary>
    public void MoveToNewest(T item)
    {
        if (!ReferenceEquals(item, Newest))
        {
            Remove(item);
            Add(item);
        }
    }

    /// <summary>Removes <paramref name="item"/>, which must be in the list.</summary>
    public void Remove(T item)
    {
        if (item.Older is not null)
        {
            item.Older.Newer = item.Newer;
        }
        else
        {
            Oldest = item.Newer;
        }

        if (item.Newer is not null)
        {
            item.Newer.Older = item.Older;
        }
        else
        {
            Newest = item.Older;
        }

        item.Older = null;
        item.Newer = null;
    }
}
