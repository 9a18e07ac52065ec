namespace Multiprocessing;

/// <summary>
/// Thrown by a send when the other end of the connection has been closed or its process has exited (Python's
/// <c>BrokenPipeError</c>). Derives from <see cref="IOException"/>, which callers of streams and pipes already catch.
/// </summary>
public sealed class ConnectionBrokenException : IOException
{
    /// <summary>Creates the exception with a message.</summary>
    public ConnectionBrokenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public ConnectionBrokenException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ConnectionBrokenException()
        : base("The other end of the connection has been closed or its process has exited.")
    {
    }
}
