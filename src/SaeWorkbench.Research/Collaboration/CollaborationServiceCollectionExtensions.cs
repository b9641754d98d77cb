using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SaeWorkbench.Research.Collaboration;

public static class CollaborationServiceCollectionExtensions
{
    /// <summary>The workspace settings and notifications services (the labelling services themselves are in AddResearch).</summary>
    public static IServiceCollection AddCollaboration(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkspaceSettingsService>();
        services.TryAddSingleton<NotificationService>();
        return services;
    }
}
