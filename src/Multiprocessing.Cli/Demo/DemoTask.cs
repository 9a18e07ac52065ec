namespace Multiprocessing.Cli.Demo;

/// <summary>The seed's <c>Task</c>: multiplies two numbers, pretending it takes a while.</summary>
/// <param name="A">The first factor.</param>
/// <param name="B">The second factor.</param>
public sealed record DemoTask(int A, int B)
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
