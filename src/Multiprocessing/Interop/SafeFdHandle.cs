using Microsoft.Win32.SafeHandles;

namespace Multiprocessing.Interop;

/// <summary>Owns a file descriptor and closes it exactly once.</summary>
internal sealed class SafeFdHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFdHandle()
        : base(ownsHandle: true)
    {
    }

    internal SafeFdHandle(int fd)
        : base(ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle.ToInt64() < 0;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
