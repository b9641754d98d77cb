using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace SaeWorkbench.Web.Components.Layout;

/// <summary>Shows a friendly message instead of the page when it throws, and logs the details with a reference id.</summary>
public sealed class WorkbenchErrorBoundary : ErrorBoundary
{
    [Inject] private ILogger<WorkbenchErrorBoundary> Logger { get; set; } = default!;

    public string? ErrorId { get; private set; }

    protected override Task OnErrorAsync(Exception exception)
    {
        ErrorId = Guid.NewGuid().ToString("N")[..8];
        Logger.LogError(exception, "Unhandled error in a page (reference {ErrorId})", ErrorId);
        return Task.CompletedTask;
    }
}
