using System.Diagnostics;
using System.Text;
using Multiprocessing.Interop;

namespace Multiprocessing.Internal;

/// <summary>
/// A named, mapped region of /dev/shm with a <see cref="SegmentHeader"/>. The creator owns the name and unlinks it
/// (on <see cref="Unlink"/>, or when it exits); openers only close their mapping. The data area starts at offset 128,
/// so it is cache-line aligned.
/// </summary>
internal sealed unsafe class Segment : IDisposable
{
    private readonly SafeMappingHandle _mapping;
    private int _unlinked;

    private Segment(string name, SafeMappingHandle mapping, bool isCreator)
    {
        Name = name;
        _mapping = mapping;
        IsCreator = isCreator;
        Header = (SegmentHeader*)mapping.DangerousGetHandle();
    }

    /// <summary>The user-visible name (without the /dev/shm prefix).</summary>
    internal string Name { get; }

    /// <summary>True in the process that created the segment and owns its name.</summary>
    internal bool IsCreator { get; }

    internal SegmentHeader* Header { get; }

    /// <summary>The mapping, for callers that must keep it alive across an async wait.</summary>
    internal System.Runtime.InteropServices.SafeHandle Mapping => _mapping;

    internal byte* Data => (byte*)Header + SegmentHeader.Size;

    internal long DataLength => Header->TotalSize - SegmentHeader.Size;

    internal SegmentKind Kind => (SegmentKind)Header->Kind;

    internal bool IsClosed => _mapping.IsClosed;

    /// <summary>Creates a new segment exclusively (mode 0600), zero-filled, and publishes its header.</summary>
    internal static Segment Create(string name, SegmentKind kind, int layoutVersion, long dataLength, string tag = "", bool populate = true)
    {
        Platform.ThrowIfUnsupported();
        SegmentNames.Validate(name);
        ArgumentOutOfRangeException.ThrowIfNegative(dataLength);
        byte[] tagBytes = EncodeTag(tag);
        SegmentSweeper.SweepOnceInBackground();

        string shmName = SegmentNames.ToShmName(name);
        long total = SegmentHeader.Size + dataLength;
        using SafeFdHandle fd = new(Libc.ShmOpen(shmName, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0x180 /* 0600 */));
        if (fd.IsInvalid)
        {
            throw Errno.FromLast("creating", name);
        }

        SafeMappingHandle mapping;
        try
        {
            if (Libc.FTruncate(fd, total) != 0)
            {
                throw Errno.FromLast("sizing", name);
            }

            mapping = Map(fd, total, populate, name);
        }
        catch
        {
            _ = Libc.ShmUnlink(shmName);
            throw;
        }

        Segment segment = new(name, mapping, isCreator: true);
        SegmentHeader* h = segment.Header;
        h->Magic = SegmentHeader.MagicValue;
        h->Kind = (int)kind;
        h->LayoutVersion = layoutVersion;
        h->TotalSize = total;
        h->CreatorPid = ProcessLiveness.CurrentPid;
        h->CreatorStartTime = CurrentStartTime;
        h->TagLength = tagBytes.Length;
        tagBytes.CopyTo(new Span<byte>(h->Tag, SegmentHeader.TagCapacity));
        CreatedSegments.Add(name);
        return segment;
    }

    /// <summary>
    /// Marks the segment ready. The creator calls it after initialising the data area, so that an opener never sees
    /// a half-built object; the release store orders every earlier write before it.
    /// </summary>
    internal void Publish() => Volatile.Write(ref Header->State, SegmentHeader.StateReady);

    /// <summary>
    /// Opens an existing segment and checks its magic, kind, layout version, size and tag. <see cref="SegmentKind.None"/>
    /// accepts any kind and tag (for an object embedded in another's segment, such as a value's lock); the caller then
    /// checks <see cref="Kind"/> itself.
    /// </summary>
    internal static Segment Open(string name, SegmentKind kind, int layoutVersion, string tag = "")
    {
        Platform.ThrowIfUnsupported();
        SegmentNames.Validate(name);
        string shmName = SegmentNames.ToShmName(name);
        using SafeFdHandle fd = new(Libc.ShmOpen(shmName, Libc.O_RDWR | Libc.O_CLOEXEC, 0));
        if (fd.IsInvalid)
        {
            throw Errno.FromLast($"opening {Describe(kind)}", name);
        }

        long size = new FileInfo("/dev/shm/" + SegmentNames.Prefix + name).Length;
        if (size < SegmentHeader.Size)
        {
            throw new InvalidDataException(
                $"The shared object '{name}' is not a Multiprocessing segment (it is {size} bytes, smaller than the {SegmentHeader.Size}-byte header); check the name.");
        }

        SafeMappingHandle mapping = Map(fd, size, populate: false, name);
        Segment segment = new(name, mapping, isCreator: false);
        try
        {
            segment.Validate(kind, layoutVersion, tag, size);
        }
        catch
        {
            segment.Dispose();
            throw;
        }

        return segment;
    }

