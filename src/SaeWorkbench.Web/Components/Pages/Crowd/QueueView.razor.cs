using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using MudBlazor;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Components.Pages.Crowd;

/// <summary>
/// The queue view: a latent's evidence and the labelling form on one screen, driven by the keyboard (wwwroot/queue.js).
/// Opening the page claims nothing: it shows the latent the queue would hand out next (or the one the labeller already
/// holds) and "Start" claims it; after that, "Submit and next" and "Skip" move on. "Back" edits the last submission,
/// "My submissions" lists the labeller's work in the scope, and dense latents are left out unless the labeller includes
/// them (<c>?dense=include</c>). While one latent is shown, the evidence of the latent the queue will most likely hand
/// out next is loaded in the background, so that it appears at once after a submit or skip.
/// </summary>
public partial class QueueView : IAsyncDisposable
{
    private ScopeView? _scope;
    private Actor? _actor;
    private QueueAssignment? _assignment, _preview;
    private QueueProgress? _progress;
    private FeatureDashboardView? _dashboard;
    private SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? _tokenizer;
    private IReadOnlyList<TaxonomyTag> _tags = [];
    private IReadOnlyList<QueueSubmission> _submissions = [];
    private QueueSubmission? _lastSubmitted, _editing;
    private readonly ConcurrentDictionary<long, Task<FeatureDashboardView?>> _prefetched = new();
    private string? _tag, _label, _description, _skipReason, _error, _fatal;
    private int _confidence = 3, _denseLeftOut;
    private double _denseThreshold = LabellingQueuePolicy.DenseThreshold;
    private bool _loaded, _busy, _skipping, _focusSkip, _leaveFields, _includeDense;
    private ElementReference _labelInput;
    private MudTextField<string>? _skipInput;
    private IJSObjectReference? _module;

