using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Steering;

public static class SteeringServiceCollectionExtensions
{
    /// <summary>Steering comparisons: limits from <c>Workbench:Steering</c>, and the service (model runs count against <see cref="Limits.UserRateLimiter"/>).</summary>
    public static IServiceCollection AddSteering(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetService<WorkbenchSettings>()?.Steering ?? new SteeringLimits());
        services.TryAddSingleton<SteeringService>();
        services.TryAddSingleton<SteeringCatalog>();
        return services;
    }
}
