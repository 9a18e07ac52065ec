using Microsoft.Win32.SafeHandles;

namespace Multiprocessing.Interop;

/// <summary>Owns an <c>mmap</c> mapping and unmaps it exactly once, even if the owner forgets to dispose.</summary>
internal sealed class SafeMappingHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly nuint _length;

    internal SafeMappingHandle(IntPtr address, nuint length)
        : base(ownsHandle: true)
    {
        _length = length;
        SetHandle(address);
    }

    internal nuint Length => _length;

    protected override bool ReleaseHandle() => Libc.MUnmap(handle, _length) == 0;
}
