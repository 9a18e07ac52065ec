namespace Multiprocessing.Pool;

/// <summary>The argument record of a function without arguments (Submit(() =&gt; ...)).</summary>
internal readonly struct NoArguments;
