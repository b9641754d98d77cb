using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;

namespace SaeWorkbench.Research;

public static class ResearchServiceCollectionExtensions
{
    /// <summary>Application services: events, jobs (service, runner and built-in kinds), accounts.</summary>
    public static IServiceCollection AddResearch(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkbenchEventBus>();
        services.TryAddSingleton<JobSignal>();
        services.TryAddSingleton<JobService>();
        services.TryAddScoped<AccountService>();
        services.TryAddSingleton<UserPreferences>();
        services.AddJobKind<SelfCheckJob>();
        services.TryAddSingleton<SaeWorkbench.Research.Dictionaries.DictionaryRegistry>();
        services.AddJobKind<SaeWorkbench.Research.Dictionaries.SaeTrainingJob>();
        services.TryAddSingleton<SaeWorkbench.Research.Dictionaries.ModelFolders>();
        SaeWorkbench.Research.Analysis.AnalysisServiceCollectionExtensions.AddFeatureAnalysis(services);
        return services;
    }

    /// <summary>Runs queued jobs in this process.</summary>
    public static IServiceCollection AddJobRunner(this IServiceCollection services)
    {
        services.TryAddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }

    public static IServiceCollection AddJobKind<T>(this IServiceCollection services) where T : class, IJobKind
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobKind, T>());
        return services;
    }
}
