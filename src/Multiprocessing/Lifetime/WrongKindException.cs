namespace Multiprocessing;

/// <summary>
/// Thrown when a shared name is opened as another kind of object (or with another element type) than the one
/// it holds, for example a <c>SharedLock</c>'s name opened as a <c>SharedSemaphore</c>.
/// </summary>
public sealed class WrongKindException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="name"/>.</summary>
    public WrongKindException(string name, string actualKind, string requestedKind)
        : base($"The shared object '{name}' is a {actualKind}, not a {requestedKind}; open it with the type that created it, or use another name.")
    {
        Name = name;
        ActualKind = actualKind;
        RequestedKind = requestedKind;
    }

    /// <summary>The shared object's name.</summary>
    public string Name { get; }

    /// <summary>What the name holds.</summary>
    public string ActualKind { get; }

    /// <summary>What the caller tried to open it as.</summary>
    public string RequestedKind { get; }
}
