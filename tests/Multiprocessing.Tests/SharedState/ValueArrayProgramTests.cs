using Multiprocessing.Tests.Synchronization;

namespace Multiprocessing.Tests.SharedState;

/// <summary>The seed's Value/Array program (samples/ValueArray), with real worker processes.</summary>
public sealed class ValueArrayProgramTests
{
    [Fact]
    public void Two_children_one_after_the_other_add_one_and_multiply_by_ten()
    {
        using SharedValue<int> num = SharedValue<int>.Create(1);
        using SharedArray<int> arr = SharedArray<int>.Create([.. Enumerable.Range(0, 10)]);
        List<string> printed = [];
        for (int round = 0; round < 2; round++)
        {
            using WorkerProcess p = WorkerProcess.Start(static (SharedValue<int> n, SharedArray<int> a) =>
            {
                using (n.Lock.EnterScope())
                {
                    n.Value += 1;
                }

                for (int i = 0; i < a.Length; i++)
                {
                    a[i] *= 10;
                }
            }, num, arr);
            Workers.JoinOk(p);
            printed.Add(num.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            printed.Add(arr.ToString());
        }

        Assert.Equal(
            ["2", "[0, 10, 20, 30, 40, 50, 60, 70, 80, 90]", "3", "[0, 100, 200, 300, 400, 500, 600, 700, 800, 900]"],
            printed);
        num.Unlink();
        arr.Unlink();
    }

    [Fact]
    public void A_raw_array_and_raw_value_written_by_a_child_are_read_by_the_parent()
    {
        using SharedRawValue<double> total = SharedRawValue<double>.Create(0);
        using SharedRawArray<double> values = SharedRawArray<double>.Create(1_000);
        using WorkerProcess p = WorkerProcess.Start(static (SharedRawArray<double> a, SharedRawValue<double> t) =>
        {
            Span<double> span = a.Span;
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = i;
            }

            t.Value = 499_500;
        }, values, total);
        Workers.JoinOk(p);
        double sum = 0;
        foreach (double x in values.Span)
        {
            sum += x;
        }

        Assert.Equal(total.Value, sum);
        total.Unlink();
        values.Unlink();
    }
}
