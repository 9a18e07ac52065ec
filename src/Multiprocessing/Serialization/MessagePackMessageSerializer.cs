using System.Buffers;
using MessagePack;
using MessagePack.Resolvers;

namespace Multiprocessing.Serialization;

/// <summary>
/// Everything that is not raw goes through MessagePack-CSharp with the contractless resolver, so plain records and
/// classes need no attributes. The payload never names a type to instantiate unless
/// <see cref="MessageSerializerOptions.AllowedTypes"/> opts in (then the typeless resolver is used and only those
/// types are accepted).
/// </summary>
internal sealed class MessagePackMessageSerializer<T> : IMessageSerializer<T>
{
    private readonly MessagePackSerializerOptions _options;

    internal MessagePackMessageSerializer(MessageSerializerOptions options)
    {
        _options = options.AllowedTypes.Count == 0
            ? ContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.UntrustedData)
            : new AllowListOptions(
                TypelessContractlessStandardResolver.Options.WithSecurity(MessagePackSecurity.UntrustedData),
                options.AllowedTypes);
    }

    public void Serialize(T value, IBufferWriter<byte> destination) => MessagePackSerializer.Serialize(destination, value, _options);

    public T Deserialize(ReadOnlySequence<byte> source)
    {
        try
        {
            MessagePackReader reader = new(source);
            T result = MessagePackSerializer.Deserialize<T>(ref reader, _options);
            if (!reader.End)
            {
                throw new MessageDeserializationException(typeof(T), $"{source.Length} bytes with {source.Length - reader.Consumed} left over after a {TypeNames.Display(typeof(T))}");
            }

            return result;
        }
        catch (MessagePackSerializationException e)
        {
            throw new MessageDeserializationException(typeof(T), Describe(source), e);
        }
    }

    /// <summary>Names what the first MessagePack token is, for the error message.</summary>
    private static string Describe(ReadOnlySequence<byte> source)
    {
        if (source.Length == 0)
        {
            return "empty";
        }

        try
        {
            MessagePackReader reader = new(source);
            return reader.NextMessagePackType switch
            {
                MessagePackType.Integer => "a MessagePack integer",
                MessagePackType.Nil => "a MessagePack nil (null)",
                MessagePackType.Boolean => "a MessagePack boolean",
                MessagePackType.Float => "a MessagePack float",
                MessagePackType.String => $"a MessagePack string (\"{reader.ReadString()}\")",
                MessagePackType.Binary => "MessagePack binary data",
                MessagePackType.Array => $"a MessagePack array of {reader.ReadArrayHeader()} elements",
                MessagePackType.Map => $"a MessagePack map of {reader.ReadMapHeader()} entries",
                MessagePackType.Extension => "a MessagePack extension (a typeless object)",
                _ => $"{source.Length} bytes that are not MessagePack",
            };
        }
        catch (MessagePackSerializationException)
        {
            return $"{source.Length} bytes that are not MessagePack";
        }
        catch (EndOfStreamException)
        {
            return $"{source.Length} bytes of truncated MessagePack";
        }
    }

    private sealed class AllowListOptions : MessagePackSerializerOptions
    {
        private readonly HashSet<Type> _allowed;

        internal AllowListOptions(MessagePackSerializerOptions copyFrom, IReadOnlyCollection<Type> allowed)
            : base(copyFrom) => _allowed = [.. allowed];

        private AllowListOptions(AllowListOptions copyFrom)
            : base(copyFrom) => _allowed = copyFrom._allowed;

        protected override MessagePackSerializerOptions Clone() => new AllowListOptions(this);

        public override void ThrowIfDeserializingTypeIsDisallowed(Type type)
        {
            base.ThrowIfDeserializingTypeIsDisallowed(type);
            if (!_allowed.Contains(type) && !type.IsPrimitive && type != typeof(string))
            {
                throw new MessagePackSerializationException(
                    $"The payload names the type {type.FullName}, which is not in MessageSerializerOptions.AllowedTypes; add it there if you trust the sender.");
            }
        }
    }
}
