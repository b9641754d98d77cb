using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SaeWorkbench.Research.Analysis;

public static class AnalysisServiceCollectionExtensions
{
    /// <summary>Feature dashboards: the "sae-analyze" job, its store and reader, the test-text and what-fires services, the feature page's reads.</summary>
    public static IServiceCollection AddFeatureAnalysis(this IServiceCollection services)
    {
        services.TryAddSingleton<FeatureAnalysisStore>();
        services.TryAddSingleton<FeatureDashboardReader>();
        services.TryAddSingleton<Inference.ModelHost>();
        services.TryAddSingleton<TestTextService>();
        services.TryAddSingleton<LatentPageReader>();
        services.TryAddSingleton<WhatFiresService>();
        return services.AddJobKind<FeatureAnalysisJob>();
    }
}
