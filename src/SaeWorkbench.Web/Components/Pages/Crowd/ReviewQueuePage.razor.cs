using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Components.Pages.Crowd;

/// <summary>
/// The reviewer queue beside a scope's labelling queue: pending interpretations with accept and reject inline. The list
/// comes from <see cref="ReviewQueueService"/> (Reviewers and Admins; blind-mode rules applied there) and refreshes when
/// the scope's labelling changes.
/// </summary>
public partial class ReviewQueuePage : IDisposable
{
    private ScopeView? _scope;
    private Actor? _actor;
    private IReadOnlyList<ReviewQueueItem>? _items;
    private readonly Dictionary<long, string?> _reasons = [];
    private readonly Dictionary<long, string> _errors = [];
    private string? _fatal, _message;
    private bool _busy;
    private IDisposable? _subscription;
    private readonly Dictionary<long, SaeWorkbench.Research.Analysis.FeatureDashboardView?> _evidence = [];
    private SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? _tokenizer;

    [Parameter] public long ScopeId { get; set; }
    [Inject] private ReviewQueueService Reviews { get; set; } = default!;
    [Inject] private LabellingQueueService Queue { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Analysis.FeatureDashboardReader Dashboards { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Features.TokenText Tokens { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Dictionaries.DictionaryRegistry Registry { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _scope = await Queue.GetScopeAsync(ScopeId);
        if (_scope is null) { _fatal = $"There is no labelling scope #{ScopeId}."; return; }
        await LoadAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender || _fatal is not null) return;
        _subscription = Events.Subscribe(e =>
        {
            if (e is InterpretationCreated or InterpretationEdited or InterpretationDeleted or InterpretationReviewed)
                _ = InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); });
        });
    }

    private async Task LoadAsync()
    {
        if (_actor is null) { _fatal = Permissions.Refusal(Role.Viewer, WorkbenchAction.Review); return; }
        var pending = await Reviews.PendingAsync(_actor, ScopeId);
        if (pending.Succeeded) _items = pending.Value;
        else _fatal = pending.Message;
    }

    /// <summary>The latent's top contexts and samples, the same evidence the labeller saw, loaded on demand.</summary>
    private async Task ToggleEvidenceAsync(ReviewQueueItem item)
    {
        if (_evidence.Remove(item.LatentId)) return;
        _tokenizer ??= Tokens.TokenizerFor(await Registry.ModelPathAsync(item.DictionaryId));
        _evidence[item.LatentId] = await Dashboards.GetAsync(item.LatentId);
    }

    private string? ReasonFor(ReviewQueueItem item) => _reasons.GetValueOrDefault(item.InterpretationId);

    private async Task DecideAsync(ReviewQueueItem item, ReviewStatus decision)
    {
        if (_busy || _actor is null) return;
        _busy = true;
        try
        {
            var result = await Reviews.DecideAsync(_actor, ScopeId, item.InterpretationId, decision.ToString(), ReasonFor(item));
            if (!result.Succeeded) { _errors[item.InterpretationId] = result.Message; return; }
            _errors.Remove(item.InterpretationId);
            _reasons.Remove(item.InterpretationId);
            _message = $"{(decision == ReviewStatus.Accepted ? "Accepted" : "Rejected")} “{item.Label}” (latent #{item.LatentIndex}).";
            await LoadAsync();
        }
        finally { _busy = false; }
    }

    public void Dispose() => _subscription?.Dispose();
}
