namespace Multiprocessing.Cli.Bench;

/// <summary>A small message type that goes through MessagePack (public: the contractless resolver needs it).</summary>
/// <param name="X">A coordinate.</param>
/// <param name="Y">Another.</param>
public sealed record BenchPoint(int X, int Y);
