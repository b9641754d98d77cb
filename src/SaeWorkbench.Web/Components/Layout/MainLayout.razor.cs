using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using MudBlazor;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Accounts;

namespace SaeWorkbench.Web.Components.Layout;

public partial class MainLayout
{
    private bool _drawerOpen = true;
    private bool _darkMode;
    private bool _interactive; // true once the circuit is live (tests and scripts wait for it)
    private WorkbenchErrorBoundary? _errorBoundary;

    [Inject] private AuthenticationStateProvider Auth { get; set; } = default!;
    [Inject] private UserPreferences Preferences { get; set; } = default!;

    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }

    protected override async Task OnInitializedAsync()
    {
        if (await UserIdAsync() is { } id) _darkMode = await Preferences.GetDarkModeAsync(id);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _interactive = true;
        StateHasChanged();
    }

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private async Task ToggleThemeAsync()
    {
        _darkMode = !_darkMode;
        if (await UserIdAsync() is { } id) await Preferences.SetDarkModeAsync(id, _darkMode);
    }

    private void Recover() => _errorBoundary?.Recover();

    private async Task<string?> UserIdAsync()
    {
        if (AuthState is null) return null;
        var state = await AuthState;
        return state.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
    }
}
