namespace Multiprocessing.Serialization;

/// <summary>How messages are turned into bytes. The default needs no configuration.</summary>
public sealed class MessageSerializerOptions
{
    /// <summary>The shared default: raw for unmanaged types, strings and byte arrays; contractless MessagePack otherwise.</summary>
    public static MessageSerializerOptions Default { get; } = new();

    /// <summary>
    /// Types that a payload may name and have instantiated (MessagePack's typeless mode, for polymorphic messages).
    /// Empty by default: no type named by the bytes is ever instantiated.
    /// </summary>
    public IReadOnlyCollection<Type> AllowedTypes { get; init; } = [];
}
