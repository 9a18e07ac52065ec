using System.Runtime.InteropServices;

namespace Multiprocessing.Internal;

/// <summary>
/// Holds a reference on a segment's mapping for the length of a blocking wait, so that a <c>Dispose</c> from another
/// thread meanwhile unmaps only after the wait ends, instead of pulling the memory from under a sleeping futex.
/// </summary>
internal readonly struct MappingLease : IDisposable
{
    private readonly SafeHandle? _handle;

    private MappingLease(SafeHandle handle) => _handle = handle;

    /// <summary>Takes the reference; throws <see cref="ObjectDisposedException"/> if the mapping is already closed.</summary>
    internal static MappingLease Take(Segment segment)
    {
        bool added = false;
        segment.Mapping.DangerousAddRef(ref added);
        return new MappingLease(segment.Mapping);
    }

    public void Dispose() => _handle?.DangerousRelease();
}
