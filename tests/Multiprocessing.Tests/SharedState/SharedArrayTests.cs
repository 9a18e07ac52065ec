using Multiprocessing.Internal;

namespace Multiprocessing.Tests.SharedState;

public sealed class SharedArrayTests
{
    [Fact]
    public void Elements_written_through_one_handle_are_read_through_another()
    {
        string name = SegmentNames.NewAnonymous("test-array");
        using SharedArray<double> a = SharedArray<double>.Create(name, 10);
        using SharedArray<double> opened = SharedArray<double>.Open(name);
        Assert.Equal(10, opened.Length);
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = i;
        }

        opened[3] *= 10;
        Assert.Equal(30, a[3]);
        Assert.Equal(45 + 27, opened.Span.ToArray().Sum());
        using SharedRawArray<double> raw = SharedRawArray<double>.Open(name);
        Assert.Equal(30, raw[3]);
        a.Unlink();
    }

    [Fact]
    public void Bulk_copies_in_and_out()
    {
        using SharedArray<int> a = SharedArray<int>.Create([1, 2, 3, 4, 5]);
        Assert.Equal("[1, 2, 3, 4, 5]", a.ToString());
        a.CopyFrom([9, 9], 3);
        Assert.Equal([1, 2, 3, 9, 9], a.ToArray());
        int[] two = new int[2];
        a.CopyTo(two, 1);
        Assert.Equal([2, 3], two);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.CopyFrom([1, 2, 3], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.CopyTo(new int[6]));
        using SharedRawArray<byte> empty = SharedRawArray<byte>.Create(0);
        Assert.Equal(0, empty.Length);
        Assert.True(empty.Span.IsEmpty);
        a.Unlink();
        empty.Unlink();
    }

    [Fact]
    public void Bad_input_gives_the_documented_exceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedArray<int>.Create(-1));
        using SharedArray<int> a = SharedArray<int>.Create(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => a[-1] = 1);
        Assert.Throws<WrongKindException>(() => SharedArray<long>.Open(a.Name));
        Assert.Throws<WrongKindException>(() => SharedValue<int>.Open(a.Name));
        a.Unlink();
    }
}
