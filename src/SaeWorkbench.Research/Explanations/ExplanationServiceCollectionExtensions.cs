using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SaeWorkbench.Research.Explanations;

public static class ExplanationServiceCollectionExtensions
{
    /// <summary>Machine explanations and scores (docs/science.md §13): the shared context sampler.</summary>
    public static IServiceCollection AddExplanations(this IServiceCollection services)
    {
        services.TryAddSingleton<ScoringContextSampler>();
        return services;
    }
}
