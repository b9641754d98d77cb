using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Components.Labelling;

/// <summary>
/// A latent's interpretations, votes, reviews and comments. Every write goes through <see cref="LabellingService"/>
/// (which authorises it); changes by anyone re-render every open panel of the latent live, without touching what the
/// viewer is typing (the form fields are separate from the view).
/// </summary>
public partial class LabellingPanel : IDisposable
{
    private LatentLabelling? _view;
    private Actor? _actor;
    private IDisposable? _subscription;
    private string? _error;
    private string? _label;
    private string? _description;
    private string? _tag;
    private int _confidence = 3;
    private string? _comment;
    private string? _reviewReason;
    private long? _editing; // the interpretation whose editor is open
    private readonly HashSet<long> _history = [];
    private Taxonomy _taxonomy = Taxonomy.Default;

    [Parameter, EditorRequired] public long LatentId { get; set; }

    /// <summary>Raised (on the renderer) when the latent's consensus changes, so the page header can refresh.</summary>
    [Parameter] public EventCallback OnConsensusChanged { get; set; }
    [Inject] private LabellingService Labelling { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Collaboration.WorkspaceSettingsService Settings { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private bool CanWrite => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.WriteInterpretation);
    private bool CanReview => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.Review);
    private const string CommentLabel = "Add a comment (Markdown; @name mentions notify people)";
    private string Preview => MarkdownRenderer.Default.Render(_description) is { IsValid: true } r ? r.Html : "";

    protected override async Task OnParametersSetAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _taxonomy = await Settings.TaxonomyAsync();
        await ReloadAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _subscription = Events.Subscribe(e =>
        {
            var latent = e switch
            {
                InterpretationCreated x => x.LatentId,
                InterpretationEdited x => x.LatentId,
                InterpretationDeleted x => x.LatentId,
                VoteChanged x => x.LatentId,
                CommentAdded x => x.LatentId,
                InterpretationReviewed x => x.LatentId,
                ConsensusChanged x => x.LatentId,
                _ => -1,
            };
            if (latent != LatentId) return;
            _ = InvokeAsync(async () =>
            {
                await ReloadAsync();
                StateHasChanged();
                if (e is ConsensusChanged) await OnConsensusChanged.InvokeAsync();
            });
        });
    }

    private async Task ReloadAsync()
    {
        var result = await Labelling.GetLatentAsync(_actor, LatentId);
        if (result.Succeeded) _view = result.Value;
        else _error = result.Message;
    }

    private async Task CreateAsync()
    {
        var result = await Labelling.CreateInterpretationAsync(_actor!, LatentId, new InterpretationDraft(_label, _description, _confidence, _tag));
        if (Handle(result)) { _label = null; _description = null; _tag = null; _confidence = 3; }
    }

    private async Task VoteAsync(InterpretationView i, int? value) => Handle(await Labelling.VoteAsync(_actor!, i.Id, value));

    private async Task ReviewAsync(InterpretationView i, ReviewStatus decision)
    {
        if (Handle(await Labelling.ReviewAsync(_actor!, i.Id, decision, _reviewReason))) _reviewReason = null;
    }

    private async Task CommentAsync()
    {
        if (Handle(await Labelling.AddCommentAsync(_actor!, LatentId, _comment))) _comment = null;
    }

    /// <summary>Shows a refusal's messages; returns whether the write happened (the event then refreshes the view).</summary>
    private bool Handle<T>(Outcome<T> result)
    {
        _error = result.Succeeded ? null : result.Message;
        return result.Succeeded;
    }

    private string TagName(string key) => _taxonomy.Find(key)?.Name ?? key;

    private bool CanDelete => _actor is not null && Permissions.Can(_actor.Role, WorkbenchAction.Delete);
    private long? _confirmDelete;

    private async Task DeleteAsync(InterpretationView i)
    {
        _confirmDelete = null;
        Handle(await Labelling.DeleteInterpretationAsync(_actor!, i.Id));
    }

        private bool CanEdit(InterpretationView i) => _actor is not null && Permissions.CanEditInterpretation(_actor.Role, _actor.UserId, i.AuthorId);

    private void ToggleHistory(long id)
    {
        if (!_history.Remove(id)) _history.Add(id);
    }

    private static Color StatusColor(string status) => status switch
    {
        "Accepted" => Color.Success,
        "Rejected" => Color.Error,
        _ => Color.Default,
    };

    public void Dispose() => _subscription?.Dispose();
}
