using Microsoft.AspNetCore.Components;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;

namespace SaeWorkbench.Web.Components.Pages.Jobs;

/// <summary>One job with a live monitor: progress, ETA and a chart per reported metric (issue: live training monitor).</summary>
public partial class JobDetail : IDisposable
{
    /// <summary>Metrics drawn, in order, with their titles; others are ignored.</summary>
    private static readonly (string Name, string Title)[] Charts = SaeWorkbench.Web.Components.Shared.TrainingCurves.Charts;

    private readonly Dictionary<string, List<(double X, double Y)>> _series = [];
    private JobSnapshot? _job;
    private IDisposable? _subscription;

    [Parameter] public long Id { get; set; }
    [Inject] private JobService Jobs { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _job = await Jobs.GetAsync(Id);
        var user = (await AuthState).User;
        _canCancel = _job is not null && JobService.CanCancel(_job, user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            user.IsInRole(SaeWorkbench.Data.Accounts.WorkbenchRoles.Admin));
        _series.Clear();
        foreach (var point in await Jobs.MetricsAsync(Id)) Add(point.Step, point.Values);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _subscription = Events.Subscribe(e =>
        {
            switch (e)
            {
                case JobUpdated u when u.Job.Id == Id:
                    _ = InvokeAsync(() => { _job = u.Job; StateHasChanged(); });
                    break;
                case JobMetricLogged m when m.JobId == Id:
                    _ = InvokeAsync(() => { Add(m.Step, m.Values); StateHasChanged(); });
                    break;
            }
        });
    }

    private void Add(long step, IReadOnlyDictionary<string, double> values)
    {
        foreach (var (name, value) in values)
        {
            if (!_series.TryGetValue(name, out var list)) _series[name] = list = [];
            if (list.Count > 0 && list[^1].X >= step) continue; // already have it (reload race)
            list.Add((step, value));
        }
    }

    [CascadingParameter] private Task<Microsoft.AspNetCore.Components.Authorization.AuthenticationState> AuthState { get; set; } = default!;
    private bool _canCancel;

    private async Task CancelAsync()
    {
        if (_job is not null && _canCancel) await Jobs.CancelAsync(_job.Id);
    }

    public void Dispose() => _subscription?.Dispose();
}
