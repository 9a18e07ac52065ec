// Python's Value/Array example, across processes:
//
//     def f(n, a):
//         n.value += 1
//         for i in range(len(a)):
//             a[i] *= 10
//
//     num = Value('i', 1); arr = Array('i', range(10))
//     for _ in range(2):
//         p = Process(target=f, args=(num, arr)); p.start(); p.join()
//         print(num.value); print(arr[:])
//
// prints 2, [0, 10, ..., 90], 3, [0, 100, ..., 900].
using Multiprocessing;

using SharedValue<int> num = SharedValue<int>.Create(1);
using SharedArray<int> arr = SharedArray<int>.Create([.. Enumerable.Range(0, 10)]);
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
    if (!p.Join(TimeSpan.FromMinutes(1)) || p.ExitCode != 0)
    {
        Console.Error.WriteLine($"the worker failed (exit code {p.ExitCode}): {p.Failure}");
        return 1;
    }

    Console.WriteLine(num.Value);
    Console.WriteLine(arr);
}

return 0;
