namespace Multiprocessing;

/// <summary>
/// Holds a <see cref="SharedLock"/> or <see cref="SharedRecursiveLock"/> until disposed:
/// <c>using (myLock.EnterScope()) { … }</c>. Returned by <c>EnterScope()</c>; a default instance does nothing.
/// </summary>
public readonly struct LockScope : IDisposable, IEquatable<LockScope>
{
    private readonly object? _lock;

    internal LockScope(object heldLock) => _lock = heldLock;

    /// <summary>Releases the lock the scope holds.</summary>
    public void Dispose()
    {
        switch (_lock)
        {
            case SharedLock l:
                l.Release();
                break;
            case SharedRecursiveLock r:
                r.Release();
                break;
            default:
                break;
        }
    }

    /// <inheritdoc/>
    public bool Equals(LockScope other) => ReferenceEquals(_lock, other._lock);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is LockScope other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _lock?.GetHashCode() ?? 0;

    /// <summary>True when both scopes hold the same lock.</summary>
    public static bool operator ==(LockScope left, LockScope right) => left.Equals(right);

    /// <summary>True when the scopes hold different locks.</summary>
    public static bool operator !=(LockScope left, LockScope right) => !left.Equals(right);
}