    private void Validate(SegmentKind kind, int layoutVersion, string tag, long size)
    {
        SegmentHeader* h = Header;
        if (h->Magic != SegmentHeader.MagicValue)
        {
            throw new InvalidDataException($"The shared object '{Name}' is not a Multiprocessing segment (bad magic number); another program owns this name.");
        }

        // The creator publishes State last; wait briefly for a creator that is still initialising.
        Stopwatch sw = Stopwatch.StartNew();
        while (Volatile.Read(ref h->State) != SegmentHeader.StateReady)
        {
            if (sw.ElapsedMilliseconds > 5000 || !ProcessLiveness.IsAlive(h->CreatorPid))
            {
                throw new InvalidDataException($"The shared object '{Name}' was never finished by its creator (pid {h->CreatorPid}); create it again under a new name.");
            }

            Thread.Sleep(1);
        }

        if (h->TotalSize != size)
        {
            throw new InvalidDataException($"The shared object '{Name}' is corrupt: its header says {h->TotalSize} bytes but it has {size}.");
        }

        if (kind == SegmentKind.None)
        {
            return;
        }

        if ((SegmentKind)h->Kind != kind)
        {
            throw new WrongKindException(Name, Describe((SegmentKind)h->Kind), Describe(kind));
        }

        if (h->LayoutVersion != layoutVersion)
        {
            throw new InvalidDataException(
                $"The shared object '{Name}' has layout version {h->LayoutVersion}, but this library reads version {layoutVersion}; use the same Multiprocessing version in every process.");
        }

        string actual = ReadTag();
        if (!string.Equals(actual, TrimTag(tag), StringComparison.Ordinal))
        {
            throw new WrongKindException(Name, $"{Describe(kind)} of {actual}", $"{Describe(kind)} of {TrimTag(tag)}");
        }
    }

    internal string ReadTag()
    {
        int length = Math.Clamp(Header->TagLength, 0, SegmentHeader.TagCapacity);
        return Encoding.UTF8.GetString(new ReadOnlySpan<byte>(Header->Tag, length));
    }

    private static byte[] EncodeTag(string tag) => Encoding.UTF8.GetBytes(TrimTag(tag));

    // Long tags (generic type names) keep their end, which carries the most specific part.
    private static string TrimTag(string tag) => tag.Length <= 60 ? tag : tag[^60..];

    private static SafeMappingHandle Map(SafeFdHandle fd, long length, bool populate, string name)
    {
        int flags = Libc.MAP_SHARED | (populate ? Libc.MAP_POPULATE : 0);
        IntPtr p = Libc.MMap(IntPtr.Zero, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, flags, fd, 0);
        return p == Libc.MAP_FAILED ? throw Errno.FromLast("mapping", name) : new SafeMappingHandle(p, (nuint)length);
    }

    /// <summary>Removes the name from /dev/shm (creator only, idempotent). Existing mappings stay valid.</summary>
    internal void Unlink()
    {
        if (!IsCreator)
        {
            throw new InvalidOperationException($"Only the process that created '{Name}' may unlink it; this process opened it.");
        }

        if (Interlocked.Exchange(ref _unlinked, 1) == 0)
        {
            UnlinkName(Name);
        }
    }

    internal static void UnlinkName(string name)
    {
        _ = Libc.ShmUnlink(SegmentNames.ToShmName(name));
        CreatedSegments.Remove(name);
    }

    /// <summary>Unmaps this process's view. Does not unlink the name.</summary>
    public void Dispose() => _mapping.Dispose();

    internal static string Describe(SegmentKind kind) => kind switch
    {
        SegmentKind.None => "shared object",
        SegmentKind.MemoryBlock => "SharedMemoryBlock",
        SegmentKind.Lock => "SharedLock",
        SegmentKind.RecursiveLock => "SharedRecursiveLock",
        SegmentKind.Semaphore => "SharedSemaphore",
        SegmentKind.BoundedSemaphore => "bounded SharedSemaphore",
        SegmentKind.Event => "SharedEvent",
        SegmentKind.Condition => "SharedCondition",
        SegmentKind.Barrier => "SharedBarrier",
        SegmentKind.Value => "SharedValue",
        SegmentKind.Array => "SharedArray",
        SegmentKind.Queue => "SharedQueue",
        SegmentKind.JoinableQueue => "JoinableQueue",
        SegmentKind.SimpleQueue => "SimpleQueue",
        SegmentKind.Pipe => "Pipe",
        SegmentKind.WorkerStatus => "worker status block",
        SegmentKind.Pool => "ProcessPool",
        _ => $"unknown kind {(int)kind}",
    };

    private static ulong s_startTime;

    /// <summary>This process's start time, recorded in headers so that a reused pid is not taken for the creator.</summary>
    internal static ulong CurrentStartTime =>
        s_startTime != 0 ? s_startTime : s_startTime = ProcessLiveness.StartTime(ProcessLiveness.CurrentPid);
}
