using MessagePack;
using Multiprocessing.Processes;

namespace Multiprocessing.Pool;

/// <summary>
/// The per-worker initializer (Python's <c>initializer</c>/<c>initargs</c>): a static method or static lambda and
/// its arguments, sent to each worker as its first message and run once before any task.
/// </summary>
internal static class PoolInitializer
{
    // The worker argument rules: plain data by contractless MessagePack, shared objects (queues, blocks, locks) by name.
    private static MessagePackSerializerOptions Options => WorkerSerialization.Options;

    /// <summary>Writes the Initialize frame: [op][descriptor][argument count][(length, bytes) per argument].</summary>
    internal static void Write(Delegate initializer, object?[] arguments, PoolBuffer output)
    {
        PoolTarget target = PoolTarget.Describe(0, initializer, nameof(initializer));
        System.Reflection.ParameterInfo[] parameters = initializer.Method.GetParameters();
        if (parameters.Length != arguments.Length)
        {
            throw new ArgumentException(
                $"The pool initializer {target.DisplayName} takes {parameters.Length} arguments but InitializerArguments has {arguments.Length}.",
                nameof(arguments));
        }

        output.WriteByte(PoolFrames.Initialize);
        target.WriteDescriptor(output);
        output.WriteInt32(arguments.Length);
        for (int i = 0; i < arguments.Length; i++)
        {
            byte[] bytes;
            try
            {
                bytes = MessagePackSerializer.Serialize(parameters[i].ParameterType, arguments[i], Options);
            }
            catch (MessagePackSerializationException e)
            {
                throw new ArgumentException(
                    $"Initializer argument {i} ({parameters[i].Name}) cannot be sent to a worker process: {e.InnerException?.Message ?? e.Message}",
                    nameof(arguments), e);
            }

            output.WriteInt32(bytes.Length);
            output.Write(bytes);
        }
    }

    /// <summary>Runs the initializer of an Initialize frame (after its op byte), in the worker.</summary>
    internal static void Run(ref PoolFrameReader reader)
    {
        PoolTargetResolver.Resolved r = PoolTargetResolver.ReadDescriptor(ref reader);
        System.Reflection.ParameterInfo[] parameters = r.Method.GetParameters();
        int n = reader.ReadInt32();
        if (n != parameters.Length)
        {
            throw PoolFrameReader.Corrupt($"{n} initializer arguments for a method that takes {parameters.Length}");
        }

        object?[] args = new object?[n];
        for (int i = 0; i < n; i++)
        {
            int length = reader.ReadInt32();
            byte[] bytes = reader.Remaining[..Math.Min(Math.Max(length, 0), reader.Remaining.Length)].ToArray();
            if (bytes.Length != length)
            {
                throw PoolFrameReader.Corrupt($"initializer argument {i} claims {length} bytes");
            }

            reader.Skip(length);
            args[i] = MessagePackSerializer.Deserialize(parameters[i].ParameterType, bytes, Options);
        }

        try
        {
            r.Method.Invoke(r.Instance, args);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
        }
    }
}
