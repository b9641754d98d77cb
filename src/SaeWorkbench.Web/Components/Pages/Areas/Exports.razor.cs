using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.CarryOver;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Pages.Areas;

public partial class Exports : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private List<SaeDictionary> _dictionaries = [];
    private List<JobSnapshot> _jobs = [];
    private IDisposable? _subscription;
    private Actor? _actor;
    private bool _canExport, _canSuggest, _isAdmin, _importing, _busy, _contexts = true, _pseudonymise;
    private string _format = "bundle";
    private long _dictionaryId, _carryTarget;
    private string _only = "all";
    private string? _error, _notice;

    [Inject] private JobService JobService { get; set; } = default!;
    [Inject] private DictionaryRegistry Registry { get; set; } = default!;
    [Inject] private BundleImporter Importer { get; set; } = default!;
    [Inject] private LabelCarryOver CarryOver { get; set; } = default!;
    [Inject] private WorkbenchPaths Paths { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        var role = _actor?.Role ?? Role.Viewer;
        _canExport = Permissions.Can(role, WorkbenchAction.Export);
        _canSuggest = Permissions.Can(role, WorkbenchAction.SuggestCarryOver);
        _isAdmin = Permissions.Can(role, WorkbenchAction.ImportBundle);
        _dictionaries = (await Registry.ListAsync()).ToList();
        _dictionaryId = _carryTarget = _dictionaries.FirstOrDefault()?.Id ?? 0;
        if (_canExport) _jobs = (await JobService.ListAsync(500)).Where(j => j.Kind == ExportJob.KindName).ToList();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender || !_canExport) return;
        _subscription = Events.Subscribe(e =>
        {
            if (e is JobUpdated { Job.Kind: ExportJob.KindName } u) _ = InvokeAsync(() => { Upsert(u.Job); StateHasChanged(); });
        });
    }

    private void Upsert(JobSnapshot job)
    {
        var i = _jobs.FindIndex(j => j.Id == job.Id);
        if (i >= 0) _jobs[i] = job;
        else _jobs.Insert(0, job);
    }

    private async Task ExportAsync()
    {
        (_error, _notice) = (null, null);
        if (_actor is null || !_actor.Can(WorkbenchAction.Export)) { _error = Permissions.Refusal(_actor?.Role ?? Role.Viewer, WorkbenchAction.Export); return; }
        var request = new ExportRequest { DictionaryId = _dictionaryId, Only = _only, Contexts = _contexts, Pseudonymise = _pseudonymise, Format = _format };
        try
        {
            Upsert(await JobService.EnqueueAsync(ExportJob.KindName, JsonSerializer.Serialize(request, Json), _actor.UserId));
        }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
        }
    }

    private async Task ImportAsync(InputFileChangeEventArgs e)
    {
        (_error, _notice) = (null, null);
        if (_actor is null || !_actor.Can(WorkbenchAction.ImportBundle)) { _error = Permissions.Refusal(_actor?.Role ?? Role.Viewer, WorkbenchAction.ImportBundle); return; }
        _importing = true;
        var uploads = Path.Combine(Paths.DataDirectory, "imports", ".uploads");
        Directory.CreateDirectory(uploads);
        var file = Path.Combine(uploads, $"{Guid.NewGuid():N}.zip");
        try
        {
            await using (var input = e.File.OpenReadStream(Endpoints.ExportEndpoints.MaxImportBytes))
            await using (var output = File.Create(file))
                await input.CopyToAsync(output);
            var result = await Importer.ImportAsync(file, _actor);
            _notice = result.Created
                ? $"Imported as dictionary #{result.DictionaryId}: {result.Latents:N0} latents, {result.Interpretations:N0} interpretations, {result.Votes:N0} votes, {result.PlaceholderAccounts} new placeholder accounts."
                : $"This bundle was imported before (dictionary #{result.DictionaryId}); nothing changed.";
            _dictionaries = (await Registry.ListAsync()).ToList();
        }
        catch (Exception ex) when (Refusals.Message(ex) is { } message)
        {
            _error = $"Bundle refused: {message}";
        }
        finally
        {
            File.Delete(file);
            _importing = false;
        }
    }

    private async Task SuggestAsync()
    {
        (_error, _notice, _busy) = (null, null, true);
        try
        {
            var r = await CarryOver.SuggestAsync(_actor!, _carryTarget);
            if (r.Succeeded)
                _notice = r.Value!.SourceDictionaryIds.Count == 0
                    ? "No older dictionary is on the same model and hook."
                    : $"{r.Value.Matches:N0} matched latents (cosine ≥ 0.9) against dictionaries {string.Join(", ", r.Value.SourceDictionaryIds.Select(i => "#" + i))}; {r.Value.Suggestions:N0} new label suggestions.";
            else _error = r.Message;
        }
        catch (Exception ex) when (Refusals.Message(ex) is { } message)
        {
            _error = message;
        }
        finally { _busy = false; }
    }

    private async Task CarryAllAsync()
    {
        (_error, _notice, _busy) = (null, null, true);
        try
        {
            var r = await CarryOver.CarryAllAsync(_actor!, _carryTarget);
            if (r.Succeeded) _notice = $"{r.Value:N0} labels carried over as your interpretations.";
            else _error = r.Message;
        }
        finally { _busy = false; }
    }

    private string DictionaryOf(JobSnapshot job)
    {
        var id = JsonDocument.Parse(job.ParametersJson).RootElement.TryGetProperty("dictionaryId", out var d) && d.TryGetInt64(out var v) ? v : 0;
        var name = _dictionaries.FirstOrDefault(x => x.Id == id)?.Name;
        return name is null ? $"#{id}" : $"#{id} {name}";
    }

    private static string Summary(JobSnapshot job)
    {
        if (job.ResultJson is null) return "";
        var r = JsonDocument.Parse(job.ResultJson).RootElement;
        string Get(string name) => r.TryGetProperty(name, out var v) ? v.ToString() : "?";
        return $"{Get("only")} · {Get("latents")} latents · {Get("labelled")} labelled · {(Get("pseudonymised") == "True" ? "pseudonymised" : "named authors")}";
    }

    public void Dispose() => _subscription?.Dispose();
}
