using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's pipe_stream: 200 000 ints one way (pipe_stream_small), and 2 000 × 1 MiB with SendBytes /
/// ReceiveBytes (pipe_stream_1m), over a one-way pipe to a sink worker that reports when it has everything.
/// The clock starts at the first send and stops at the sink's last receive (Stopwatch is CLOCK_MONOTONIC, one
/// clock for every process).
/// <para>
/// JIT warm-up, as in the other value cases (<see cref="BenchWorkers.WarmUp"/>): on the same pipe and the same sink,
/// the case first runs one whole pass cold (its time is reported as <c>cold_seconds</c>: a fresh .NET process runs its
/// first ~100 000 messages in unoptimised code, which dominates a pass this short), then warm-up passes for at least
/// 300 ms, then the timed pass. CPython's counterpart times its first and only pass, as mp_bench.py does. pipe_stream_1m
/// also reports <c>recv_into_mb_per_s</c>: the same 2 000 MiB received with ReceiveBytesInto into one buffer (the
/// allocation-free API, as queue_bytes uses), which tells the pipe's own throughput apart from the cost of allocating a
/// fresh 1 MiB array per message (a large-object-heap allocation that triggers a gen 2 collection every few messages).
/// </para>
/// </summary>
internal sealed class PipeStreamCase : IBenchCase
{
    private const int SmallN = 200_000;
    private const int BigN = 2_000;
    private const int Mib = 1 << 20;

    /// <summary>Messages per warm-up pass: enough for the loops to be promoted, short enough for 100 passes.</summary>
    private const int SmallWarmupPass = 2_000;
    private const int BigWarmupPass = 4;

    public string Name => "pipe_stream";

    public IReadOnlyList<string> ResultNames => ["pipe_stream_small", "pipe_stream_1m"];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        using (Sink small = new(raw: false))
        {
            double cold = small.Pass(SmallN, Mode.Receive).Seconds;
            BenchWorkers.WarmUp(() => small.Pass(SmallWarmupPass, Mode.Receive));
            double secs = small.Pass(SmallN, Mode.Receive).Seconds;
            yield return new BenchResult
            {
                Name = "pipe_stream_small",
                Params = new() { ["api"] = "send/recv", ["payload"] = "int", ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds },
                Count = SmallN,
                Seconds = secs,
                RateUnit = "msgs/s",
                Extra = new() { ["cold_seconds"] = Math.Round(cold, 6) },
            };
        }

        using (Sink big = new(raw: true))
        {
            double cold = big.Pass(BigN, Mode.Receive).Seconds;
            BenchWorkers.WarmUp(() => big.Pass(BigWarmupPass, Mode.Receive));
            (double secs, long bytes) = big.Pass(BigN, Mode.Receive);
            (double intoSecs, long intoBytes) = big.Pass(BigN, Mode.ReceiveInto);
            yield return new BenchResult
            {
                Name = "pipe_stream_1m",
                Params = new() { ["api"] = "send_bytes/recv_bytes", ["payload_bytes"] = Mib, ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds },
                Count = BigN,
                Seconds = secs,
                RateUnit = "msgs/s",
                MbPerS = Math.Round(bytes / secs / 1e6, 1),
                Extra = new()
                {
                    ["bytes"] = bytes,
                    ["cold_seconds"] = Math.Round(cold, 6),
                    ["recv_into_mb_per_s"] = Math.Round(intoBytes / intoSecs / 1e6, 1),
                },
            };
        }
    }

    private enum Mode
    {
        Receive,
        ReceiveInto,
    }

    /// <summary>A sink worker on a one-way pipe, told by a control pipe how many messages each pass has.</summary>
    private sealed class Sink : IDisposable
    {
        private readonly bool _raw;
        private readonly Connection<int> _writer;
        private readonly Connection<int> _control;
        private readonly Connection<long> _results;
        private readonly WorkerProcess _worker;
        private readonly byte[] _payload = [];

        internal Sink(bool raw)
        {
            _raw = raw;
            var (reader, writer) = Pipe.CreateOneWay<int>();
            var (controlReader, control) = Pipe.CreateOneWay<int>();
            var (results, resultsWriter) = Pipe.CreateOneWay<long>();
            _writer = writer;
            _control = control;
            _results = results;
            _worker = WorkerProcess.Start(static (Connection<int> r, Connection<int> c, Connection<long> res, bool bytes) => Receive(r, c, res, bytes), reader, controlReader, resultsWriter, raw);
            reader.Close();
            controlReader.Close();
            resultsWriter.Close();
            if (!_results.TryReceive(out _, PipeBench.Patience))
            {
                _worker.Kill();
                throw new TimeoutException("The sink worker did not get ready within 2 minutes.");
            }

            if (raw)
            {
                _payload = new byte[Mib];
                Random.Shared.NextBytes(_payload);
            }
        }

        /// <summary>Sends <paramref name="n"/> messages; returns the time from the first send to the sink's last receive, and the bytes it counted.</summary>
        internal (double Seconds, long Bytes) Pass(int n, Mode mode)
        {
            _control.Send(mode == Mode.ReceiveInto ? -n : n);
            long t0 = Stopwatch.GetTimestamp();
            if (_raw)
            {
                for (int i = 0; i < n; i++)
                {
                    _writer.SendBytes(_payload);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    _writer.Send(i);
                }
            }

            if (!_results.TryReceive(out long t1, PipeBench.Patience) || !_results.TryReceive(out long bytes, PipeBench.Patience))
            {
                _worker.Kill();
                throw new TimeoutException("The sink worker did not finish within 2 minutes.");
            }

            if (_raw && bytes != (long)n * Mib)
            {
                throw new InvalidOperationException($"The sink received {bytes} bytes, not {(long)n * Mib}.");
            }

            return ((t1 - t0) / (double)Stopwatch.Frequency, bytes);
        }

        public void Dispose()
        {
            try
            {
                try
                {
                    _control.Send(0);
                }
                catch (ConnectionBrokenException)
                {
                    // The sink is gone already (killed after a timeout): Reap reports how it ended.
                }

                PipeBench.Reap(_worker);
            }
            finally
            {
                _worker.Dispose();
                _writer.Dispose();
                _control.Dispose();
                _results.Dispose();
            }
        }

        /// <summary>
        /// In the worker: per pass, reads the count from the control pipe (0: stop; negative: receive with ReceiveBytesInto
        /// into one buffer), receives that many messages, reports the time of the last receive and the bytes.
        /// </summary>
        private static void Receive(Connection<int> r, Connection<int> control, Connection<long> results, bool raw)
        {
            results.Send(0);
            byte[] buffer = raw ? new byte[Mib] : [];
            int order;
            while ((order = control.Receive()) != 0)
            {
                bool into = order < 0;
                int n = Math.Abs(order);
                long bytes = 0;
                for (int i = 0; i < n; i++)
                {
                    if (into)
                    {
                        bytes += r.ReceiveBytesInto(buffer);
                    }
                    else if (raw)
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
    }
}
