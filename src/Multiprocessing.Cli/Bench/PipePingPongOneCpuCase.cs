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
        double seconds;
        long[] rtt;
        (double, double) cold;
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
                seconds = BitConverter.Int64BitsToDouble(all[1]);
                cold = (BitConverter.Int64BitsToDouble(all[2]), BitConverter.Int64BitsToDouble(all[3]));
                rtt = all[4..];
                PipeBench.Reap(pinger);
                PipeBench.Reap(echo);
            }
        }

        yield return PipeBench.Latency(Name, seconds, rtt, cold, new() { ["cpus"] = "0", ["cpus_seen_by_worker"] = cpusSeen });
    }

    private static void Ping(Connection<int> c, Connection<byte[]> results)
    {
        (double seconds, long[] rtt, (double MedianUs, double P99Us) cold) = PipeBench.TimeRoundTrips(c);
        long[] all = [Environment.ProcessorCount, BitConverter.DoubleToInt64Bits(seconds), BitConverter.DoubleToInt64Bits(cold.MedianUs), BitConverter.DoubleToInt64Bits(cold.P99Us), .. rtt];
        results.SendBytes(MemoryMarshal.AsBytes(all.AsSpan()));
        results.Close();
    }
}
