using MessagePack;
using MessagePack.Formatters;

namespace Multiprocessing.Processes;

/// <summary>
/// Gives every type that implements <see cref="ISharedObject{TSelf}"/> a formatter that sends its name, so blocks,
/// locks, queues and pipes travel to a worker by name wherever they appear, with no per-type registration.
/// </summary>
internal sealed class SharedObjectResolver : IFormatterResolver
{
    internal static readonly SharedObjectResolver Instance = new();

    private SharedObjectResolver()
    {
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() => Cache<T>.Formatter;

    /// <summary>True if <paramref name="type"/> implements ISharedObject of itself.</summary>
    internal static bool IsSharedObject(Type type) =>
        type.IsClass && Array.Exists(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ISharedObject<>) && i.GetGenericArguments()[0] == type);

    private static class Cache<T>
    {
        internal static readonly IMessagePackFormatter<T>? Formatter = IsSharedObject(typeof(T))
            ? (IMessagePackFormatter<T>)Activator.CreateInstance(typeof(SharedObjectFormatter<>).MakeGenericType(typeof(T)))!
            : null;
    }
}
