using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SaeWorkbench.Research.Explanations.Providers;

namespace SaeWorkbench.Research.Explanations;

public static class ExplanationServiceCollectionExtensions
{
    /// <summary>Machine explanations and scores (docs/science.md §13): the shared context sampler, the provider
    /// settings, model accounts, the explain/score service and jobs.</summary>
    public static IServiceCollection AddExplanations(this IServiceCollection services)
    {
        services.TryAddSingleton<ScoringContextSampler>();
        // The provider key is encrypted with Data Protection; the web host configures the shared key ring, other
        // hosts (workers, tests) get the default one unless they configure it too.
        services.AddDataProtection();
        services.TryAddSingleton<ProviderSettingsService>();
        services.TryAddSingleton<ModelAccounts>();
        services.TryAddSingleton<MachineExplanationService>();
        services.TryAddSingleton<ExplanationEstimator>();
        services.TryAddSingleton<ExplanationScoreReader>();
        services.TryAddSingleton<MachineConsensusSetting>();
        services.AddJobKind<ExplainJob>();
        services.AddJobKind<ScoreJob>();
        return services;
    }
}
