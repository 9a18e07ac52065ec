using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Multiprocessing.Tests.Pipes;

/// <summary>Authentication and hostile input on the socket transport.</summary>
public sealed class SocketSecurityTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly ConnectionOptions Keyed = new() { AuthKey = "the right key"u8.ToArray(), HandshakeTimeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public void Same_key_on_both_sides_connects()
    {
        var (c, s) = SocketPairs.Connect<string>(SocketPairs.NewUnixEndPoint(), Keyed);
        using (c)
        using (s)
        {
            c.Send("hi");
            Assert.Equal("hi", s.Receive());
        }
    }

    [Theory]
    [InlineData("wrong key")]
    [InlineData(null)]
    public void A_client_with_a_wrong_or_missing_key_is_refused_on_both_sides(string? clientKey)
    {
        using Listener listener = Listener.Create(SocketPairs.NewUnixEndPoint(), Keyed);
        Task<Connection<int>> accept = Task.Run(() => listener.Accept<int>());
        ConnectionOptions clientOptions = new() { AuthKey = clientKey is null ? null : System.Text.Encoding.UTF8.GetBytes(clientKey) };
        Assert.Throws<AuthenticationException>(() => Client.Connect<int>(listener.Address, clientOptions));
        AggregateException e = Assert.Throws<AggregateException>(() => accept.Wait(Patience));
        Assert.IsType<AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task A_client_with_a_key_refuses_a_listener_that_does_not_authenticate()
    {
        // A client that holds a key must not talk to a listener that cannot prove it holds it too.
        using Listener listener = Listener.Create(SocketPairs.NewUnixEndPoint(), new ConnectionOptions());
        Task<Connection<int>> accept = Task.Run(() => listener.Accept<int>());
        Assert.Throws<AuthenticationException>(() => Client.Connect<int>(listener.Address, Keyed));
        using Connection<int> accepted = await accept.WaitAsync(Patience);
        Assert.Throws<EndOfStreamException>(() => accepted.TryReceive(out _, Patience));
    }

    [Fact]
    public void A_silent_client_fails_the_handshake_after_the_timeout()
    {
        ConnectionOptions quick = new() { AuthKey = "k"u8.ToArray(), HandshakeTimeout = TimeSpan.FromMilliseconds(200) };
        using Listener listener = Listener.Create(new IPEndPoint(IPAddress.Loopback, 0), quick);
        using Socket raw = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        raw.Connect(listener.Address);
        Assert.Throws<AuthenticationException>(() => listener.Accept<int>());
    }

    [Fact]
    public void An_oversized_frame_closes_the_connection_without_allocating_it()
    {
        ConnectionOptions small = new() { MaxMessageSize = 1024 };
        using RawPeer peer = RawPeer.Start(small);
        peer.Raw.Send(Header(0, int.MaxValue));
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => peer.Connection.TryReceiveBytes(out _, Patience));
        Assert.Contains("limit", e.Message, StringComparison.Ordinal);
        Assert.True(peer.Connection.IsClosed);
        Assert.Throws<ArgumentOutOfRangeException>(() => Client.Connect<byte[]>(new IPEndPoint(IPAddress.Loopback, 1), new ConnectionOptions { MaxMessageSize = 0 }));
    }

