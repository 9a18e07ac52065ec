using System.Reflection;

namespace Multiprocessing.WorkerHost;

/// <summary>Loads the library by name (through the app's deps file) and hands control to its worker bootstrap.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Assembly library = Assembly.Load(new AssemblyName("Multiprocessing"));
        Type bootstrap = library.GetType("Multiprocessing.Processes.WorkerBootstrap", throwOnError: true)!;
        MethodInfo main = bootstrap.GetMethod("Main", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)!;
        return main.CreateDelegate<Func<string[], int>>()(args);
    }
}
