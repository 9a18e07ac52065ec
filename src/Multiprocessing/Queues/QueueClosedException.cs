namespace Multiprocessing;

/// <summary>
/// Thrown by a put on a closed queue, and by a get on a closed queue that has been drained. Derives from
/// <see cref="InvalidOperationException"/>, like <c>ChannelClosedException</c>, so existing catches still work.
/// </summary>
public sealed class QueueClosedException : InvalidOperationException
{
    /// <summary>Creates the exception for the queue named <paramref name="queueName"/>.</summary>
    public QueueClosedException(string queueName, bool forGet)
        : base(forGet
            ? $"The queue '{queueName}' is closed and empty: no more messages will come."
            : $"The queue '{queueName}' is closed: no more messages can be put; create a new queue to send more.") =>
        QueueName = queueName;

    /// <summary>The queue's name.</summary>
    public string QueueName { get; }
}
