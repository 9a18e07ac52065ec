using System.Text;

namespace Multiprocessing.Processes;

/// <summary>
/// What the parent tells the child: who it is and what to run. Written with a plain binary writer rather than
/// MessagePack so that a worker without arguments starts without loading or generating any serializer.
/// </summary>
internal sealed class WorkerSpec
{
    private const byte FormatVersion = 2;

    internal const byte KindDelegate = 0;
    internal const byte KindSubclass = 1;

    internal const byte TargetStatic = 0;
    internal const byte TargetClosureSingleton = 1;

    internal byte Kind { get; init; }

    internal required string Name { get; init; }

    internal bool Daemon { get; init; }

    internal bool QuickExit { get; init; }

    internal int ParentPid { get; init; }

    internal ulong ParentStartTime { get; init; }

    internal required string ParentName { get; init; }

    /// <summary>The assembly-qualified name of the type that declares the method, or of the WorkerProcess subclass.</summary>
    internal required string TypeName { get; init; }

    /// <summary>Where that type's assembly was loaded from in the parent, for assemblies the deps file does not list.</summary>
    internal required string AssemblyLocation { get; init; }

    /// <summary>For a delegate: the method's metadata token (exact even for overloads and compiler-generated names).</summary>
    internal int MethodToken { get; init; }

    internal string MethodName { get; init; } = "";

    internal byte TargetKind { get; init; }

    internal string[] MethodGenericArguments { get; init; } = [];

    /// <summary>For a delegate: the arguments, each serialized as its parameter's type; for a subclass: the fields.</summary>
    internal byte[][] Values { get; init; } = [];

    /// <summary>For a subclass: "declaring type full name|field name" of each value.</summary>
    internal string[] FieldKeys { get; init; } = [];

    internal byte[] Encode()
    {
        using MemoryStream ms = new();
        using (BinaryWriter w = new(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatVersion);
            w.Write(Kind);
            w.Write(Name);
            w.Write(Daemon);
            w.Write(QuickExit);
            w.Write(ParentPid);
            w.Write(ParentStartTime);
            w.Write(ParentName);
            w.Write(TypeName);
            w.Write(AssemblyLocation);
            w.Write(MethodToken);
            w.Write(MethodName);
            w.Write(TargetKind);
            WriteStrings(w, MethodGenericArguments);
            WriteStrings(w, FieldKeys);
            w.Write(Values.Length);
            foreach (byte[] v in Values)
            {
                w.Write(v.Length);
                w.Write(v);
            }
        }

        return ms.ToArray();
    }

    internal static WorkerSpec Decode(ReadOnlySpan<byte> bytes)
    {
        using MemoryStream ms = new(bytes.ToArray());
        using BinaryReader r = new(ms, Encoding.UTF8);
        byte version = r.ReadByte();
        if (version != FormatVersion)
        {
            throw new InvalidDataException(
                $"The worker spec has format version {version}, but this library reads version {FormatVersion}; the parent and the worker must use the same Multiprocessing version.");
        }

        byte kind = r.ReadByte();
        string name = r.ReadString();
        bool daemon = r.ReadBoolean();
        bool quickExit = r.ReadBoolean();
        int ppid = r.ReadInt32();
        ulong pstart = r.ReadUInt64();
        string pname = r.ReadString();
        string type = r.ReadString();
        string location = r.ReadString();
        int token = r.ReadInt32();
        string method = r.ReadString();
        byte targetKind = r.ReadByte();
        string[] generic = ReadStrings(r);
        string[] keys = ReadStrings(r);
        byte[][] values = new byte[r.ReadInt32()][];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadBytes(r.ReadInt32());
        }

        return new WorkerSpec
        {
            Kind = kind,
            Name = name,
            Daemon = daemon,
            QuickExit = quickExit,
            ParentPid = ppid,
            ParentStartTime = pstart,
            ParentName = pname,
            TypeName = type,
            AssemblyLocation = location,
            MethodToken = token,
            MethodName = method,
            TargetKind = targetKind,
            MethodGenericArguments = generic,
            FieldKeys = keys,
            Values = values,
        };
    }

    private static void WriteStrings(BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (string s in values)
        {
            w.Write(s);
        }
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        string[] values = new string[r.ReadInt32()];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadString();
        }

        return values;
    }
}
