using System.Buffers.Binary;
using System.Net.Sockets;
using Multiprocessing.Internal;

namespace Multiprocessing.Pipes;

/// <summary>
/// A connection over a stream socket (TCP or Unix domain). Every frame is an 8-byte header {'M', 'P', version 1,
/// kind, int32 little-endian length} and the payload. A frame with another magic or version, a length over the
/// limit, or a stream that ends inside a frame closes the connection with a clear error; nothing larger than the
/// limit is ever allocated.
/// </summary>
internal sealed class SocketTransport : ConnectionTransport
{
    internal const int HeaderSize = 8;
    internal const byte KindMessage = 0;
    internal const byte KindHello = 1;
    internal const byte KindChallenge = 2;
    internal const byte KindResponse = 3;
    internal const byte KindWelcome = 4;
    internal const byte KindFailure = 5;
    private const byte Version = 1;
    private const int SmallSend = 4096;

    private readonly Socket _socket;
    private readonly int _maxMessageSize;
    private readonly int _frameTimeoutMs;
    private readonly byte[] _header = new byte[HeaderSize];
    private readonly string _description;
    private byte[]? _sendBuffer;
    private byte[]? _pending;
    private int _pendingLength = -1;
    private bool _eof;
    private int _closed;

    internal SocketTransport(Socket socket, ConnectionOptions options, string description)
    {
        _socket = socket;
        _maxMessageSize = options.MaxMessageSize;
        _frameTimeoutMs = (int)Math.Min(int.MaxValue, options.FrameTimeout.TotalMilliseconds);
        _description = description;
        _socket.ReceiveTimeout = _frameTimeoutMs;
    }

    /// <summary>Sets how long a blocking receive may wait (the handshake uses its own timeout, then restores this one).</summary>
    internal void SetReceiveTimeout(TimeSpan? timeout) =>
        _socket.ReceiveTimeout = timeout is { } t ? (int)Math.Min(int.MaxValue, t.TotalMilliseconds) : _frameTimeoutMs;

    internal override string Description => _description;

    internal override bool CanSend => true;

    internal override bool CanReceive => true;

    internal override bool IsClosed => Volatile.Read(ref _closed) != 0;

    internal override Socket? Socket => _socket;

    internal override void Send(ReadOnlySpan<byte> message)
    {
        ThrowIfClosed();
        if (message.Length > _maxMessageSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(message), message.Length, $"The message is {message.Length} bytes, over the {_description}'s limit of {_maxMessageSize}; raise ConnectionOptions.MaxMessageSize on both sides or send it in parts.");
        }

