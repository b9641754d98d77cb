using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Demo;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research;

public static class ResearchServiceCollectionExtensions
{
    /// <summary>Application services: events, jobs, accounts, dictionaries, features, labelling.</summary>
    public static IServiceCollection AddResearch(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkbenchEventBus>();
        services.TryAddSingleton<JobSignal>();
        // The one rule for paths users name, and the job limits (hosts without settings get the defaults).
        services.TryAddSingleton(sp => new Settings.ServerPathPolicy(sp.GetRequiredService<Settings.WorkbenchPaths>(),
            sp.GetService<Settings.WorkbenchSettings>() ?? new Settings.WorkbenchSettings()));
        services.TryAddSingleton(sp => sp.GetService<Settings.WorkbenchSettings>()?.Jobs.Limits ?? new JobLimits());
        services.TryAddSingleton<JobService>();
        services.TryAddScoped<AccountService>();
        services.TryAddSingleton<UserPreferences>();
        services.AddJobKind<SelfCheckJob>();
        // Dictionaries: training job, registry, model folders, the demo, and the feature catalog.
        services.TryAddSingleton<DictionaryRegistry>();
        services.AddJobKind<SaeTrainingJob>();
        services.TryAddSingleton<ModelFolders>();
        services.TryAddSingleton<DictionaryImporter>();
        services.TryAddSingleton<Models.ModelFolderInspector>();
        services.TryAddSingleton<Models.ModelRegistry>();
        services.TryAddSingleton<Models.IModelComputeDtypes>(sp => sp.GetRequiredService<Models.ModelRegistry>());
        services.AddJobKind<DictionaryImportJob>();
        services.TryAddSingleton<DemoWorkspace>();
        services.TryAddSingleton<FeatureCatalog>();
        services.TryAddSingleton<ListTotals>();
        services.TryAddSingleton(TimeProvider.System);
        // Per-user budgets for each kind of work and the log-in throttle (Workbench:RateLimits).
        services.TryAddSingleton(sp => sp.GetService<Settings.WorkbenchSettings>()?.RateLimits ?? new Limits.RateLimits());
        services.TryAddSingleton<Limits.UserRateLimiter>();
        services.TryAddSingleton<Limits.LoginThrottle>();
        services.TryAddSingleton<TokenText>();
        // Labelling: one transaction runner (it holds the SQLite writer gate), the service, audit, API tokens.
        services.TryAddSingleton<LabellingTransactions>();
        services.TryAddSingleton<LabellingService>();
        services.TryAddSingleton<AuditQueryService>();
        services.TryAddSingleton<ApiTokenService>();
        Collaboration.CollaborationServiceCollectionExtensions.AddCollaboration(services);
        // Feature analysis: the sae-analyze job, its store and reader, test text.
        Analysis.AnalysisServiceCollectionExtensions.AddFeatureAnalysis(services);
        // Crowd labelling: queue, agreement, detection scoring.
        Crowd.CrowdServiceCollectionExtensions.AddCrowdLabelling(services);
        // Steering comparisons.
        Steering.SteeringServiceCollectionExtensions.AddSteering(services);
        // Export, import and label carry-over.
        Export.ExportServiceCollectionExtensions.AddExports(services);
        // Machine explanations and scores: sampler, providers, explain and score jobs.
        Explanations.ExplanationServiceCollectionExtensions.AddExplanations(services);
        return services;
    }

    /// <summary>Runs queued jobs in this process.</summary>
    public static IServiceCollection AddJobRunner(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => JobWorkerIdentity.FromSettings(sp.GetRequiredService<Settings.WorkbenchSettings>().Jobs, "web"));
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
