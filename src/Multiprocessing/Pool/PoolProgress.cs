namespace Multiprocessing;

/// <summary>Progress of a Map or Imap call: how many of its tasks have finished, out of how many.</summary>
/// <param name="Completed">Tasks whose results have arrived.</param>
/// <param name="Total">Tasks in the call.</param>
public readonly record struct PoolProgress(int Completed, int Total)
{
    /// <summary>The fraction done, from 0 to 1 (1 for an empty call).</summary>
    public double Fraction => Total == 0 ? 1 : (double)Completed / Total;
}
