using Multiprocessing.Serialization;

namespace Multiprocessing;

/// <summary>How a queue is created. The defaults suit most uses; every property is optional.</summary>
public sealed class SharedQueueOptions
{
    /// <summary>The shared default options.</summary>
    public static SharedQueueOptions Default { get; } = new();

    /// <summary>
    /// Python's <c>maxsize</c>: the most messages the queue holds before <c>Put</c> blocks. The default is 0: only
    /// the ring's bytes bound the queue (a full ring blocks <c>Put</c> until a consumer makes room).
    /// </summary>
    public int MaxSize { get; init; }

    /// <summary>
    /// The size of the shared ring in bytes, rounded up to a power of two between 4 KiB and 1 GiB. Messages larger
    /// than a quarter of it are streamed through it in chunks, so any message size works. The default is 1 MiB.
    /// </summary>
    public long RingBytes { get; init; } = 1 << 20;

    /// <summary>How messages are turned into bytes. The default is <see cref="MessageSerializerOptions.Default"/>.</summary>
    public MessageSerializerOptions? Serialization { get; init; }

    /// <summary>
    /// <see cref="JoinableQueue{T}"/> only: a task taken by a consumer that dies before <c>TaskDone</c> goes back on
    /// the queue (it may then be handled twice) instead of making <c>Join</c> fail. Each consumer keeps a copy of its
    /// unfinished tasks in shared memory, so messages are limited to <see cref="InFlightBytesPerConsumer"/>/4 bytes
    /// (and a quarter of <see cref="RingBytes"/>). The default is false.
    /// </summary>
    public bool AtLeastOnce { get; init; }

    /// <summary><see cref="JoinableQueue{T}"/> only: how many consumer processes may take tasks. The default is 64.</summary>
    public int MaxConsumers { get; init; } = 64;

    /// <summary>
    /// <see cref="JoinableQueue{T}"/> with <see cref="AtLeastOnce"/> only: bytes of unfinished tasks each consumer
    /// may hold (rounded up to a power of two). The default is 256 KiB.
    /// </summary>
    public int InFlightBytesPerConsumer { get; init; } = 256 << 10;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxSize, nameof(MaxSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RingBytes, nameof(RingBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RingBytes, 1L << 30, nameof(RingBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConsumers, nameof(MaxConsumers));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxConsumers, 4096, nameof(MaxConsumers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InFlightBytesPerConsumer, nameof(InFlightBytesPerConsumer));
    }
}
