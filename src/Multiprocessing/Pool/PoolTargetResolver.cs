using System.Reflection;
using System.Runtime.Loader;

namespace Multiprocessing.Pool;

/// <summary>The worker's side of <see cref="PoolTarget"/>: turns a descriptor back into a method and a bound runner.</summary>
internal static class PoolTargetResolver
{
    private static readonly Type[] s_funcs = [typeof(Func<>), typeof(Func<,>), typeof(Func<,,>), typeof(Func<,,,>), typeof(Func<,,,,>)];

    private static readonly Type[] s_runners =
        [typeof(ChunkRunner0<>), typeof(ChunkRunner1<,>), typeof(ChunkRunner2<,,>), typeof(ChunkRunner3<,,,>), typeof(ChunkRunner4<,,,,>)];

    /// <summary>A resolved descriptor: the method, the instance to call it on (a static lambda's singleton) and the delegate's type arguments.</summary>
    internal readonly record struct Resolved(MethodInfo Method, object? Instance, Type[] DelegateTypeArguments);

    /// <summary>Reads a DefineTarget frame (after its op byte) and returns its id and runner.</summary>
    internal static (int Id, ChunkRunner Runner) ReadRunner(ref PoolFrameReader reader)
    {
        int id = reader.ReadInt32();
        Resolved r = ReadDescriptor(ref reader);
        int arity = r.DelegateTypeArguments.Length - 1;
        if (arity is < 0 or > 4)
        {
            throw PoolFrameReader.Corrupt($"a pool function with {arity} arguments");
        }

        Type funcType = s_funcs[arity].MakeGenericType(r.DelegateTypeArguments);
        Delegate function = r.Instance is null ? r.Method.CreateDelegate(funcType) : r.Method.CreateDelegate(funcType, r.Instance);
        var runner = (ChunkRunner)Activator.CreateInstance(s_runners[arity].MakeGenericType(r.DelegateTypeArguments), function)!;
        return (id, runner);
    }

    /// <summary>Reads what <see cref="PoolTarget.WriteDescriptor"/> wrote.</summary>
    internal static Resolved ReadDescriptor(ref PoolFrameReader reader)
    {
        string typeName = reader.ReadRequiredString();
        int token = reader.ReadInt32();
        bool closure = reader.ReadByte() == 1;
        string[] generic = ReadStrings(ref reader);
        string[] delegateArgs = ReadStrings(ref reader);
        string[] locations = ReadStrings(ref reader);

        Type declaring = ResolveType(typeName, locations);
        MethodInfo method = Array.Find(
                declaring.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly),
                m => m.MetadataToken == token)
            ?? throw new MissingMethodException($"The pool function (token 0x{token:x8}) is not in {declaring.FullName} in this worker; the worker must run the same build of the program as the parent.");
        if (generic.Length > 0)
        {
            method = method.MakeGenericMethod(Array.ConvertAll(generic, g => ResolveType(g, locations)));
        }

        return new Resolved(method, closure ? ClosureSingleton(declaring) : null, Array.ConvertAll(delegateArgs, a => ResolveType(a, locations)));
    }

    private static object ClosureSingleton(Type closureType) =>
        closureType.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
        ?? System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(closureType);

    private static string[] ReadStrings(ref PoolFrameReader reader)
    {
        int n = reader.ReadInt32();
        if (n is < 0 or > 4096)
        {
            throw PoolFrameReader.Corrupt($"a list of {n} names");
        }

        string[] values = new string[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = reader.ReadRequiredString();
        }

        return values;
    }

    private static Type ResolveType(string assemblyQualifiedName, string[] locations) =>
        Type.GetType(assemblyQualifiedName, name => LoadAssembly(name, locations), null, throwOnError: true)!;

    private static Assembly? LoadAssembly(AssemblyName name, string[] locations)
    {
        foreach (Assembly loaded in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (AssemblyName.ReferenceMatchesDefinition(name, loaded.GetName()))
            {
                return loaded;
            }
        }

        try
        {
            return AssemblyLoadContext.Default.LoadFromAssemblyName(name);
        }
        catch (FileNotFoundException)
        {
            string? path = Array.Find(locations, l => string.Equals(Path.GetFileNameWithoutExtension(l), name.Name, StringComparison.OrdinalIgnoreCase));
            return path is null ? null : AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        }
    }
}
