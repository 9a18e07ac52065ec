using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Multiprocessing.Tests.Pipes;

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