    [Fact]
    public void A_send_over_the_limit_is_refused_before_anything_is_written()
    {
        ConnectionOptions small = new() { MaxMessageSize = 1024 };
        var (c, s) = SocketPairs.Connect<byte[]>(new IPEndPoint(IPAddress.Loopback, 0), small);
        using (c)
        using (s)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => c.SendBytes(new byte[2000]));
            c.SendBytes(new byte[1000]);
            Assert.Equal(1000, s.ReceiveBytes().Length);
        }
    }

    [Fact]
    public void A_truncated_frame_reads_as_a_broken_stream()
    {
        using RawPeer peer = RawPeer.Start(null);
        peer.Raw.Send([.. Header(0, 100), .. new byte[40]]);
        peer.Raw.Shutdown(SocketShutdown.Both);
        EndOfStreamException e = Assert.Throws<EndOfStreamException>(() => peer.Connection.TryReceiveBytes(out _, Patience));
        Assert.Contains("middle of a frame", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_closes_the_connection_with_a_clear_error()
    {
        using RawPeer peer = RawPeer.Start(null);
        peer.Raw.Send("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => peer.Connection.TryReceiveBytes(out _, Patience));
        Assert.Contains("frame header", e.Message, StringComparison.Ordinal);
        Assert.True(peer.Connection.IsClosed);
    }

    [Fact]
    public void Fuzz_random_bytes_never_hang_or_crash_the_receiver()
    {
        // Bounded in time: random streams, random frame headers with random lengths, random truncation.
        Random rng = new(12345);
        Stopwatch sw = Stopwatch.StartNew();
        int rounds = 0;
        while (sw.Elapsed < TimeSpan.FromSeconds(3) && rounds < 300)
        {
            rounds++;
            using RawPeer peer = RawPeer.Start(new ConnectionOptions { MaxMessageSize = 4096, FrameTimeout = TimeSpan.FromMilliseconds(200) });
            byte[] data;
            switch (rng.Next(3))
            {
                case 0:
                    data = new byte[rng.Next(1, 64)];
                    rng.NextBytes(data);
                    break;
                case 1:
                    data = [.. Header((byte)rng.Next(6), rng.Next(-10, 10_000)), .. new byte[rng.Next(0, 200)]];
                    break;
                default:
                    data = [.. Header(0, 16), .. new byte[16], .. Header(0, rng.Next()), .. new byte[rng.Next(0, 20)]];
                    break;
            }

            peer.Raw.Send(data);
            if (rng.Next(2) == 0)
            {
                peer.Raw.Shutdown(SocketShutdown.Send);
            }

            Exception? e = null;
            try
            {
                for (int i = 0; i < 10; i++)
                {
                    if (!peer.Connection.TryReceiveBytes(out byte[]? got, TimeSpan.FromMilliseconds(300)))
                    {
                        break;
                    }

                    Assert.True(got.Length <= 4096);
                }
            }
            catch (Exception ex)
            {
                e = ex;
            }

            Assert.True(e is null or IOException or InvalidDataException, $"round {rounds}: unexpected {e}");
        }

        Assert.True(rounds > 10);
    }

    private static byte[] Header(byte kind, int length)
    {
        byte[] h = [(byte)'M', (byte)'P', 1, kind, 0, 0, 0, 0];
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(4), length);
        return h;
    }

    /// <summary>A real Client connection whose listener side is a raw socket that speaks the (no-key) hello and then anything the test writes.</summary>
    private sealed class RawPeer : IDisposable
    {
        private readonly Socket _listen;

        private RawPeer(Socket listen, Socket raw, Connection<byte[]> connection)
        {
            _listen = listen;
            Raw = raw;
            Connection = connection;
        }

        internal Socket Raw { get; }

        internal Connection<byte[]> Connection { get; }

        internal static RawPeer Start(ConnectionOptions? options)
        {
            Socket listen = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listen.Listen(1);
            Task<Socket> accept = listen.AcceptAsync();
            Task<Connection<byte[]>> connect = Task.Run(() => Client.Connect<byte[]>(listen.LocalEndPoint!, options));
            Assert.True(accept.Wait(Patience));
            Socket raw = accept.Result;
            byte[] hello = [.. "MPNET-CONNECTION-1"u8, 0];
            raw.Send([.. Header(1, hello.Length), .. hello]);
            Assert.True(connect.Wait(Patience));
            return new RawPeer(listen, raw, connect.Result);
        }

        public void Dispose()
        {
            Connection.Dispose();
            Raw.Dispose();
            _listen.Dispose();
        }
    }
}
