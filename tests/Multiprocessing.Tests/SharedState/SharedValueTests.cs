using Multiprocessing.Internal;
using Multiprocessing.Tests.Synchronization;

namespace Multiprocessing.Tests.SharedState;

public sealed class SharedValueTests
{
    private readonly record struct Point(double X, double Y);

    [Fact]
    public void Value_set_in_one_handle_is_seen_in_another()
    {
        string name = SegmentNames.NewAnonymous("test-value");
        using SharedValue<long> v = SharedValue<long>.Create(name, 7);
        using SharedValue<long> opened = SharedValue<long>.Open(name);
        Assert.Equal(7, opened.Value);
        opened.Value = 42;
        Assert.Equal(42, v.Value);
        opened.Ref += 1;
        Assert.Equal(43, v.Value);
        Assert.Equal("43", v.ToString());
        using SharedRawValue<long> raw = SharedRawValue<long>.Open(name);
        Assert.Equal(43, raw.Value);
        v.Unlink();
    }

    [Fact]
    public void Increments_under_the_lock_and_lock_free_lose_nothing()
    {
        using SharedValue<int> locked = SharedValue<int>.Create();
        using SharedValue<int> atomic = SharedValue<int>.Create();
        TestThreads.RunAll(4, _ =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                using (locked.Lock.EnterScope())
                {
                    locked.Value += 1;
                }

                atomic.Increment();
            }
        });
        Assert.Equal(80_000, locked.Value);
        Assert.Equal(80_000, atomic.Value);
        locked.Unlink();
        atomic.Unlink();
    }

    [Fact]
    public void Atomic_operations_on_each_supported_type()
    {
        using SharedValue<long> l = SharedValue<long>.Create(10);
        Assert.Equal(15, l.Add(5));
        Assert.Equal(14, l.Decrement());
        Assert.Equal(14, l.Exchange(3));
        Assert.Equal(3, l.CompareExchange(9, 3));
        Assert.Equal(9, l.CompareExchange(1, 3));
        Assert.Equal(9, l.Value);

        using SharedRawValue<uint> u = SharedRawValue<uint>.Create(uint.MaxValue);
        Assert.Equal(0u, u.Increment());
        Assert.Equal(uint.MaxValue, u.Decrement());

        using SharedValue<double> d = SharedValue<double>.Create(1.5);
        Assert.Equal(1.5, d.Exchange(2.5));
        Assert.Equal(2.5, d.CompareExchange(4.0, 2.5));
        Assert.Equal(4.0, d.Value);
        Assert.Throws<NotSupportedException>(() => d.Increment());

        using SharedValue<Point> p = SharedValue<Point>.Create(new Point(1, 2));
        Assert.Equal(new Point(1, 2), p.Value);
        p.Ref = p.Value with { Y = 5 };
        Assert.Equal(5, p.Value.Y);
        NotSupportedException e = Assert.Throws<NotSupportedException>(() => p.Exchange(default));
        Assert.Contains("hold its lock", e.Message, StringComparison.Ordinal);
        foreach (string n in new[] { l.Name, u.Name, d.Name, p.Name })
        {
            Segment.UnlinkName(n);
        }
    }

    [Fact]
    public void Opening_with_another_type_or_kind_is_refused()
    {
        using SharedValue<int> v = SharedValue<int>.Create(1);
        Assert.Throws<WrongKindException>(() => SharedValue<long>.Open(v.Name));
        Assert.Throws<WrongKindException>(() => SharedValue<uint>.Open(v.Name));
        Assert.Throws<WrongKindException>(() => SharedArray<int>.Open(v.Name));
        Assert.Throws<WrongKindException>(() => SharedLock.Open(v.Name));
        Assert.Throws<FileNotFoundException>(() => SharedValue<int>.Open(SegmentNames.NewAnonymous("missing")));
        v.Unlink();
        v.Dispose();
        Assert.Throws<ObjectDisposedException>(() => v.Value);
    }
}
