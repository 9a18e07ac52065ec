using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Multiprocessing.Pipes;

namespace Multiprocessing;

/// <summary>
/// Accepts connections from <see cref="Client.Connect{T}"/> over TCP or a Unix domain socket (Python's
/// <c>multiprocessing.connection.Listener</c>). Each accepted socket is a <see cref="Connection{T}"/> with the
/// same API as a pipe end. With <see cref="ConnectionOptions.AuthKey"/> set, a client that does not prove it holds
/// the key is refused.
/// </summary>
public sealed class Listener : IDisposable
{
    private readonly Socket _socket;
    private readonly ConnectionOptions _options;
    private readonly string? _unixPath;

    private Listener(Socket socket, ConnectionOptions options, string? unixPath)
    {
        _socket = socket;
        _options = options;
        _unixPath = unixPath;
        Address = socket.LocalEndPoint!;
    }

    /// <summary>
    /// Listens on <paramref name="endpoint"/>: an <see cref="IPEndPoint"/> (port 0 picks a free port; read it back from
    /// <see cref="Address"/>) or a <see cref="UnixDomainSocketEndPoint"/> (the socket file is created, and removed on dispose).
    /// </summary>
    /// <param name="endpoint">Where to listen.</param>
    /// <param name="options">Key, message limit and timeouts; the default has no key.</param>
    /// <param name="backlog">Connections the system queues before <see cref="Accept{T}"/> takes them.</param>
    public static Listener Create(EndPoint endpoint, ConnectionOptions? options = null, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= ConnectionOptions.Default;
        options.Validate();
        Socket socket = SocketFactory.For(endpoint);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new Listener(socket, options, (endpoint as UnixDomainSocketEndPoint)?.ToString());
    }

    /// <summary>The address clients connect to (with the actual port when port 0 was asked for).</summary>
    public EndPoint Address { get; }

    /// <summary>Waits for the next client and completes the handshake (Python's <c>accept</c>).</summary>
    /// <exception cref="AuthenticationException">The client did not prove it holds the key (or gave one when none is set); its socket is closed.</exception>
    public Connection<T> Accept<T>()
    {
        Socket client = _socket.Accept();
        return Handshake<T>(client);
    }

    /// <summary>Waits for the next client without blocking a thread, then completes the handshake.</summary>
    /// <exception cref="AuthenticationException">The client did not prove it holds the key; its socket is closed.</exception>
    public async ValueTask<Connection<T>> AcceptAsync<T>(CancellationToken ct = default)
    {
        Socket client = await _socket.AcceptAsync(ct).ConfigureAwait(false);
        return Handshake<T>(client);
    }

    private Connection<T> Handshake<T>(Socket client)
    {
        SocketFactory.Tune(client);
        SocketTransport transport = new(client, _options, $"socket connection from {Describe(client.RemoteEndPoint)} to {Address}");
        Pipes.Handshake.AsListener(transport, _options);
        return new Connection<T>(transport, _options.Serializer);
    }

    private static string Describe(EndPoint? e) => e is null or UnixDomainSocketEndPoint ? "a local process" : e.ToString()!;

    /// <summary>Stops listening; connections already accepted stay open.</summary>
    public void Dispose()
    {
        _socket.Dispose();
        if (_unixPath is { Length: > 0 } path && path[0] != '\0')
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
