namespace Multiprocessing;

/// <summary>
/// An exception that a worker process did not handle, as seen by the parent: the remote exception's type name,
/// message and stack trace (the exception object itself stays in the worker).
/// </summary>
public sealed class WorkerException : Exception
{
    /// <summary>Creates an empty instance.</summary>
    public WorkerException()
    {
    }

    /// <summary>Creates an instance with a message only.</summary>
    public WorkerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an instance with a message and an inner exception.</summary>
    public WorkerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the parent's view of a worker's unhandled exception.</summary>
    public WorkerException(string remoteTypeName, string remoteMessage, string remoteStackTrace, string workerName, int workerPid)
        : base($"Worker '{workerName}' (pid {workerPid}) failed with {remoteTypeName}: {remoteMessage}")
    {
        RemoteTypeName = remoteTypeName;
        RemoteMessage = remoteMessage;
        RemoteStackTrace = remoteStackTrace;
        WorkerName = workerName;
        WorkerPid = workerPid;
    }

    /// <summary>The full name of the exception type thrown in the worker, for example "System.InvalidOperationException".</summary>
    public string RemoteTypeName { get; } = "";

    /// <summary>The worker exception's message.</summary>
    public string RemoteMessage { get; } = "";

    /// <summary>The worker exception's stack trace (with inner exceptions), as text.</summary>
    public string RemoteStackTrace { get; } = "";

    /// <summary>The worker's <see cref="WorkerProcess.Name"/>.</summary>
    public string WorkerName { get; } = "";

    /// <summary>The worker's process id.</summary>
    public int WorkerPid { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Message}{Environment.NewLine}--- worker stack ---{Environment.NewLine}{RemoteStackTrace}";
}
