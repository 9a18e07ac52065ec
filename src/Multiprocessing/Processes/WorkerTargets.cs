using System.Reflection;
using System.Runtime.CompilerServices;

namespace Multiprocessing.Processes;

/// <summary>Turns a target (a delegate and its arguments, or a worker subclass and its fields) into a spec, and back in the child.</summary>
internal static class WorkerTargets
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>Checks that the delegate can run in another process and serializes its arguments.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location (single-file app) is handled: the type is then found by name only.")]
    internal static (string TypeName, string Location, int Token, string Method, byte TargetKind, string[] Generic, byte[][] Values) DescribeDelegate(Delegate target, object?[] args)
    {
        if (target.GetInvocationList().Length != 1)
        {
            throw new ArgumentException("A worker's target must be a single method, not a multicast delegate; start one worker per method.", nameof(target));
        }

        MethodInfo method = target.Method;
        Type declaring = method.DeclaringType
            ?? throw new ArgumentException($"The worker's target '{method.Name}' is a dynamic method; use a static method or a static lambda.", nameof(target));
        byte targetKind = WorkerSpec.TargetStatic;
        if (!method.IsStatic)
        {
            object? instance = target.Target;
            if (instance is not null && IsClosureSingleton(instance))
            {
                targetKind = WorkerSpec.TargetClosureSingleton;
            }
            else if (instance is not null && instance.GetType().IsDefined(typeof(CompilerGeneratedAttribute)))
            {
                string captured = string.Join(", ", instance.GetType().GetFields(InstanceFields).Select(f => f.Name));
                throw new ArgumentException(
                    $"The worker's target lambda captures variables ({captured}); a worker runs in another process and cannot see them. Pass them as arguments (WorkerProcess.Start(static (a, b) => ..., a, b)) and mark the lambda static.",
                    nameof(target));
            }
            else
            {
                throw new ArgumentException(
                    $"The worker's target {declaring.Name}.{method.Name} is an instance method (or a lambda that uses 'this'); a worker runs in another process and cannot see this object. Use a static method or a static lambda and pass the data as arguments, or subclass WorkerProcess and keep the state in fields.",
                    nameof(target));
            }
        }

        if (declaring.ContainsGenericParameters || method.ContainsGenericParameters)
        {
            throw new ArgumentException($"The worker's target {declaring.Name}.{method.Name} has open generic parameters; close them before starting the worker.", nameof(target));
        }

        ParameterInfo[] parameters = method.GetParameters();
        if (parameters.Length != args.Length)
        {
            throw new ArgumentException(
                $"The worker's target {declaring.Name}.{method.Name} takes {parameters.Length} argument(s) but {args.Length} were given; pass exactly one value per parameter.",
                nameof(args));
        }

        byte[][] values = new byte[args.Length][];
        for (int i = 0; i < args.Length; i++)
        {
            Type p = parameters[i].ParameterType;
            if (p.IsByRef || p.IsPointer)
            {
                throw new ArgumentException($"The worker's target {declaring.Name}.{method.Name} has a ref, out or pointer parameter '{parameters[i].Name}'; a worker can only receive values.", nameof(target));
            }

            if (args[i] is not null && !p.IsInstanceOfType(args[i]))
            {
                throw new ArgumentException(
                    $"Argument {i} of the worker ({args[i]!.GetType().Name}) does not fit the parameter '{parameters[i].Name}' of type {p.Name}; pass a value of that type.", nameof(args));
            }

            values[i] = WorkerSerialization.Serialize(p, args[i], $"argument '{parameters[i].Name}'");
        }

        string[] generic = method.IsGenericMethod ? [.. method.GetGenericArguments().Select(AssemblyQualifiedName)] : [];
        return (AssemblyQualifiedName(declaring), declaring.Assembly.Location, method.MetadataToken, method.Name, targetKind, generic, values);
    }

    /// <summary>Serializes the fields a worker subclass declares (not those of <see cref="WorkerProcess"/> itself).</summary>
    internal static (string[] Keys, byte[][] Values) DescribeFields(WorkerProcess worker)
    {
        List<string> keys = [];
        List<byte[]> values = [];
        foreach (FieldInfo f in SubclassFields(worker.GetType()))
        {
            keys.Add(FieldKey(f));
            values.Add(WorkerSerialization.Serialize(f.FieldType, f.GetValue(worker), $"field '{f.Name}'"));
        }

        return ([.. keys], [.. values]);
    }

    /// <summary>Rebuilds the worker subclass in the child without running its constructor (as pickle does), then sets its fields.</summary>
    internal static WorkerProcess RebuildSubclass(Type type, WorkerSpec spec)
    {
        if (!typeof(WorkerProcess).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new InvalidOperationException($"The worker type {type.FullName} is not a concrete subclass of WorkerProcess.");
        }

        WorkerProcess worker = (WorkerProcess)RuntimeHelpers.GetUninitializedObject(type);
        Dictionary<string, FieldInfo> fields = SubclassFields(type).ToDictionary(FieldKey, StringComparer.Ordinal);
        for (int i = 0; i < spec.FieldKeys.Length; i++)
        {
            if (fields.TryGetValue(spec.FieldKeys[i], out FieldInfo? f))
            {
                f.SetValue(worker, WorkerSerialization.Deserialize(f.FieldType, spec.Values[i]));
            }
        }

        return worker;
    }

    /// <summary>Finds the delegate's method in the child and binds its arguments.</summary>
    internal static (MethodInfo Method, object? Instance, object?[] Args) ResolveDelegate(Type declaring, WorkerSpec spec)
    {
        Type[] methodArgs = [.. spec.MethodGenericArguments.Select(n => Type.GetType(n, throwOnError: true)!)];
        MethodBase? resolved = declaring.Module.ResolveMethod(spec.MethodToken, declaring.IsGenericType ? declaring.GetGenericArguments() : null, methodArgs.Length > 0 ? methodArgs : null);
        if (resolved is not MethodInfo method || method.Name != spec.MethodName)
        {
            throw new InvalidOperationException(
                $"The worker's target {declaring.Name}.{spec.MethodName} was not found in the worker; the parent and the worker must run the same build of {declaring.Assembly.GetName().Name}.");
        }

        if (declaring.IsGenericType)
        {
            method = (MethodInfo)MethodBase.GetMethodFromHandle(method.MethodHandle, declaring.TypeHandle)!;
        }

        if (methodArgs.Length > 0 && method.IsGenericMethodDefinition)
        {
            method = method.MakeGenericMethod(methodArgs);
        }

        object? instance = spec.TargetKind == WorkerSpec.TargetClosureSingleton
            ? declaring.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null)
                ?? throw new InvalidOperationException($"The static lambda's holder {declaring.FullName} has no singleton in the worker.")
            : null;
        ParameterInfo[] parameters = method.GetParameters();
        object?[] args = new object?[parameters.Length];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = WorkerSerialization.Deserialize(parameters[i].ParameterType, spec.Values[i]);
        }

        return (method, instance, args);
    }

    /// <summary>Loads a type named by the parent: through the app's deps file first, then from the parent's file path.</summary>
    internal static Type LoadType(string assemblyQualifiedName, string location)
    {
        Type? type = Type.GetType(assemblyQualifiedName, throwOnError: false);
        if (type is null && location.Length > 0 && File.Exists(location))
        {
            Assembly assembly = Assembly.LoadFrom(location);
            int comma = assemblyQualifiedName.IndexOf(", ", StringComparison.Ordinal);
            type = assembly.GetType(comma < 0 ? assemblyQualifiedName : assemblyQualifiedName[..comma], throwOnError: false);
        }

        return type ?? throw new TypeLoadException(
            $"The worker could not load the type {assemblyQualifiedName}; its assembly must be part of the application (listed in its deps.json) or still exist at {location}.");
    }

    private static bool IsClosureSingleton(object instance)
    {
        Type t = instance.GetType();
        return t.Name.StartsWith("<>c", StringComparison.Ordinal)
            && !t.Name.Contains("DisplayClass", StringComparison.Ordinal)
            && t.GetField("<>9", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(null) == instance;
    }

    private static IEnumerable<FieldInfo> SubclassFields(Type type)
    {
        for (Type? t = type; t is not null && t != typeof(WorkerProcess); t = t.BaseType)
        {
            foreach (FieldInfo f in t.GetFields(InstanceFields))
            {
                yield return f;
            }
        }
    }

    private static string FieldKey(FieldInfo f) => f.DeclaringType!.FullName + "|" + f.Name;

    private static string AssemblyQualifiedName(Type t) =>
        t.AssemblyQualifiedName ?? throw new ArgumentException($"The type {t} has no assembly-qualified name and cannot be named in a worker.");
}
