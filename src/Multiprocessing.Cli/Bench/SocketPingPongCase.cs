using System.Net.Sockets;
using System.Security.Cryptography;

namespace Multiprocessing.Cli.Bench;

/// <summary>
/// mp_counterpart.py's socket_pingpong: the pipe_pingpong loop over Listener / Client on a Unix domain socket,
/// authenticated with a 16-byte key.
/// </summary>
internal sealed class SocketPingPongCase : IBenchCase
{
    public string Name => "socket_pingpong";

    public IReadOnlyList<string> ResultNames => [Name];

    public string? PythonCase => Name;

    public IEnumerable<BenchResult> Run()
    {
        byte[] key = RandomNumberGenerator.GetBytes(16);
        string path = Path.Combine(Path.GetTempPath(), $"mp-bench-{Environment.ProcessId}.sock");
        RoundTripTimes r;
        using (Listener listener = Listener.Create(new UnixDomainSocketEndPoint(path), new ConnectionOptions { AuthKey = key }))
        using (WorkerProcess echo = WorkerProcess.Start(static (string p, byte[] k) =>
        {
            using Connection<int> c = Client.Connect<int>(new UnixDomainSocketEndPoint(p), new ConnectionOptions { AuthKey = k });
            PipeBench.Echo(c);
        }, path, key))
        {
            using (Connection<int> conn = listener.Accept<int>())
            {
                r = PipeBench.TimeRoundTrips(conn);
            }

            PipeBench.Reap(echo);
        }

        yield return PipeBench.Latency(Name, r, new() { ["family"] = "AF_UNIX", ["authkey"] = true });
    }
}