    [Parameter] public long ScopeId { get; set; }
    [SupplyParameterFromQuery(Name = "dense")] public string? Dense { get; set; }
    [Inject] private LabellingQueueService Queue { get; set; } = default!;
    [Inject] private FeatureDashboardReader Dashboards { get; set; } = default!;
    [Inject] private TokenText Tokens { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Dictionaries.DictionaryRegistry Registry { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private bool CanReview => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.Review);

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _includeDense = string.Equals(Dense, "include", StringComparison.OrdinalIgnoreCase);
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
            await LookAsync();
            await LoadSubmissionsAsync();
            StateHasChanged();
            return;
        }
        if (_focusSkip && _skipInput is not null) { _focusSkip = false; await _skipInput.FocusAsync(); }
        if (_leaveFields && _module is not null) { _leaveFields = false; await _module.InvokeVoidAsync("leaveFields"); }
    }

    /// <summary>Shows the held latent, or the next one without claiming it.</summary>
    private async Task LookAsync()
    {
        var look = await Queue.LookAsync(_actor!, ScopeId, _includeDense);
        if (!look.Succeeded) { _fatal = look.Message; return; }
        var v = look.Value!;
        (_assignment, _preview, _progress, _denseLeftOut, _denseThreshold) = (v.Held, v.Next, v.Progress, v.DenseLeftOut, v.DenseThreshold);
        var shown = _assignment ?? _preview;
        _dashboard = shown is null ? null : await DashboardAsync(shown.LatentId);
        ClearForm();
        _loaded = true;
    }

    /// <summary>Claims the next latent (Start, and after a submit or skip).</summary>
    private async Task LoadNextAsync()
    {
        var next = await Queue.NextAsync(_actor!, ScopeId, _includeDense);
        if (!next.Succeeded) { _fatal = next.Message; return; }
        _assignment = next.Value!.Assignment;
        _preview = null;
        _progress = next.Value.Progress;
        _dashboard = _assignment is null ? null : await DashboardAsync(_assignment.LatentId);
        ClearForm();
        _loaded = true;
        _leaveFields = true;
        if (_assignment is not null) _ = PrefetchAsync(_assignment.LatentId);
        else await RefreshDenseCountAsync();
    }

    private async Task RefreshDenseCountAsync()
    {
        var look = await Queue.LookAsync(_actor!, ScopeId, _includeDense);
        if (look.Succeeded) _denseLeftOut = look.Value!.DenseLeftOut;
    }

    private void ClearForm() => (_tag, _label, _description, _confidence, _error, _skipping, _skipReason) = (null, null, null, 3, null, false, null);

    private async Task LoadSubmissionsAsync()
    {
        var mine = await Queue.MySubmissionsAsync(_actor!, ScopeId);
        _submissions = mine.Succeeded ? mine.Value! : [];
    }

    private Task<FeatureDashboardView?> DashboardAsync(long latentId) =>
        _prefetched.TryRemove(latentId, out var ready) ? ready : Dashboards.GetAsync(latentId);

    /// <summary>Loads the evidence of the latent the queue would hand out after <paramref name="current"/>.</summary>
    private async Task PrefetchAsync(long current)
    {
        try
        {
            var peek = await Queue.PeekAsync(_actor!, ScopeId, current, _includeDense);
            if (peek is not null) _prefetched.TryAdd(peek.LatentId, Dashboards.GetAsync(peek.LatentId));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or OperationCanceledException) { }
    }

    private async Task RunAsync(Func<Task> work)
    {
        if (_busy) return;
        _busy = true;
        try { await work(); }
        finally { _busy = false; }
    }

    private Task StartAsync() => RunAsync(LoadNextAsync);

    private async Task IncludeDenseChangedAsync(bool include)
    {
        _includeDense = include;
        // The choice lives in the address, so that a reload or a shared link keeps it.
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("dense", include ? "include" : null), replace: true);
        await RunAsync(async () =>
        {
            if (_assignment is null && _editing is null) await LookAsync();
            else await RefreshDenseCountAsync();
        });
    }

    private Task SubmitAsync() => RunAsync(async () =>
    {
        if (_assignment is null) return;
        var result = await Queue.SubmitAsync(_actor!, ScopeId, _assignment.LatentId, new InterpretationDraft(_label, _description, _confidence, _tag));
        if (!result.Succeeded) { _error = result.Message; return; }
        await LoadSubmissionsAsync();
        _lastSubmitted = _submissions.FirstOrDefault(s => s.InterpretationId == result.Value!.Id);
        await LoadNextAsync();
    });

    private void StartSkip()
    {
        _skipping = true;
        _focusSkip = true;
    }

    private Task SkipAsync() => RunAsync(async () =>
    {
        if (_assignment is null) return;
        var result = await Queue.SkipAsync(_actor!, ScopeId, _assignment.LatentId, _skipReason, _includeDense);
        if (result.Succeeded) await LoadNextAsync();
        else { _error = result.Message; _focusSkip = true; }
    });

    /// <summary>"Back": edit the submission just made.</summary>
    private Task BackAsync() => _lastSubmitted is { } last ? EditAsync(last) : Task.CompletedTask;

    /// <summary>Opens one of the labeller's submissions in the form; the latent they hold (if any) stays held.</summary>
    private Task EditAsync(QueueSubmission submission) => RunAsync(async () =>
    {
        _editing = submission;
        _dashboard = await Dashboards.GetAsync(submission.LatentId);
        (_tag, _label, _description, _confidence, _error, _skipping) = (submission.Tag, submission.Label, submission.Description, submission.Confidence, null, false);
    });

    private Task SaveEditAsync() => RunAsync(async () =>
    {
        if (_editing is not { } edit) return;
        var result = await Queue.EditSubmissionAsync(_actor!, ScopeId, edit.InterpretationId, edit.Version, new InterpretationDraft(_label, _description, _confidence, _tag));
        if (!result.Succeeded)
        {
            _error = result.Kind == OutcomeKind.Conflict
                ? "Your interpretation was changed elsewhere since you opened it; reload the page to see the current version."
                : result.Message;
            return;
        }
        await LoadSubmissionsAsync();
        _lastSubmitted = _lastSubmitted?.InterpretationId == edit.InterpretationId
            ? _submissions.FirstOrDefault(s => s.InterpretationId == edit.InterpretationId) : _lastSubmitted;
        await ReturnFromEditAsync();
    });

    private Task CancelEditAsync() => RunAsync(ReturnFromEditAsync);

    private async Task ReturnFromEditAsync()
    {
        _editing = null;
        var shown = _assignment ?? _preview;
        _dashboard = shown is null ? null : await DashboardAsync(shown.LatentId);
        ClearForm();
        _leaveFields = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try { await _module.DisposeAsync(); } catch (JSDisconnectedException) { }
        }
    }
}
