using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Multiprocessing.Tests.Pipes;

/// <summary>The contract over a Unix domain socket with authentication.</summary>
public sealed class UnixSocketConnectionTests : ConnectionContractTests
{
    protected override (Connection<T> A, Connection<T> B) Connect<T>() =>
        SocketPairs.Connect<T>(SocketPairs.NewUnixEndPoint(), new ConnectionOptions { AuthKey = "secret key"u8.ToArray() });
}

/// <summary>The contract over TCP on the loopback, without a key.</summary>
public sealed class TcpConnectionTests : ConnectionContractTests
{
    protected override (Connection<T> A, Connection<T> B) Connect<T>() =>
        SocketPairs.Connect<T>(new IPEndPoint(IPAddress.Loopback, 0), null);
}

internal static class SocketPairs
{
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    internal static UnixDomainSocketEndPoint NewUnixEndPoint() =>
        new(Path.Combine(Path.GetTempPath(), $"mp-test-{Environment.ProcessId}-{Guid.NewGuid():N}.sock"));

    /// <summary>A connected (client, accepted) pair; the listener is closed once the pair exists.</summary>
    internal static (Connection<T> Client, Connection<T> Server) Connect<T>(EndPoint endpoint, ConnectionOptions? options)
    {
        using Listener listener = Listener.Create(endpoint, options);
        Task<Connection<T>> accept = Task.Run(() => listener.Accept<T>());
        Connection<T> client = Client.Connect<T>(listener.Address, options);
        Assert.True(accept.Wait(Patience), "Accept did not complete");
        return (client, accept.Result);
    }
}
