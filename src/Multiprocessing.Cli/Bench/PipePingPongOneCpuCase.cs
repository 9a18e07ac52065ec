using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// pipe_pingpong with both processes on CPU 0, as under <c>taskset -c 0</c>: the timing side and the echo side are
/// both workers started while this thread is pinned, so both inherit the affinity and see one CPU at start-up. Warmed up
/// and timed as pipe_pingpong (<see cref="PipeBench.TimeRoundTrips"/>).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class PipePingPongOneCpuCase : IBenchCase
{
    public string Name => "pipe_pingpong_one_cpu";

    public IReadOnlyList<string> ResultNames => [Name];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        using Process self = Process.GetCurrentProcess();
        nint old = self.ProcessorAffinity;
        var (pingEnd, echoEnd) = Pipe.Create<int>();
        var (resultReader, resultWriter) = Pipe.CreateOneWay<byte[]>();
        RoundTripTimes times;
        int cpusSeen;
        using (resultReader)
        {
            WorkerProcess echo;
            WorkerProcess pinger;
            try
            {
                // sched_setaffinity on the process id pins this (main) thread, which starts the workers.
                self.ProcessorAffinity = 1;
                echo = WorkerProcess.Start(static (Connection<int> c) => PipeBench.Echo(c), echoEnd);
                pinger = WorkerProcess.Start(static (Connection<int> c, Connection<byte[]> results) => Ping(c, results), pingEnd, resultWriter);
            }
            finally
            {
                self.ProcessorAffinity = old;
            }

            using (echo)
            using (pinger)
            {
                pingEnd.Close();
                echoEnd.Close();
                resultWriter.Close();
                if (!resultReader.TryReceiveBytes(out byte[]? packed, PipeBench.Patience))
                {
                    pinger.Kill();
                    echo.Kill();
                    throw new TimeoutException("The pinned ping-pong did not finish within 2 minutes.");
                }

                long[] all = MemoryMarshal.Cast<byte, long>(packed).ToArray();
                cpusSeen = (int)all[0];
                times = new RoundTripTimes(
                    BitConverter.Int64BitsToDouble(all[1]), all[5..], BitConverter.Int64BitsToDouble(all[2]), BitConverter.Int64BitsToDouble(all[3]), (int)all[4]);
                PipeBench.Reap(pinger);
                PipeBench.Reap(echo);
            }
        }

        yield return PipeBench.Latency(Name, times, new() { ["cpus"] = "0", ["cpus_seen_by_worker"] = cpusSeen });
    }

    private static void Ping(Connection<int> c, Connection<byte[]> results)
    {
        RoundTripTimes t = PipeBench.TimeRoundTrips(c);
        long[] all =
        [
            Environment.ProcessorCount, BitConverter.DoubleToInt64Bits(t.Seconds), BitConverter.DoubleToInt64Bits(t.ColdMedianUs),
            BitConverter.DoubleToInt64Bits(t.ColdP99Us), t.ColocatedWaits ?? 0, .. t.SortedRtt,
        ];
        results.SendBytes(MemoryMarshal.AsBytes(all.AsSpan()));
        results.Close();
    }
}
