using MessagePack;
using MessagePack.Formatters;

namespace Multiprocessing.Processes;

/// <summary>Writes a shared object as its name; reading opens the object of that name in this process.</summary>
internal sealed class SharedObjectFormatter<T> : IMessagePackFormatter<T?>
    where T : class, ISharedObject<T>
{
    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.Write(value.Name);
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        string name = reader.ReadString() ?? throw new MessagePackSerializationException($"A {typeof(T).Name} arrived without a name.");
        return T.OpenShared(name);
    }
}
