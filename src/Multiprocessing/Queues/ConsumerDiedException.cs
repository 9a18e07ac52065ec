namespace Multiprocessing;

/// <summary>
/// Thrown by <see cref="JoinableQueue{T}.Join()"/> when a consumer process died holding tasks it had taken but not
/// marked done, so the join could never finish. Names each dead process and how many tasks it left unfinished.
/// </summary>
public sealed class ConsumerDiedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ConsumerDiedException(string queueName, IReadOnlyDictionary<int, long> unfinishedByPid)
        : base(Describe(queueName, unfinishedByPid))
    {
        QueueName = queueName;
        UnfinishedByPid = unfinishedByPid;
    }

    /// <summary>The queue's name.</summary>
    public string QueueName { get; }

    /// <summary>Each dead consumer's pid and how many of its tasks were never marked done.</summary>
    public IReadOnlyDictionary<int, long> UnfinishedByPid { get; }

    /// <summary>The total of unfinished tasks held by dead consumers.</summary>
    public long UnfinishedTasks => UnfinishedByPid.Values.Sum();

    private static string Describe(string queueName, IReadOnlyDictionary<int, long> dead)
    {
        string who = string.Join(", ", dead.Select(kv => $"process {kv.Key} left {kv.Value} unfinished task{(kv.Value == 1 ? "" : "s")}"));
        return $"Join on the queue '{queueName}' cannot finish: a consumer died holding tasks ({who}). Restart the work, or create the queue with AtLeastOnce so such tasks go back on the queue.";
    }
}
