using Bunit;
using MudBlazor.Services;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>A bUnit context with MudBlazor's services and loose JS interop, disposed asynchronously (MudBlazor services are IAsyncDisposable only).</summary>
public abstract class MudComponentTest : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    protected MudComponentTest()
    {
        Context.Services.AddMudServices();
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
