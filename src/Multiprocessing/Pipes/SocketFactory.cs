using System.Net;
using System.Net.Sockets;

namespace Multiprocessing.Pipes;

/// <summary>Makes the stream socket that suits an endpoint.</summary>
internal static class SocketFactory
{
    internal static Socket For(EndPoint endpoint) => endpoint switch
    {
        UnixDomainSocketEndPoint => new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified),
        IPEndPoint ip => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp),
        DnsEndPoint => new Socket(SocketType.Stream, ProtocolType.Tcp),
        _ => throw new ArgumentException($"A {endpoint.GetType().Name} is not supported; use an IPEndPoint, a DnsEndPoint or a UnixDomainSocketEndPoint.", nameof(endpoint)),
    };

    /// <summary>Messages are small and latency matters: no Nagle delay on TCP.</summary>
    internal static void Tune(Socket socket)
    {
        if (socket.ProtocolType == ProtocolType.Tcp)
        {
            socket.NoDelay = true;
        }
    }
}
