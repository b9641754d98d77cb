using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Components.Pages.Crowd;

/// <summary>The scopes, their live progress, "Label next", and (Reviewers, Admins) a form to make a scope.</summary>
public partial class LabellingHome : IDisposable
{
    private sealed class ScopeForm
    {
        public long DictionaryId { get; set; }
        public string? Name { get; set; }
        public string Kind { get; set; } = "Dictionary";
        public string? Definition { get; set; }
        public int LabelsPerLatent { get; set; } = 1;
        public int ClaimMinutes { get; set; } = (int)LabellingQueuePolicy.DefaultClaimDuration.TotalMinutes;
        public QueuePriority Priority { get; set; } = QueuePriority.HighestActivationFirst;
        public bool IncludeDeadLatents { get; set; }
        public bool IsBlind { get; set; }
        public string? Guidelines { get; set; }
    }

    private IReadOnlyList<ScopeView> _scopes = [];
    private List<(long Id, string Name)> _dictionaries = [];
    private readonly ScopeForm _form = new();
    private Actor? _actor;
    private string? _error;
    private IDisposable? _subscription;

    [Inject] private LabellingQueueService Queue { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Dictionaries.DictionaryRegistry Registry { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private bool CanLabel => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.LabelInQueue);
    private bool CanReview => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.Review);
    private bool CanManage => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.ManageScopes);

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _dictionaries = (await Registry.ListAsync()).OrderBy(d => d.Id).Select(d => (d.Id, d.Name)).ToList();
        if (_dictionaries.Count > 0) _form.DictionaryId = _dictionaries[^1].Id;
        _scopes = await Queue.ListScopesAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _subscription = Events.Subscribe(e =>
        {
            if (e is ScopeCreated)
                _ = InvokeAsync(async () => { _scopes = await Queue.ListScopesAsync(); StateHasChanged(); });
        });
    }

    private async Task CreateAsync()
    {
        var result = await Queue.CreateScopeAsync(_actor!, new ScopeRequest(_form.DictionaryId, _form.Name, _form.Kind,
            _form.Kind == "Dictionary" ? null : _form.Definition, _form.IsBlind, _form.LabelsPerLatent, _form.ClaimMinutes, _form.Priority, _form.IncludeDeadLatents, _form.Guidelines));
        _error = result.Succeeded ? null : result.Message;
        if (result.Succeeded) _scopes = await Queue.ListScopesAsync();
    }

    public void Dispose() => _subscription?.Dispose();
}
