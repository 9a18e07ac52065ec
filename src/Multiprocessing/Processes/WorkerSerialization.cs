using MessagePack;
using MessagePack.Resolvers;

namespace Multiprocessing.Processes;

/// <summary>
/// How worker arguments and worker-subclass fields are serialized: shared objects by name first, then contractless
/// MessagePack that also reads and writes private members (a worker subclass keeps its state in private fields).
/// </summary>
internal static class WorkerSerialization
{
    internal static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(SharedObjectResolver.Instance, ContractlessStandardResolverAllowPrivate.Instance));

    internal static byte[] Serialize(Type type, object? value, string what)
    {
        try
        {
            return MessagePackSerializer.Serialize(type, value, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new ArgumentException(
                $"The worker's {what} (a {type.Name}) cannot be sent to another process: {e.InnerException?.Message ?? e.Message} Pass plain data, or a shared object (SharedMemoryBlock, a queue, a lock) that travels by name.", e);
        }
    }

    internal static object? Deserialize(Type type, byte[] bytes) => MessagePackSerializer.Deserialize(type, bytes, Options);
}
