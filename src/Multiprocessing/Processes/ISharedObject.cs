namespace Multiprocessing.Processes;

/// <summary>
/// A shared object that travels to a worker by name: the parent writes <see cref="Name"/>, the child calls
/// <see cref="OpenShared"/>. Every public shared type (blocks, locks, queues, pipes) implements it; the worker
/// argument serializer handles any type that does, wherever it appears (arguments, fields of a worker subclass).
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
internal interface ISharedObject<TSelf>
    where TSelf : ISharedObject<TSelf>
{
    /// <summary>The name the object is opened by in another process.</summary>
    string Name { get; }

    /// <summary>Opens the object named <paramref name="name"/> in this process.</summary>
    static abstract TSelf OpenShared(string name);
}
