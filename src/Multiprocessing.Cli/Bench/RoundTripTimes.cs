namespace Multiprocessing.Cli.Bench;

/// <summary>
/// What <see cref="PipeBench.TimeRoundTrips"/> measured: the timed pass (its seconds and its round-trip times in Stopwatch
/// ticks, sorted), the cold pass's median and p99 in microseconds, and for a shared-memory pipe the timing end's
/// co-located waits during the timed pass (null for other transports).
/// </summary>
internal readonly record struct RoundTripTimes(double Seconds, long[] SortedRtt, double ColdMedianUs, double ColdP99Us, int? ColocatedWaits);
