namespace Multiprocessing;

/// <summary>
/// Thrown by <see cref="Connection.ReceiveBytesInto(Span{byte})"/> when the next message does not fit in the buffer
/// (Python's <c>BufferTooShort</c>). Nothing is consumed: call again with a buffer of at least <see cref="RequiredLength"/> bytes.
/// </summary>
public sealed class BufferTooShortException : ArgumentException
{
    /// <summary>Creates the exception for a message of <paramref name="requiredLength"/> bytes and a buffer of <paramref name="bufferLength"/>.</summary>
    public BufferTooShortException(int requiredLength, int bufferLength)
        : base($"The next message is {requiredLength} bytes but the buffer holds only {bufferLength}; the message is still there: receive it into a buffer of at least {requiredLength} bytes.", "buffer")
    {
        RequiredLength = requiredLength;
        BufferLength = bufferLength;
    }

    /// <summary>Creates the exception with a message.</summary>
    public BufferTooShortException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public BufferTooShortException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public BufferTooShortException()
        : base("The buffer is too short for the next message.")
    {
    }

    /// <summary>The length of the waiting message, in bytes.</summary>
    public int RequiredLength { get; }

    /// <summary>The length of the buffer that was passed.</summary>
    public int BufferLength { get; }
}
