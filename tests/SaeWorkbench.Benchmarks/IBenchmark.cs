namespace SaeWorkbench.Benchmarks;

/// <summary>One benchmark. Implementations are discovered by reflection; add a class, nothing else.</summary>
public interface IBenchmark
{
    /// <summary>Short name used on the command line, e.g. "sae-topk".</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs and prints its results (and goals met or missed) to <paramref name="output"/>.</summary>
    void Run(TextWriter output, IReadOnlyList<string> args);
}
