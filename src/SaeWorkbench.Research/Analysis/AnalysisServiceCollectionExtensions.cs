using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SaeWorkbench.Research.Analysis;

public static class AnalysisServiceCollectionExtensions
{
    /// <summary>Feature dashboards: the "sae-analyze" job, its store and reader, and the test-text service.</summary>
    public static IServiceCollection AddFeatureAnalysis(this IServiceCollection services)
    {
        services.TryAddSingleton<FeatureAnalysisStore>();
        services.TryAddSingleton<FeatureDashboardReader>();
        services.TryAddSingleton(sp => new Inference.ModelHost(computeDtypeOf: sp.GetService<Models.ModelRegistry>() is { } models ? models.ComputeDtypeOf : null));
        services.TryAddSingleton<TestTextService>();
        return services.AddJobKind<FeatureAnalysisJob>();
    }
}
