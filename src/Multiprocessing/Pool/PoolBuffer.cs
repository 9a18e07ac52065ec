using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Multiprocessing.Pool;

/// <summary>
/// A growable byte buffer that frames are written into and read from. Unlike ArrayBufferWriter it lets a writer
/// patch a length it reserved earlier, and it is reused from message to message (no allocation in steady state).
/// </summary>
internal sealed class PoolBuffer : IBufferWriter<byte>
{
    private byte[] _buffer;

    internal PoolBuffer(int capacity = 256) => _buffer = new byte[Math.Max(16, capacity)];

    /// <summary>How many bytes have been written.</summary>
    internal int Length { get; private set; }

    internal ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    internal ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, Length);

    internal void Clear() => Length = 0;

    /// <summary>The bytes it can hold without growing.</summary>
    internal int Capacity => _buffer.Length;

    /// <summary>Grows to at least <paramref name="capacity"/> bytes, keeping what was written.</summary>
    internal void Grow(int capacity)
    {
        if (capacity > _buffer.Length)
        {
            Array.Resize(ref _buffer, capacity);
        }
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Length + count, _buffer.Length, nameof(count));
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(Length);
    }

    /// <summary>Makes room for <paramref name="count"/> bytes and returns them (already counted as written).</summary>
    internal Span<byte> Append(int count)
    {
        Ensure(count);
        Span<byte> span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }

    internal void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    internal void WriteByte(byte value) => Append(1)[0] = value;

    internal void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Append(4), value);

    internal void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Append(8), value);

    internal void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure(4 + max);
        int n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(Length + 4));
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(Length), n);
        Length += 4 + n;
    }

    /// <summary>
    /// Starts a batch message (TaskBatch, ResultBatch): the op and a count to be set by <see cref="EndBatch"/>, then
    /// frames added with <see cref="AddToBatch"/>. <see cref="PoolFrameReader.NextInBatch"/> reads them back.
    /// </summary>
    internal void BeginBatch(byte op)
    {
        Clear();
        WriteByte(op);
        WriteInt32(0);
    }

    /// <summary>Adds one frame to the batch begun by <see cref="BeginBatch"/>: its length, then its bytes.</summary>
    internal void AddToBatch(ReadOnlySpan<byte> frame)
    {
        WriteInt32(frame.Length);
        Write(frame);
    }

    /// <summary>Sets the batch's frame count.</summary>
    internal void EndBatch(int count) => PatchInt32(1, count);

    /// <summary>Overwrites 4 bytes written earlier at <paramref name="offset"/> (a length reserved before the body).</summary>
    internal void PatchInt32(int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset, 4), value);

    /// <summary>A written range, for patching a field reserved earlier.</summary>
    internal Span<byte> GetSpanAt(int offset, int count) => _buffer.AsSpan(offset, count);

    /// <summary>Replaces the contents with <paramref name="bytes"/>.</summary>
    internal void SetTo(ReadOnlySpan<byte> bytes)
    {
        Length = 0;
        Write(bytes);
    }

    private void Ensure(int sizeHint)
    {
        int need = Length + Math.Max(sizeHint, 1);
        if (need > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(need, checked(_buffer.Length * 2)));
        }
    }
}
