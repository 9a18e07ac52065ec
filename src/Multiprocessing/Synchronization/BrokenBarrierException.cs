namespace Multiprocessing;

/// <summary>
/// Thrown by <see cref="SharedBarrier.SignalAndWait()"/> when the barrier is broken (a party timed out, or it was
/// aborted or reset while parties waited), Python's <c>threading.BrokenBarrierError</c>.
/// </summary>
public sealed class BrokenBarrierException : InvalidOperationException
{
    /// <summary>Creates the exception with the default message.</summary>
    public BrokenBarrierException()
        : base("The SharedBarrier is broken; call Reset before using it again.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public BrokenBarrierException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public BrokenBarrierException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
