namespace Consumers;

/// <summary>A task: multiplies two numbers, pretending to take some time.</summary>
public sealed record MultiplyTask(int A, int B)
{
    /// <summary>Does the work.</summary>
    public string Call()
    {
        Thread.Sleep(100); // pretend to take some time to do the work
        return $"{A} * {B} = {A * B}";
    }

    /// <inheritdoc/>
    public override string ToString() => $"{A} * {B}";
}
