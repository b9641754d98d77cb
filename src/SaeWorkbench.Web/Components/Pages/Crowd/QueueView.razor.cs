using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Components.Pages.Crowd;

/// <summary>
/// The queue view: the claimed latent's evidence and the labelling form on one screen, driven by the
/// keyboard (wwwroot/queue.js). While one latent is shown, the evidence of the latent the queue will most likely hand
/// out next is loaded in the background, so that it appears at once after a submit or skip.
/// </summary>
public partial class QueueView : IAsyncDisposable
{
    private ScopeView? _scope;
    private Actor? _actor;
    private QueueAssignment? _assignment;
    private QueueProgress? _progress;
    private FeatureDashboardView? _dashboard;
    private SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? _tokenizer;
    private IReadOnlyList<TaxonomyTag> _tags = [];
    private readonly ConcurrentDictionary<long, Task<FeatureDashboardView?>> _prefetched = new();
    private string? _tag, _label, _description, _skipReason, _error, _fatal;
    private int _confidence = 3;
    private bool _loaded, _busy, _skipping, _focusSkip, _leaveFields;
    private ElementReference _labelInput, _skipInput;
    private IJSObjectReference? _module;

    [Parameter] public long ScopeId { get; set; }
    [Inject] private LabellingQueueService Queue { get; set; } = default!;
    [Inject] private FeatureDashboardReader Dashboards { get; set; } = default!;
    [Inject] private TokenText Tokens { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Dictionaries.DictionaryRegistry Registry { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _scope = await Queue.GetScopeAsync(ScopeId);
        if (_scope is null) { _fatal = $"There is no labelling scope #{ScopeId}."; return; }
        if (_actor is null || !Permissions.Can(_actor.Role, WorkbenchAction.LabelInQueue))
        {
            _fatal = Permissions.Refusal(_actor?.Role ?? Role.Viewer, WorkbenchAction.LabelInQueue);
            return;
        }
        _tags = await Queue.TagsAsync();
        _tokenizer = Tokens.TokenizerFor(await Registry.ModelPathAsync(_scope.DictionaryId));
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && _fatal is null && _scope is not null)
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "/queue.js");
            await LoadNextAsync();
            StateHasChanged();
            return;
        }
        if (_focusSkip) { _focusSkip = false; await _skipInput.FocusAsync(); }
        if (_leaveFields && _module is not null) { _leaveFields = false; await _module.InvokeVoidAsync("leaveFields"); }
    }

    private async Task LoadNextAsync()
    {
        var next = await Queue.NextAsync(_actor!, ScopeId);
        if (!next.Succeeded) { _fatal = next.Message; return; }
        _assignment = next.Value!.Assignment;
        _progress = next.Value.Progress;
        _dashboard = _assignment is null ? null : await DashboardAsync(_assignment.LatentId);
        (_tag, _label, _description, _confidence, _error, _skipping, _skipReason) = (null, null, null, 3, null, false, null);
        _loaded = true;
        _leaveFields = true;
        if (_assignment is not null) _ = PrefetchAsync(_assignment.LatentId);
    }

    private Task<FeatureDashboardView?> DashboardAsync(long latentId) =>
        _prefetched.TryRemove(latentId, out var ready) ? ready : Dashboards.GetAsync(latentId);

    /// <summary>Loads the evidence of the latent the queue would hand out after <paramref name="current"/>.</summary>
    private async Task PrefetchAsync(long current)
    {
        try
        {
            var peek = await Queue.PeekAsync(_actor!, ScopeId, current);
            if (peek is not null) _prefetched.TryAdd(peek.LatentId, Dashboards.GetAsync(peek.LatentId));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or OperationCanceledException) { }
    }

    private async Task SubmitAsync()
    {
        if (_assignment is null || _busy) return;
        _busy = true;
        try
        {
            var result = await Queue.SubmitAsync(_actor!, ScopeId, _assignment.LatentId, new InterpretationDraft(_label, _description, _confidence, _tag));
            if (result.Succeeded) await LoadNextAsync();
            else _error = result.Message;
        }
        finally { _busy = false; }
    }

    private void StartSkip()
    {
        _skipping = true;
        _focusSkip = true;
    }

    private async Task SkipAsync()
    {
        if (_assignment is null || _busy) return;
        _busy = true;
        try
        {
            var result = await Queue.SkipAsync(_actor!, ScopeId, _assignment.LatentId, _skipReason);
            if (result.Succeeded) await LoadNextAsync();
            else { _error = result.Message; _focusSkip = true; }
        }
        finally { _busy = false; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try { await _module.DisposeAsync(); } catch (JSDisconnectedException) { }
        }
    }
}