        SendFrame(KindMessage, message);
    }

    internal void SendFrame(byte kind, ReadOnlySpan<byte> payload)
    {
        try
        {
            if (payload.Length <= SmallSend)
            {
                // One system call for header and payload.
                byte[] buffer = _sendBuffer ??= new byte[HeaderSize + SmallSend];
                WriteHeader(buffer, kind, payload.Length);
                payload.CopyTo(buffer.AsSpan(HeaderSize));
                SendAll(buffer.AsSpan(0, HeaderSize + payload.Length));
            }
            else
            {
                Span<byte> header = stackalloc byte[HeaderSize];
                WriteHeader(header, kind, payload.Length);
                SendAll(header);
                SendAll(payload);
            }
        }
        catch (SocketException e)
        {
            Close();
            throw new ConnectionBrokenException($"The peer of the {_description} has closed the connection or gone away ({e.SocketErrorCode}); nothing more can be sent.", e);
        }
        catch (ObjectDisposedException)
        {
            ThrowIfClosed();
            throw;
        }
    }

    private void SendAll(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = _socket.Send(data, SocketFlags.None);
            data = data[n..];
        }
    }

    private static void WriteHeader(Span<byte> header, byte kind, int length)
    {
        header[0] = (byte)'M';
        header[1] = (byte)'P';
        header[2] = Version;
        header[3] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], length);
    }

    internal override int WaitMessage(Deadline deadline, CancellationToken ct)
    {
        ThrowIfClosed();
        if (_pendingLength >= 0)
        {
            return _pendingLength;
        }

        if (_eof)
        {
            throw EndOfStream();
        }

        if (!WaitReadable(deadline, ct))
        {
            return -1;
        }

        byte kind = ReadFrame(_maxMessageSize, allowEof: true);
        if (kind != KindMessage)
        {
            throw Corrupt($"a handshake frame (kind {kind}) after the handshake");
        }

        return _pendingLength;
    }

    internal override async ValueTask<int> WaitMessageAsync(CancellationToken ct)
    {
        ThrowIfClosed();
        if (_pendingLength < 0 && !_eof)
        {
            // A zero-byte receive completes when data (or the end of the stream) arrives, without consuming anything.
            _ = await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct).ConfigureAwait(false);
        }

        return WaitMessage(Deadline.Infinite, ct);
    }

    internal override void ReadMessage(Span<byte> destination)
    {
        ThrowIfClosed();
        _pending.AsSpan(0, _pendingLength).CopyTo(destination);
        _pendingLength = -1;
        if (_pending!.Length > 64 * 1024)
        {
            _pending = null;
        }
    }

    internal override bool HasMessage() => !IsClosed && (_pendingLength >= 0 || _eof || Available() > 0);

    internal override bool IsReadable()
    {
        ThrowIfClosed();
        return _pendingLength >= 0 || _eof || _socket.Poll(0, SelectMode.SelectRead);
    }

    private int Available()
    {
        try
        {
            return _socket.Available;
        }
        catch (SocketException)
        {
            return 1;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    private bool WaitReadable(Deadline deadline, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            long ns = deadline.RemainingNanoseconds;

            // Slices of at most 50 ms, so that a cancellation or a Close from another thread is seen.
            long us = ns < 0 ? 50_000 : Math.Min(ns / 1000, 50_000);
            try
            {
                if (_socket.Poll((int)us, SelectMode.SelectRead))
                {
                    return true;
                }
            }
            catch (ObjectDisposedException)
            {
                ThrowIfClosed();
                throw;
            }

            ThrowIfClosed();
            if (deadline.HasPassed)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Reads one frame into the pending buffer and returns its kind. A clean end of stream before the header sets
    /// end-of-stream (and throws, unless <paramref name="allowEof"/> is false, where it is a protocol error too).
    /// </summary>
    internal byte ReadFrame(int limit, bool allowEof)
    {
        int got = ReceiveUpTo(_header, HeaderSize);
        if (got == 0)
        {
            _eof = true;
            throw allowEof ? EndOfStream() : Truncated(0, HeaderSize);
        }

        if (got < HeaderSize)
        {
            throw Truncated(got, HeaderSize);
        }

        if (_header[0] != 'M' || _header[1] != 'P' || _header[2] != Version)
        {
            throw Corrupt($"bytes {Convert.ToHexString(_header)} where a frame header (4D50 01 ..) belongs");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(_header.AsSpan(4));
        if (length < 0 || length > limit)
        {
            throw Corrupt($"a frame of {(uint)length} bytes, over the limit of {limit} (ConnectionOptions.MaxMessageSize)");
        }

        if (_pending is null || _pending.Length < length)
        {
            _pending = new byte[Math.Max(length, 256)];
        }

        got = ReceiveUpTo(_pending, length);
        if (got < length)
        {
            throw Truncated(got, length);
        }

        _pendingLength = length;
        return _header[3];
    }

    /// <summary>Takes the pending frame's payload (handshake use).</summary>
    internal ReadOnlySpan<byte> TakePending()
    {
        ReadOnlySpan<byte> p = _pending.AsSpan(0, _pendingLength);
        _pendingLength = -1;
        return p;
    }

    private int ReceiveUpTo(byte[] buffer, int count)
    {
        int got = 0;
        try
        {
            while (got < count)
            {
                int n = _socket.Receive(buffer, got, count - got, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                got += n;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            Close();
            throw new IOException($"The {_description} stalled: {got} of {count} bytes of a frame arrived within {_frameTimeoutMs} ms; the connection is closed.", e);
        }
        catch (SocketException e)
        {
            if (got == 0 && count == HeaderSize)
            {
                // A reset between messages reads as the end of the stream.
                return 0;
            }

            Close();
            throw new EndOfStreamException($"The {_description} failed in the middle of a frame ({e.SocketErrorCode}); the connection is closed.", e);
        }
        catch (ObjectDisposedException)
        {
            ThrowIfClosed();
            throw;
        }

        return got;
    }

    private InvalidDataException Corrupt(string what)
    {
        Close();
        return new InvalidDataException($"The {_description} received {what}; the peer does not speak this protocol or is misbehaving, so the connection is closed.");
    }

    private EndOfStreamException Truncated(int got, int expected)
    {
        Close();
        return new EndOfStreamException($"The {_description} ended in the middle of a frame ({got} of {expected} bytes); the connection is closed.");
    }

    private EndOfStreamException EndOfStream() =>
        new($"The peer of the {_description} has closed the connection, and every message it sent has been received.");

    private void ThrowIfClosed()
    {
        if (IsClosed)
        {
            throw new ObjectDisposedException(_description, $"The {_description} is closed; use an open Connection.");
        }
    }

    internal override void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }
}
