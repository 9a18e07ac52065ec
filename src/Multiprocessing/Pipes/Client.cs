using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Multiprocessing.Pipes;

namespace Multiprocessing;

/// <summary>Connects to a <see cref="Listener"/> (Python's <c>multiprocessing.connection.Client</c>).</summary>
public static class Client
{
    /// <summary>Connects to the listener at <paramref name="endpoint"/> and completes the handshake.</summary>
    /// <param name="endpoint">An <see cref="IPEndPoint"/>, <see cref="DnsEndPoint"/> or <see cref="UnixDomainSocketEndPoint"/>.</param>
    /// <param name="options">Must carry the listener's key if it has one.</param>
    /// <exception cref="AuthenticationException">The listener refused this side's key, or requires one that was not given.</exception>
    /// <exception cref="SocketException">Nobody listens there.</exception>
    public static Connection<T> Connect<T>(EndPoint endpoint, ConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= ConnectionOptions.Default;
        options.Validate();
        Socket socket = SocketFactory.For(endpoint);
        try
        {
            socket.Connect(endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return Handshake<T>(socket, endpoint, options);
    }

    /// <summary>Connects without blocking a thread while the connection is set up, then completes the handshake.</summary>
    /// <exception cref="AuthenticationException">The listener refused this side's key, or requires one that was not given.</exception>
    public static async ValueTask<Connection<T>> ConnectAsync<T>(EndPoint endpoint, ConnectionOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= ConnectionOptions.Default;
        options.Validate();
        Socket socket = SocketFactory.For(endpoint);
        try
        {
            await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return Handshake<T>(socket, endpoint, options);
    }

    private static Connection<T> Handshake<T>(Socket socket, EndPoint endpoint, ConnectionOptions options)
    {
        SocketFactory.Tune(socket);
        SocketTransport transport = new(socket, options, $"socket connection to {endpoint}");
        Pipes.Handshake.AsClient(transport, options);
        return new Connection<T>(transport, options.Serializer);
    }
}
