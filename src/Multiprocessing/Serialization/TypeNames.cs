namespace Multiprocessing.Serialization;

/// <summary>Readable C#-style type names for messages ("Dictionary&lt;String, Int32&gt;").</summary>
internal static class TypeNames
{
    internal static string Display(Type t)
    {
        if (Nullable.GetUnderlyingType(t) is { } inner)
        {
            return Display(inner) + "?";
        }

        if (!t.IsGenericType)
        {
            return t.Name;
        }

        string name = t.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(", ", t.GetGenericArguments().Select(Display)) + ">";
    }

    /// <summary>A stable tag for a type, stored in segment headers so that opening with another T is refused.</summary>
    internal static string Tag(Type t) => Display(t);
}
