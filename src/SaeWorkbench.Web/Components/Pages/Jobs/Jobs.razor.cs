using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;

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
            // Same bar as the API's Labeler policy: the role mapping lives in Actor.
            if ((SaeWorkbench.Research.Labelling.Services.Actor.From(user)?.Role ?? SaeWorkbench.Research.Labelling.Role.Viewer) < SaeWorkbench.Research.Labelling.Role.Labeler)
                throw new JobValidationException(["Your role (Viewer) cannot start jobs."]);
            Upsert(await JobService.EnqueueAsync(SelfCheckJob.KindName, parameters, userId));
        }
        catch (Exception e) when (e is JobValidationException or SaeWorkbench.Research.Limits.RateLimitedException)
        {
            _error = e.Message;
        }
    }

    private string? _userId;
    private bool _isAdmin;

    protected override async Task OnParametersSetAsync()
    {
        var user = (await AuthState).User;
        _userId = user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        _isAdmin = user.IsInRole(SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin);
    }

    private bool CanCancel(JobSnapshot job) => !job.IsFinished && JobService.CanCancel(job, _userId, _isAdmin);

    private async Task CancelAsync(JobSnapshot job)
    {
        if (!JobService.CanCancel(job, _userId, _isAdmin)) { _error = "Only the job's owner or an Admin can cancel it."; return; }
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
