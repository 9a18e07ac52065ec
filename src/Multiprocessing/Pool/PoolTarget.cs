using System.Reflection;
using System.Runtime.CompilerServices;

namespace Multiprocessing.Pool;

/// <summary>
/// A pool function as the parent sends it: the method's declaring type, metadata token and generic arguments,
/// whether it is a static lambda (an instance method of the compiler's stateless closure singleton), and the
/// delegate's type arguments (argument types, then the result type). Sent once per worker; chunks name it by id.
/// </summary>
internal sealed class PoolTarget
{
    private byte[]? _definition;

    private PoolTarget(int id, MethodInfo method, bool closureSingleton, Type[] delegateTypeArguments)
    {
        Id = id;
        Method = method;
        IsClosureSingleton = closureSingleton;
        DelegateTypeArguments = delegateTypeArguments;
    }

    internal int Id { get; }

    internal MethodInfo Method { get; }

    internal bool IsClosureSingleton { get; }

    /// <summary>The delegate's type arguments: for a Func the argument types, then the result type; for an Action the argument types.</summary>
    internal Type[] DelegateTypeArguments { get; }

    internal int Arity => DelegateTypeArguments.Length - 1;

    /// <summary>A readable name for messages: Type.Method.</summary>
    internal string DisplayName => $"{Method.DeclaringType?.Name}.{Method.Name}";

    /// <summary>Checks that <paramref name="function"/> can run in another process and describes it.</summary>
    /// <exception cref="ArgumentException">A capturing lambda, an instance method, a multicast or dynamic delegate.</exception>
    internal static PoolTarget Describe(int id, Delegate function, string paramName)
    {
        ArgumentNullException.ThrowIfNull(function, paramName);
        MethodInfo method = function.Method;
        if (function.HasSingleTarget is false)
        {
            throw new ArgumentException("The pool function is a multicast delegate; pass one static method or static lambda.", paramName);
        }

        bool closure = false;
        if (function.Target is { } target)
        {
            Type t = target.GetType();
            closure = t == method.DeclaringType && t.IsDefined(typeof(CompilerGeneratedAttribute), false)
                && t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length == 0;
            if (!closure)
            {
                throw new ArgumentException(
                    $"The pool function {method.DeclaringType?.Name}.{method.Name} captures variables or 'this' ({t.Name}); a pool runs it in another process, so use a static lambda or a static method and pass what it needs as arguments.",
                    paramName);
            }
        }

        Assembly assembly = method.Module.Assembly;
        if (method.DeclaringType is null || assembly.IsDynamic || string.IsNullOrEmpty(assembly.Location))
        {
            throw new ArgumentException(
                $"The pool function {method.Name} was generated at run time (a dynamic method or an assembly loaded from memory); a worker process can only run a method of an assembly on disk.",
                paramName);
        }

        Type[] typeArguments = function.GetType().GetGenericArguments();
        return new PoolTarget(id, method, closure, typeArguments);
    }

    /// <summary>The DefineTarget frame, encoded once.</summary>
    internal byte[] Definition
    {
        get
        {
            if (_definition is null)
            {
                PoolBuffer b = new();
                WriteDefinition(b);
                _definition = b.WrittenSpan.ToArray();
            }

            return _definition;
        }
    }

    /// <summary>Writes the DefineTarget frame.</summary>
    internal void WriteDefinition(PoolBuffer output)
    {
        output.WriteByte(PoolFrames.DefineTarget);
        output.WriteInt32(Id);
        WriteDescriptor(output);
    }

    /// <summary>Writes what the worker needs to find the method: see <see cref="PoolTargetResolver.ReadDescriptor"/>.</summary>
    internal void WriteDescriptor(PoolBuffer output)
    {
        output.WriteString(Method.DeclaringType!.AssemblyQualifiedName);
        output.WriteInt32(Method.MetadataToken);
        output.WriteByte(IsClosureSingleton ? (byte)1 : (byte)0);
        Type[] generic = Method.IsGenericMethod ? Method.GetGenericArguments() : [];
        WriteTypes(output, generic);
        WriteTypes(output, DelegateTypeArguments);

        // Where each involved assembly was loaded from, for assemblies the worker's deps file does not list.
        HashSet<string> locations = [Method.Module.Assembly.Location];
        foreach (Type t in generic.Concat(DelegateTypeArguments))
        {
            AddLocations(t, locations);
        }

        output.WriteInt32(locations.Count);
        foreach (string location in locations)
        {
            output.WriteString(location);
        }
    }

    private static void WriteTypes(PoolBuffer output, Type[] types)
    {
        output.WriteInt32(types.Length);
        foreach (Type t in types)
        {
            output.WriteString(t.AssemblyQualifiedName);
        }
    }

    private static void AddLocations(Type t, HashSet<string> locations)
    {
        if (!string.IsNullOrEmpty(t.Assembly.Location))
        {
            locations.Add(t.Assembly.Location);
        }

        if (t.HasElementType)
        {
            AddLocations(t.GetElementType()!, locations);
        }

        foreach (Type a in t.IsGenericType ? t.GetGenericArguments() : [])
        {
            AddLocations(a, locations);
        }
    }
}
