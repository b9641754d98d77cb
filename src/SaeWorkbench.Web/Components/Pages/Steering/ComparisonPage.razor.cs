using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SaeWorkbench.Data.Steering;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Pages.Steering;

/// <summary>
/// A saved comparison's permalink (§5): settings, outputs, reviews, re-run and the blind review. A Labeler who
/// has not reviewed it sees the labelled outputs only after choosing to (then the review is not blind). Reviews by others
/// appear live.
/// </summary>
public partial class ComparisonPage : IDisposable
{
    private SteeringComparisonView? _view;
    private Actor? _actor;
    private BlindPair? _pair;
    private bool _reviewed;
    private bool _revealed;
    private bool? _guessFirst;
    private SteeringEffect? _effect;
    private int? _coherence;
    private string? _comment;
    private string? _error;
    private bool _rerunning;
    private bool? _rerunIdentical;
    private IDisposable? _subscription;

    [Parameter] public long Id { get; set; }
    [Inject] private SteeringService Steering { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private bool CanRun => _actor is not null && _actor.Can(WorkbenchAction.RunSteering);
    private bool CanReview => _actor is not null && _actor.Can(WorkbenchAction.ReviewComparison) && !_reviewed;
    private bool IsAuthor => _actor is not null && _view?.AuthorId == _actor.UserId;
    private bool CanReviewBlind => CanReview && !IsAuthor && !_revealed && _pair is null;
    private bool CanReviewOpen => CanReview && _pair is null && (_revealed || IsAuthor);
    private bool ShowOutputs => _pair is { Submitted: true } || !CanReview || IsAuthor || _revealed;

    protected override async Task OnParametersSetAsync()
    {
        _actor = Actor.From((await AuthState).User);
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _view = await Steering.GetAsync(Id);
        if (_view is null || _actor is null) return;
        _reviewed = await Steering.HasReviewedAsync(_actor, Id);
        _pair = await Steering.MyBlindReviewAsync(_actor, Id);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _subscription = Events.Subscribe(e =>
        {
            if (e is SteeringReviewSubmitted r && r.ComparisonId == Id)
                _ = InvokeAsync(async () =>
                {
                    _view = await Steering.GetAsync(Id);
                    StateHasChanged();
                });
        });
    }

    private async Task OpenBlindAsync() => await Attempt(async () => _pair = await Steering.OpenBlindReviewAsync(_actor!, Id));

    private async Task SubmitBlindAsync()
    {
        if (_guessFirst is null) { _error = "Say which continuation, A or B, you think is the intervened one."; return; }
        await SubmitAsync(_guessFirst);
    }

    private Task SubmitOpenAsync() => SubmitAsync(null);

    private async Task SubmitAsync(bool? guess)
    {
        if (_effect is null || _coherence is null) { _error = "Rate whether the effect is present and the coherence (1–5)."; return; }
        await Attempt(async () =>
        {
            await Steering.SubmitReviewAsync(_actor!, Id, new ReviewInput(guess, _effect.Value, _coherence.Value, _comment));
            await LoadAsync();
        });
    }

    private async Task RerunAsync()
    {
        _rerunning = true;
        await Attempt(async () =>
        {
            var run = await Steering.RerunAsync(_actor!, Id);
            _rerunIdentical = _view!.Result.Samples.Count == run.Result.Samples.Count && _view.Result.Samples.Zip(run.Result.Samples).All(p =>
                p.First.Baseline.TokenIds.SequenceEqual(p.Second.Baseline.TokenIds) && p.First.Steered.TokenIds.SequenceEqual(p.Second.Steered.TokenIds));
        });
        _rerunning = false;
    }

    private async Task Attempt(Func<Task> action)
    {
        _error = null;
        if (_actor is null) return;
        try { await action(); }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
