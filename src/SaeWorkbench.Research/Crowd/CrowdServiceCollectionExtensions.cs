using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SaeWorkbench.Research.Crowd;

public static class CrowdServiceCollectionExtensions
{
    /// <summary>The labelling queue, agreement and human detection scoring.</summary>
    public static IServiceCollection AddCrowdLabelling(this IServiceCollection services)
    {
        services.TryAddSingleton<LabellingQueueService>();
        services.TryAddSingleton<ReviewQueueService>();
        services.TryAddSingleton<AgreementService>();
        services.TryAddSingleton<DetectionScoringService>();
        return services;
    }
}
