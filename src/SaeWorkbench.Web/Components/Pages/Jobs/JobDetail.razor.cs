using Microsoft.AspNetCore.Components;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;

namespace SaeWorkbench.Web.Components.Pages.Jobs;

/// <summary>One job with a live monitor: progress, ETA and a chart per reported metric, pushed as the job reports them.</summary>
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
        _canCancel = _job is not null && JobService.CanCancel(_job, SaeWorkbench.Research.Labelling.Services.Actor.From((await AuthState).User));
        _series.Clear();
        foreach (var point in await Jobs.MetricsAsync(Id)) Add(point.Step, point.Values);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        // The job may move on (or finish) between the load above and this subscription, and its last event would then
        // never reach the page: it is read once more now, and events arriving during that read are applied after it.
        List<WorkbenchEvent>? pending = [];
        _subscription = Events.Subscribe(e =>
        {
            if (e is JobUpdated { Job.Id: var job } && job == Id || e is JobMetricLogged { JobId: var metricJob } && metricJob == Id)
                _ = InvokeAsync(() => { if (pending is not null) pending.Add(e); else { Apply(e); StateHasChanged(); } });
        });
        _ = InvokeAsync(async () =>
        {
            var job = await Jobs.GetAsync(Id);
            var metrics = await Jobs.MetricsAsync(Id);
            if (job is not null) _job = job;
            _series.Clear();
            foreach (var point in metrics) Add(point.Step, point.Values);
            foreach (var e in pending) Apply(e);
            pending = null;
            StateHasChanged();
        });
    }

    private void Apply(WorkbenchEvent e)
    {
        if (e is JobUpdated u) _job = u.Job;
        else if (e is JobMetricLogged m) Add(m.Step, m.Values);
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
