using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;

namespace Multiprocessing.Pipes;

/// <summary>
/// The socket connection handshake. The listener sends a hello that says whether it requires a key. With a key,
/// each side then challenges the other with 32 random bytes and checks the HMAC-SHA256 answer in constant time
/// (<see cref="CryptographicOperations.FixedTimeEquals"/>), listener first. The two directions hash different
/// labels, so an answer cannot be reflected back as the other side's. A failed check sends a failure frame, closes
/// the socket and throws <see cref="AuthenticationException"/> on both sides. Handshake frames are at most 64 bytes.
/// </summary>
internal static class Handshake
{
    private const int FrameLimit = 64;
    private const int ChallengeSize = 32;
    private static readonly byte[] s_hello = Encoding.ASCII.GetBytes("MPNET-CONNECTION-1");
    private static readonly byte[] s_listenerLabel = Encoding.ASCII.GetBytes("listener-challenge:");
    private static readonly byte[] s_clientLabel = Encoding.ASCII.GetBytes("client-challenge:");

    internal static void AsListener(SocketTransport t, ConnectionOptions options)
    {
        Run(t, options, () =>
        {
            bool auth = options.AuthKey is not null;
            byte[] hello = [.. s_hello, auth ? (byte)1 : (byte)0];
            t.SendFrame(SocketTransport.KindHello, hello);
            if (auth)
            {
                Challenge(t, options.AuthKey!, s_listenerLabel, "client");
                Answer(t, options.AuthKey!, s_clientLabel, "client");
            }
        });
    }

    internal static void AsClient(SocketTransport t, ConnectionOptions options)
    {
        Run(t, options, () =>
        {
            ReadOnlySpan<byte> hello = Expect(t, SocketTransport.KindHello, "the listener's hello");
            if (hello.Length != s_hello.Length + 1 || !hello[..s_hello.Length].SequenceEqual(s_hello))
            {
                throw Refused(t, "the listener at the other end is not a Multiprocessing Listener (its hello differs)");
            }

            bool auth = hello[^1] == 1;
            if (auth && options.AuthKey is null)
            {
                throw Refused(t, "the listener requires an authentication key; set ConnectionOptions.AuthKey to the listener's key");
            }

            if (!auth && options.AuthKey is not null)
            {
                throw Refused(t, "the listener does not authenticate, but this client was given a key; give the listener the same ConnectionOptions.AuthKey");
            }

            if (auth)
            {
                Answer(t, options.AuthKey!, s_listenerLabel, "listener");
                Challenge(t, options.AuthKey!, s_clientLabel, "listener");
            }
        });
    }

    private static void Run(SocketTransport t, ConnectionOptions options, Action steps)
    {
        t.SetReceiveTimeout(options.HandshakeTimeout);
        try
        {
            steps();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            t.Close();
            throw new AuthenticationException($"The handshake on the {t.Description} failed ({e.Message}); the peer is not a Multiprocessing endpoint with the same key, or it timed out.", e);
        }

        t.SetReceiveTimeout(null);
    }

    /// <summary>Sends a challenge and checks the peer's answer.</summary>
    private static void Challenge(SocketTransport t, ReadOnlySpan<byte> key, byte[] label, string peer)
    {
        byte[] challenge = RandomNumberGenerator.GetBytes(ChallengeSize);
        t.SendFrame(SocketTransport.KindChallenge, challenge);
        ReadOnlySpan<byte> answer = Expect(t, SocketTransport.KindResponse, $"the {peer}'s answer to the challenge");
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(key, label, challenge, expected);
        if (!CryptographicOperations.FixedTimeEquals(answer, expected))
        {
            t.SendFrame(SocketTransport.KindFailure, []);
            throw Refused(t, $"the {peer} answered the challenge with the wrong key; both sides must use the same ConnectionOptions.AuthKey");
        }

        t.SendFrame(SocketTransport.KindWelcome, []);
    }

    /// <summary>Answers the peer's challenge and waits for its verdict.</summary>
    private static void Answer(SocketTransport t, ReadOnlySpan<byte> key, byte[] label, string peer)
    {
        ReadOnlySpan<byte> challenge = Expect(t, SocketTransport.KindChallenge, $"the {peer}'s challenge");
        if (challenge.Length != ChallengeSize)
        {
            throw Refused(t, $"the {peer}'s challenge is {challenge.Length} bytes, not {ChallengeSize}");
        }

        Span<byte> answer = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(key, label, challenge, answer);
        t.SendFrame(SocketTransport.KindResponse, answer);
        byte verdict = t.ReadFrame(FrameLimit, allowEof: false);
        _ = t.TakePending();
        if (verdict != SocketTransport.KindWelcome)
        {
            throw Refused(t, $"the {peer} refused this side's key; both sides must use the same ConnectionOptions.AuthKey");
        }
    }

    private static void Mac(ReadOnlySpan<byte> key, byte[] label, ReadOnlySpan<byte> challenge, Span<byte> destination)
    {
        byte[] message = [.. label, .. challenge];
        _ = HMACSHA256.HashData(key, message, destination);
    }

    private static ReadOnlySpan<byte> Expect(SocketTransport t, byte kind, string what)
    {
        byte got = t.ReadFrame(FrameLimit, allowEof: false);
        ReadOnlySpan<byte> payload = t.TakePending();
        if (got == SocketTransport.KindFailure)
        {
            throw Refused(t, "the peer refused this side's key; both sides must use the same ConnectionOptions.AuthKey");
        }

        return got == kind ? payload : throw Refused(t, $"expected {what} but got a frame of kind {got}");
    }

    private static AuthenticationException Refused(SocketTransport t, string why)
    {
        t.Close();
        return new AuthenticationException($"The connection on the {t.Description} was refused: {why}. The socket is closed.");
    }
}
