using System.Buffers;
using BenchmarkDotNet.Attributes;
using Multiprocessing.Serialization;

namespace Multiprocessing.Benchmarks;

/// <summary>Round trip of a raw <see cref="int"/> through the default serializer into a reused buffer.</summary>
[MemoryDiagnoser]
public class SerializerBenchmarks
{
    private readonly IMessageSerializer<int> _serializer = MessageSerializer.For<int>();
    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    /// <summary>Serialize 42, then deserialize it back.</summary>
    [Benchmark]
    public int IntRoundTrip()
    {
        _buffer.ResetWrittenCount();
        _serializer.Serialize(42, _buffer);
        return _serializer.Deserialize(new ReadOnlySequence<byte>(_buffer.WrittenMemory));
    }
}
