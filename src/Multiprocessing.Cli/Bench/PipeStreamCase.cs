using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's pipe_stream: 200 000 ints one way (pipe_stream_small), and 2 000 × 1 MiB with SendBytes /
/// ReceiveBytes (pipe_stream_1m), over a one-way pipe to a sink worker that reports when it has everything.
/// The clock starts at the first send and stops at the sink's last receive (Stopwatch is CLOCK_MONOTONIC, one
/// clock for every process).
/// </summary>
internal sealed class PipeStreamCase : IBenchCase
{
    private const int SmallN = 200_000;
    private const int BigN = 2_000;
    private const int Mib = 1 << 20;

    public string Name => "pipe_stream";

    public IReadOnlyList<string> ResultNames => ["pipe_stream_small", "pipe_stream_1m"];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        (double secs, long bytes) = Stream(raw: false, SmallN);
        yield return new BenchResult
        {
            Name = "pipe_stream_small",
            Params = new() { ["api"] = "send/recv", ["payload"] = "int" },
            Count = SmallN,
            Seconds = secs,
            RateUnit = "msgs/s",
        };

        (secs, bytes) = Stream(raw: true, BigN);
        yield return new BenchResult
        {
            Name = "pipe_stream_1m",
            Params = new() { ["api"] = "send_bytes/recv_bytes", ["payload_bytes"] = Mib },
            Count = BigN,
            Seconds = secs,
            RateUnit = "msgs/s",
            MbPerS = Math.Round(bytes / secs / 1e6, 1),
            Extra = new() { ["bytes"] = bytes },
        };
    }

    private static (double Seconds, long Bytes) Stream(bool raw, int n)
    {
        var (reader, writer) = Pipe.CreateOneWay<int>();
        var (results, resultsWriter) = Pipe.CreateOneWay<long>();
        using (writer)
        using (results)
        using (WorkerProcess sink = WorkerProcess.Start(static (Connection<int> r, Connection<long> res, int count, bool bytes) => Sink(r, res, count, bytes), reader, resultsWriter, n, raw))
        {
            reader.Close();
            resultsWriter.Close();
            if (!results.TryReceive(out _, PipeBench.Patience))
            {
                sink.Kill();
                throw new TimeoutException("The sink worker did not get ready within 2 minutes.");
            }

            long t0;
            if (raw)
            {
                byte[] buf = new byte[Mib];
                Random.Shared.NextBytes(buf);
                t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    writer.SendBytes(buf);
                }
            }
            else
            {
                t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    writer.Send(i);
                }
            }

            if (!results.TryReceive(out long t1, PipeBench.Patience) || !results.TryReceive(out long bytes, PipeBench.Patience))
            {
                sink.Kill();
                throw new TimeoutException("The sink worker did not finish within 2 minutes.");
            }

            PipeBench.Reap(sink);
            if (raw && bytes != (long)n * Mib)
            {
                throw new InvalidOperationException($"The sink received {bytes} bytes, not {(long)n * Mib}.");
            }

            return ((t1 - t0) / (double)Stopwatch.Frequency, bytes);
        }
    }

    private static void Sink(Connection<int> r, Connection<long> results, int n, bool raw)
    {
        results.Send(0);
        long bytes = 0;
        for (int i = 0; i < n; i++)
        {
            if (raw)
            {
                bytes += r.ReceiveBytes().Length;
            }
            else
            {
                _ = r.Receive();
            }
        }

        results.Send(Stopwatch.GetTimestamp());
        results.Send(bytes);
    }
}
