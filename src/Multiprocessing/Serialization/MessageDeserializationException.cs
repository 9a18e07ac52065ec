namespace Multiprocessing.Serialization;

/// <summary>Thrown when a message's bytes do not deserialize to the type the receiver asked for.</summary>
public sealed class MessageDeserializationException : IOException
{
    /// <summary>Creates the exception.</summary>
    public MessageDeserializationException(Type expectedType, string payloadDescription, Exception? inner = null)
        : base($"A message could not be read as {TypeNames.Display(expectedType)}: the payload is {payloadDescription}. Make sender and receiver use the same message type.", inner)
    {
        ExpectedType = expectedType;
        PayloadDescription = payloadDescription;
    }

    /// <summary>The type the receiver asked for.</summary>
    public Type ExpectedType { get; }

    /// <summary>What the bytes look like (for example "a MessagePack string" or "3 bytes").</summary>
    public string PayloadDescription { get; }
}
