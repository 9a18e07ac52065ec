using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>Settings for socket connections made by <see cref="Listener"/> and <see cref="Client"/>.</summary>
public sealed class ConnectionOptions
{
    /// <summary>The default for <see cref="MaxMessageSize"/>: 64 MiB.</summary>
    public const int DefaultMaxMessageSize = 64 << 20;

    /// <summary>The shared defaults: no authentication key, 64 MiB messages, a 10 s handshake.</summary>
    public static ConnectionOptions Default { get; } = new();

    /// <summary>
    /// The shared secret (Python's <c>authkey</c>). When set, each side proves it knows the key with an HMAC-SHA256
    /// challenge-response in both directions, and a peer with another key or none is refused with an
    /// <see cref="System.Security.Authentication.AuthenticationException"/>. Both sides must set the same key, or
    /// neither. The default is null (no authentication: use it only between processes you trust on a private network).
    /// </summary>
    public byte[]? AuthKey { get; init; }

    /// <summary>
    /// The largest message accepted, in bytes; a larger frame closes the connection with an
    /// <see cref="InvalidDataException"/> before anything is allocated for it, and a larger send is refused.
    /// The default is <see cref="DefaultMaxMessageSize"/>.
    /// </summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>How long the connection handshake (and authentication) may take. The default is 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the rest of a message may take to arrive once its first bytes have, before the connection is closed
    /// as stalled. The default is 30 seconds.
    /// </summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How messages are serialized. The default needs no configuration.</summary>
    public MessageSerializerOptions? Serializer { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxMessageSize, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FrameTimeout, TimeSpan.Zero, nameof(FrameTimeout));
        if (AuthKey is { Length: 0 })
        {
            throw new ArgumentException("The authentication key is empty; use at least 16 random bytes, or null for no authentication.", nameof(AuthKey));
        }
    }
}
