using System.Reflection;

namespace SaeWorkbench.Benchmarks;

// An explicit Main in a namespace: the referenced web project has its own global Program class.
internal static class BenchmarkProgram
{
    public static int Main(string[] args)
    {
        var all = Assembly.GetExecutingAssembly().GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name)
            .ToList();

        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine("usage: dotnet run -c Release --project tests/SaeWorkbench.Benchmarks -- [name ...] [-- benchmark args]");
            foreach (var b in all) Console.WriteLine($"  {b.Name,-20} {b.Description}");
            return 0;
        }

        var split = Array.IndexOf(args, "--");
        var names = (split < 0 ? args : args[..split]).ToHashSet();
        var rest = split < 0 ? Array.Empty<string>() : args[(split + 1)..];
        var chosen = names.Count == 0 ? all : all.Where(b => names.Contains(b.Name)).ToList();
        if (chosen.Count == 0) { Console.Error.WriteLine($"no benchmark named {string.Join(", ", names)}; --help lists them"); return 2; }
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical processors, {Environment.OSVersion}, .NET {Environment.Version}; {Measure.ReferenceWork()}");
        foreach (var b in chosen)
        {
            Console.WriteLine($"== {b.Name}: {b.Description}");
            b.Run(Console.Out, rest);
        }
        return 0;
    }
}
