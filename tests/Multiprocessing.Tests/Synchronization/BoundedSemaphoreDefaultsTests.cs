namespace Multiprocessing.Tests.Synchronization;

/// <summary>Python's BoundedSemaphore(value): the initial count is also the bound; the locked types extend the raw ones.</summary>
public sealed class BoundedSemaphoreDefaultsTests
{
    [Fact]
    public void Create_with_one_count_bounds_the_semaphore_at_that_count()
    {
        using SharedBoundedSemaphore s = SharedBoundedSemaphore.Create(2);
        Assert.Equal(2, s.MaximumCount);
        Assert.True(s.TryAcquire(TimeSpan.Zero));
        s.Release();
        SemaphoreFullException e = Assert.Throws<SemaphoreFullException>(() => s.Release());
        Assert.Contains("SharedBoundedSemaphore", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, s.CurrentCount);
        s.Unlink();
    }

    [Fact]
    public void A_locked_value_and_array_are_usable_as_their_raw_counterparts()
    {
        using SharedValue<long> v = SharedValue<long>.Create(41);
        SharedRawValue<long> raw = v;
        Assert.Equal(42, raw.Increment());
        using SharedArray<int> a = SharedArray<int>.Create([1, 2, 3]);
        SharedRawArray<int> rawArray = a;
        rawArray[1] = 20;
        Assert.Equal([1, 20, 3], a.ToArray());
        Assert.StartsWith("SharedArray<Int32>", SharedArrayClosedText(a), StringComparison.Ordinal);
        v.Unlink();
        a.Unlink();
    }

    private static string SharedArrayClosedText(SharedArray<int> a)
    {
        a.Dispose();
        return a.ToString();
    }
}
