using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Pages.Jobs;

public partial class Jobs : IDisposable
{
    private List<JobSnapshot> _jobs = [];
    private IDisposable? _subscription;
    private string? _error;
    private int _size = 1024;
    private int _repeats = 20;

    [Inject] private JobService JobService { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync() => _jobs = (await JobService.ListAsync()).ToList();

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        // A job may change between the load above and this subscription (its last event then never reaches the page), so
        // the list is read once more now; updates arriving during that read are applied again after it, in order.
        List<JobSnapshot>? pending = [];
        _subscription = Events.Subscribe(e =>
        {
            if (e is JobUpdated u) _ = InvokeAsync(() => { if (pending is not null) pending.Add(u.Job); else { Upsert(u.Job); StateHasChanged(); } });
        });
        _ = InvokeAsync(async () =>
        {
            _jobs = (await JobService.ListAsync()).ToList();
            foreach (var job in pending) Upsert(job);
            pending = null;
            StateHasChanged();
        });
    }

    private void Upsert(JobSnapshot job)
    {
        var i = _jobs.FindIndex(j => j.Id == job.Id);
        if (i >= 0) _jobs[i] = job;
        else _jobs.Insert(0, job);
    }

    private async Task StartSelfCheckAsync()
    {
        _error = null;
        var user = (await AuthState).User;
        var userId = user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        var parameters = JsonSerializer.Serialize(new { size = _size, repeats = _repeats });
        try
        {
            var role = SaeWorkbench.Research.Labelling.Services.Actor.From(user)?.Role ?? Role.Viewer;
            if (!Permissions.Can(role, WorkbenchAction.QueueJob))
                throw new JobValidationException([Permissions.Refusal(role, WorkbenchAction.QueueJob)]);
            Upsert(await JobService.EnqueueAsync(SelfCheckJob.KindName, parameters, userId));
        }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
        }
    }

    private SaeWorkbench.Research.Labelling.Services.Actor? _actor;

    protected override async Task OnParametersSetAsync() =>
        _actor = SaeWorkbench.Research.Labelling.Services.Actor.From((await AuthState).User);

    private bool CanCancel(JobSnapshot job) => !job.IsFinished && JobService.CanCancel(job, _actor);

    private async Task CancelAsync(JobSnapshot job)
    {
        if (!JobService.CanCancel(job, _actor)) { _error = "Only the job's owner or an Admin can cancel it."; return; }
        if (!await JobService.CancelAsync(job.Id)) _error = $"Job {job.Id} has already finished.";
    }

    private static Color StateColor(JobState s) => s switch
    {
        JobState.Succeeded => Color.Success,
        JobState.Failed => Color.Error,
        JobState.Cancelled => Color.Default,
        JobState.Running => Color.Info,
        _ => Color.Warning,
    };

    public void Dispose() => _subscription?.Dispose();
}
