using SaeWorkbench.Research.Labelling;
using System.Globalization;
using Microsoft.AspNetCore.Components;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Steering;

/// <summary>
/// Runs a comparison or a strength sweep through <see cref="SteeringService"/> (which checks role, limits and rate and
/// queues it on the model's inference queue), streams it into a <see cref="SteeringLive"/> and saves it (a sweep: one
/// chosen column against the baseline).
/// </summary>
public partial class SteeringRunPanel : IDisposable
{
    private string? _prompt = "The state of the union is";
    private double _temperature = 0.5;
    private double _topP = 1.0;
    private int _maxTokens = 256;
    private long _seed = 1;
    private int _samples = 1;
    private PositionScope _scope = PositionScope.All;
    private string? _positions;
    private bool _includeBos;
    private string? _sweep;

    private bool _running;
    private string? _error;
    private CancellationTokenSource? _cancel;
    private SteeringLive? _live;
    private IReadOnlyList<string> _headings = [];
    private string _runPrompt = "";
    private long _runSeed;
    private SteeringRun? _finished;
    private SteeringSweepRun? _sweepRun;
    private int _saveColumn;
    private string? _title;
    private string? _tags;
    private DateTime _lastRender;

    [Parameter, EditorRequired] public SteeringForm Form { get; set; } = default!;
    [Parameter, EditorRequired] public IReadOnlyList<SteerableDictionary> Dictionaries { get; set; } = [];
    [Parameter] public Actor? Actor { get; set; }
    /// <summary>The dictionary changed: the page resets what depends on it.</summary>
    [Parameter] public EventCallback<long> OnDictionaryChanged { get; set; }

    [Inject] private SteeringService Steering { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private bool CanRun => Actor is not null && Actor.Can(WorkbenchAction.RunSteering);

    protected override void OnParametersSet()
    {
        if (_sweep is null && Form.Rows.FirstOrDefault(r => r.Latent is not null && r.Kind != InterventionKind.Ablate) is { } row) _sweep = SweepAround(row.Value);
    }

    /// <summary>A sweep around a strength: half, once and twice it, plus 0 for the unsteered reference.</summary>
    private static string SweepAround(double alpha) =>
        string.Join(", ", new[] { 0, alpha / 2, alpha, 2 * alpha }.Select(a => Math.Round(a, 3).ToString(CultureInfo.InvariantCulture)));

    private async Task DictionaryChanged(long id)
    {
        Form.DictionaryId = id;
        // Latents are per dictionary: the chosen ones belong to the old one.
        foreach (var row in Form.Rows) row.Latent = null;
        await OnDictionaryChanged.InvokeAsync(id);
    }

    private void LatentChosen(InterventionRow row, SteerableLatent? latent)
    {
        row.Latent = latent;
        if (latent is null || row.Kind == InterventionKind.Ablate) return;
        row.Value = latent.DefaultStrength;
        _sweep = SweepAround(latent.DefaultStrength);
    }

    private SteeringRequest BuildRequest() => new()
    {
        DictionaryId = Form.DictionaryId, Prompt = _prompt ?? "", Temperature = _temperature, TopP = _topP, MaxNewTokens = _maxTokens,
        Seed = _seed, Samples = _samples, Scope = _scope, Positions = _scope == PositionScope.Listed ? ParseNumbers(_positions, "positions", int.Parse) : [],
        IncludeBos = _includeBos, Interventions = Form.Interventions(),
    };

    private static T[] ParseNumbers<T>(string? text, string field, Func<string, IFormatProvider, T> parse) =>
        (text ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries).Select(p =>
        {
            try { return parse(p, CultureInfo.InvariantCulture); }
            catch (FormatException) { throw new ArgumentException($"{field}: '{p}' is not a number"); }
            catch (OverflowException) { throw new ArgumentException($"{field}: '{p}' is out of range"); }
        }).ToArray();

    private Task RunAsync() => StreamAsync(async ct =>
    {
        var request = BuildRequest();
        Start(request.Samples, ["Intervened"], request);
        _finished = await Steering.RunAsync(Actor!, request, p => OnProgress(p.QueuePosition, p.Step is { } s ? () => _live!.Apply(s) : null), ct);
        _title ??= $"{string.Join(", ", request.Interventions.Select(i => $"{i.Kind} #{i.Latent}"))} on \u201C{Shorten(request.Prompt)}\u201D";
    });

    private Task SweepAsync() => StreamAsync(async ct =>
    {
        var sweep = new SteeringSweepRequest { Request = BuildRequest(), Strengths = ParseNumbers(_sweep, "sweep strengths", double.Parse) };
        Start(sweep.Request.Samples, sweep.Strengths.Select(a => FormattableString.Invariant($"α = {a:G4}")).ToList(), sweep.Request);
        _sweepRun = await Steering.SweepAsync(Actor!, sweep, p => OnProgress(p.QueuePosition, p.Step is { } s ? () => _live!.Apply(s) : null), ct);
        // Offer the column at the form's own strength (else the strongest) for saving: α = 0 is only the reference.
        var own = sweep.Request.Interventions.FirstOrDefault(i => i.Kind != InterventionKind.Ablate)?.Value;
        var match = sweep.Strengths.ToList().FindIndex(a => own is { } v && a == v);
        _saveColumn = match >= 0 ? match : sweep.Strengths.Count - 1;
        _title ??= $"{string.Join(", ", sweep.Request.Interventions.Select(i => $"{i.Kind} #{i.Latent}"))} on \u201C{Shorten(sweep.Request.Prompt)}\u201D";
    });

    private void Start(int samples, IReadOnlyList<string> headings, SteeringRequest request)
    {
        _headings = headings;
        _runPrompt = request.Prompt;
        _runSeed = request.Seed;
        _live = new SteeringLive(samples, headings.Count);
    }

    /// <summary>The one catch list of a run: refusals and bad input become the form's message.</summary>
    private async Task StreamAsync(Func<CancellationToken, Task> run)
    {
        if (Actor is null || _running) return;
        _error = null;
        _finished = null;
        _sweepRun = null;
        _live = null;
        _running = true;
        _cancel = new CancellationTokenSource();
        try
        {
            await run(_cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _error = "Cancelled.";
        }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
        }
        finally
        {
            _running = false;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>Called on the inference thread: records the step in the live snapshot and asks for a render at most every 50 ms.</summary>
    private void OnProgress(int? queuePosition, Action? applyStep)
    {
        if (queuePosition is { } q) _live?.Queued(q);
        applyStep?.Invoke();
        var now = DateTime.UtcNow;
        if (applyStep is null || now - _lastRender > TimeSpan.FromMilliseconds(50))
        {
            _lastRender = now;
            _ = InvokeAsync(StateHasChanged);
        }
    }

    private void Cancel() => _cancel?.Cancel();

    private async Task SaveAsync()
    {
        var run = _sweepRun is { } sweep ? sweep.Comparison(_saveColumn) : _finished;
        if (Actor is null || run is null) return;
        try
        {
            var id = await Steering.SaveAsync(Actor, run, _title ?? "", _tags);
            Navigation.NavigateTo($"steering/{id}");
        }
        catch (Exception e) when (Refusals.Message(e) is { } message)
        {
            _error = message;
        }
    }

    public void Dispose() => _cancel?.Cancel();
}
