using System.Diagnostics;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_bench.py's pipe_stream: 200 000 ints one way (pipe_stream_small), and 2 000 × 1 MiB with SendBytes /
/// ReceiveBytes (pipe_stream_1m), over a one-way pipe to a sink worker that reports when it has everything.
/// The clock starts at the first send and stops at the sink's last receive (Stopwatch is CLOCK_MONOTONIC, one
/// clock for every process).
/// <para>
/// JIT warm-up, as the queue cases do it (<see cref="RoundGate"/>): on the same pipe and the same sink, the case first
/// times one whole pass cold (reported as <c>cold_seconds</c>: a fresh .NET process runs its first few hundred
/// milliseconds of this loop in unoptimised code, and measured here the first ~8 passes of 200 000 ints ran at ~4 M msg/s
/// against 9–15 M after tier-up), then untimed warm-up passes for at least 300 ms and until the JIT of both processes has
/// been quiet for 300 ms (at most 4 s), then <see cref="WarmSchedule.TimedPasses"/> timed passes; the result is their median, and every
/// timed pass is listed in <c>timed_round_seconds</c>. CPython's counterpart times its first and only pass, as
/// mp_bench.py does. pipe_stream_1m also reports <c>recv_into_mb_per_s</c>: one pass of the same 2 000 MiB received with
/// ReceiveBytesInto into one buffer (the allocation-free API, as queue_bytes uses), which tells the pipe's own throughput
/// apart from the cost of allocating a fresh 1 MiB array per message (a large-object-heap allocation: measured here in
/// one process without any pipe, allocating and filling 1 MiB arrays runs at ~2.6–3.2 GB/s, with a gen 2 collection
/// every ~4 arrays); and <c>recv_pooled_mb_per_s</c>, one pass received with ReceiveBytesPooled (a buffer rented from
/// the shared pool per message, given back after reading its length).
/// </para>
/// </summary>
internal sealed class PipeStreamCase : IBenchCase
{
    private const int SmallN = 200_000;
    private const int BigN = 2_000;
    private const int Mib = 1 << 20;

    /// <summary>Messages per warm-up pass.</summary>
    private const int SmallWarmupPass = 20_000;
    private const int BigWarmupPass = 50;

    public string Name => "pipe_stream";

    public IReadOnlyList<string> ResultNames => ["pipe_stream_small", "pipe_stream_1m"];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        using (Sink small = new(raw: false))
        {
            Passes<double> r = small.Measure(SmallN, SmallWarmupPass);
            yield return new BenchResult
            {
                Name = "pipe_stream_small",
                Params = new() { ["api"] = "send/recv", ["payload"] = "int", ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds },
                Count = SmallN,
                Seconds = r.Median,
                RateUnit = "msgs/s",
                Extra = r.Extra(),
            };
        }

        using (Sink big = new(raw: true))
        {
            Passes<double> r = big.Measure(BigN, BigWarmupPass);
            (double intoSecs, long intoBytes) = big.Pass(BigN, Mode.ReceiveInto);
            (double pooledSecs, long pooledBytes) = big.Pass(BigN, Mode.ReceivePooled);
            long bytes = (long)BigN * Mib;
            Dictionary<string, object?> extra = r.Extra();
            extra["bytes"] = bytes;
            extra["recv_into_mb_per_s"] = Math.Round(intoBytes / intoSecs / 1e6, 1);
            extra["recv_pooled_mb_per_s"] = Math.Round(pooledBytes / pooledSecs / 1e6, 1);
            yield return new BenchResult
            {
                Name = "pipe_stream_1m",
                Params = new() { ["api"] = "send_bytes/recv_bytes", ["payload_bytes"] = Mib, ["jit_warmup_ms"] = BenchWorkers.JitWarmup.TotalMilliseconds },
                Count = BigN,
                Seconds = r.Median,
                RateUnit = "msgs/s",
                MbPerS = Math.Round(bytes / r.Median / 1e6, 1),
                Extra = extra,
            };
        }
    }

    private enum Mode
    {
        Receive,
        ReceiveInto,
        ReceivePooled,
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

        private static readonly bool s_verbose = Environment.GetEnvironmentVariable("MP_BENCH_ROUNDS") is not null;

        /// <summary>The sink's time in the JIT as of its last pass (Ticks).</summary>
        private long _sinkJitTicks;

        /// <summary>A cold pass of <paramref name="n"/>, warm-up passes of <paramref name="warmupN"/> until the JIT is quiet, then the timed passes (<see cref="WarmSchedule"/>).</summary>
        internal Passes<double> Measure(int n, int warmupN) => WarmSchedule.Run(
            () => Pass(n, Mode.Receive).Seconds,
            x => x,
            JitTicks,
            () =>
            {
                double seconds = Pass(warmupN, Mode.Receive).Seconds;
                if (s_verbose)
                {
                    Console.Error.WriteLine(FormattableString.Invariant(
                        $"# warm-up pass: JIT parent {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F1} ms, sink {TimeSpan.FromTicks(_sinkJitTicks).TotalMilliseconds:F1} ms"));
                }

                return seconds;
            });

        private long JitTicks() => System.Runtime.JitInfo.GetCompilationTime().Ticks + _sinkJitTicks;

        /// <summary>Sends <paramref name="n"/> messages; returns the time from the first send to the sink's last receive, and the bytes it counted.</summary>
        internal (double Seconds, long Bytes) Pass(int n, Mode mode)
        {
            _control.Send((int)mode);
            _control.Send(n);
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

            if (!_results.TryReceive(out long t1, PipeBench.Patience) || !_results.TryReceive(out long bytes, PipeBench.Patience)
                || !_results.TryReceive(out _sinkJitTicks, PipeBench.Patience))
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
                    _control.Send(-1);
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
        /// In the worker: per pass, reads the mode (-1: stop) and the count from the control pipe, receives that many
        /// messages (ReceiveBytes, ReceiveBytesInto one buffer, or ReceiveBytesPooled), reports the time of the last
        /// receive, the bytes and its JIT time.
        /// </summary>
        private static void Receive(Connection<int> r, Connection<int> control, Connection<long> results, bool raw)
        {
            results.Send(0);
            byte[] buffer = raw ? new byte[Mib] : [];
            int order;
            while ((order = control.Receive()) >= 0)
            {
                Mode mode = (Mode)order;
                int n = control.Receive();
                long bytes = 0;
                for (int i = 0; i < n; i++)
                {
                    if (mode == Mode.ReceiveInto)
                    {
                        bytes += r.ReceiveBytesInto(buffer);
                    }
                    else if (mode == Mode.ReceivePooled)
                    {
                        using System.Buffers.IMemoryOwner<byte> m = r.ReceiveBytesPooled();
                        bytes += m.Memory.Length;
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
                results.Send(System.Runtime.JitInfo.GetCompilationTime().Ticks);
            }
        }
    }
}
