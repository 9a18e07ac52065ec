using System.Runtime.CompilerServices;
namespace Multiprocessing.Pool;

/// <summary>The shared loop, over the decoded argument record <typeparamref name="TArgs"/>.</summary>
internal abstract class ChunkRunner<TArgs, TResult> : ChunkRunner
{
    private TArgs[] _args = [];
    private TResult[] _results = [];

    protected abstract TResult Invoke(in TArgs args);

    internal sealed override Exception? Run(ReadOnlyMemory<byte> arguments, int count, PoolBuffer results, out int failedIndex)
    {
        if (_args.Length < count)
        {
            _args = new TArgs[count];
            _results = new TResult[count];
        }

        Span<TArgs> args = _args.AsSpan(0, count);
        Span<TResult> outputs = _results.AsSpan(0, count);
        ChunkCodec<TArgs>.Decode(arguments, args);
        int i = 0;
        try
        {
            for (; i < args.Length; i++)
            {
                outputs[i] = Invoke(in args[i]);
            }
        }
#pragma warning disable CA1031 // The user's exception is reported to the parent, whatever its type.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failedIndex = i;
            return e;
        }
        finally
        {
            // Do not keep the user's objects alive between chunks.
            if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<TArgs>())
            {
                args.Clear();
            }
        }

        ChunkCodec<TResult>.Encode(outputs, results);
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<TResult>())
        {
            outputs.Clear();
        }

        failedIndex = -1;
        return null;
    }
}
