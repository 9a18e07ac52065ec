namespace Multiprocessing.Internal;

/// <summary>Where <see cref="SharedRing.TryRead{TSink}"/> copies a message: one Begin, then Append calls in order.</summary>
internal interface IRecordSink
{
    /// <summary>
    /// A message of <paramref name="length"/> bytes starts. Return false to leave it in the ring (for example a
    /// destination that is too small); nothing has been consumed then.
    /// </summary>
    bool Begin(long length);

    /// <summary>The next piece of the message (a record may wrap around the ring's end, so there can be several).</summary>
    void Append(ReadOnlySpan<byte> piece);

    /// <summary>
    /// The message is complete; called before it is freed from the ring, so a sink may persist it first (the
    /// at-least-once stash does: a reader killed after this keeps a copy, one killed before leaves it in the ring).
    /// </summary>
    void End();

    /// <summary>The message being streamed was abandoned by its producer (killed, or its put timed out): forget the pieces.</summary>
    void Discard();
}
