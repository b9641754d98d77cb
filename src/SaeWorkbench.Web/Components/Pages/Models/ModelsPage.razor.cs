using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Pages.Models;

/// <summary>
/// The Models page: registered models (with their compute dtype, memory estimate and where they are used), the folders
/// found under the import roots, the register-by-path form (Admins), and a model's hook points. Logic: <see cref="ModelRegistry"/>.
/// </summary>
public partial class ModelsPage
{
    private IReadOnlyList<RegisteredModelView>? _registered;
    private IReadOnlyList<FoundModel>? _found;
    private IReadOnlyList<HookPointView>? _hooks;
    private string _hooksOf = "";
    private string _scanDtype = ComputeDtypes.Float32;
    private string _registerDtype = ComputeDtypes.Float32;
    private string _path = "";
    private string? _name;
    private IReadOnlyList<string> _problems = [];
    private ModelFolderCheck? _checked;
    private string? _actionError;
    private bool _isAdmin, _canScan, _busy, _scanning;
    private Actor? _actor;

    [Inject] private ModelRegistry Registry { get; set; } = default!;
    [Inject] private ServerPathPolicy Folders { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private IReadOnlyList<string> Roots => Folders.Roots;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _isAdmin = _actor is not null && _actor.Can(WorkbenchAction.ManageModels);
        // As GET /api/models/found: the folders on the server's disk are listed to those who may name them in a form.
        _canScan = _actor is not null && _actor.Can(WorkbenchAction.ImportDictionary);
        _registered = await Registry.DescribeAsync();
        if (_canScan) await ScanAsync();
    }

    private async Task ScanAsync()
    {
        _scanning = true;
        try { _found = await Registry.ScanAsync(_scanDtype); }
        finally { _scanning = false; }
    }

    private async Task ScanDtypeChangedAsync(string dtype)
    {
        _scanDtype = dtype;
        await ScanAsync();
    }

    private void ShowHooks(string name, ModelFolderInfo? info)
    {
        if (info is null) return;
        _hooksOf = name;
        _hooks = HookPointView.Of(info);
    }

    private void Prefill(FoundModel found)
    {
        _path = found.Check.FullPath ?? found.Check.Path;
        _name = null;
        Check();
    }

    private void Check()
    {
        _checked = Registry.Check(_path, _registerDtype);
        _problems = _checked.Problems;
    }

    private async Task RegisterAsync()
    {
        if (_actor is null) return;
        _busy = true;
        try
        {
            var model = await Registry.RegisterAsync(new ModelRegistration(_path, _name, _registerDtype), _actor);
            _problems = [];
            _checked = null;
            _path = "";
            _name = null;
            Snackbar.Add($"Registered {model.Name}.", Severity.Success);
            await ReloadAsync();
        }
        catch (Exception e) when (Refusals.Of(e) is { } problems) { _problems = problems; _checked = null; }
        finally { _busy = false; }
    }

    private async Task SetDtypeAsync(long id, string dtype)
    {
        if (_actor is null) return;
        _actionError = null;
        try
        {
            await Registry.SetComputeDtypeAsync(id, dtype, _actor);
            _registered = await Registry.DescribeAsync();
        }
        catch (Exception e) when (Refusals.Message(e) is { } message) { _actionError = message; }
    }

    private async Task UnregisterAsync(RegisteredModelView view)
    {
        if (_actor is null) return;
        _actionError = null;
        try
        {
            await Registry.UnregisterAsync(view.Model.Id, _actor);
            Snackbar.Add($"Unregistered {view.Model.Name}; its folder is unchanged.", Severity.Info);
            await ReloadAsync();
        }
        catch (Exception e) when (Refusals.Message(e) is { } message) { _actionError = message; }
    }

    private async Task ReloadAsync()
    {
        _registered = await Registry.DescribeAsync();
        _found = _found is null ? null : await Registry.ScanAsync(_scanDtype);
    }

    /// <summary>A folder relative to the import root it is under, as a person would type it.</summary>
    private string Relative(string? folder)
    {
        if (folder is null) return "";
        var root = Roots.Where(r => ServerPathPolicy.IsInside(folder, [r])).OrderByDescending(r => r.Length).FirstOrDefault();
        return root is null ? folder : Path.Combine(Path.GetFileName(Path.TrimEndingDirectorySeparator(root)), Path.GetRelativePath(root, folder));
    }

    /// <summary>Parameters as researchers say them: 124M, 2.6B.</summary>
    internal static string Params(long parameters) => parameters switch
    {
        >= 1_000_000_000 => $"{parameters / 1e9:0.#}B",
        >= 1_000_000 => $"{parameters / 1e6:0.#}M",
        >= 1_000 => $"{parameters / 1e3:0.#}k",
        _ => parameters.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
