using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Web.Components.Pages.Steering;

/// <summary>
/// Runs a comparison through <see cref="SteeringService"/> (which checks role, limits and rate, and queues it on the
/// model's inference queue), streams both columns as tokens arrive, saves it; ablation on a fixed text; the saved list.
/// Opened from a feature page with <c>?dictionary=&amp;latent=&amp;strength=</c> it is prefilled with that latent.
/// </summary>
public partial class SteeringPage : IDisposable
{
    private sealed record DictionaryChoice(long Id, string Name, string HookName, int DSae, string? ModelPath);

    private sealed class InterventionRow
    {
        public int Latent { get; set; }
        public InterventionKind Kind { get; set; } = InterventionKind.Add;
        public double Value { get; set; } = 10;
        public bool Unit { get; set; }
    }

    /// <summary>What the page shows of one sample while it streams.</summary>
    private sealed class LiveSample
    {
        public List<SideToken> Baseline { get; } = [];
        public List<SideToken> Steered { get; } = [];
        public List<double?> Kl { get; } = [];
    }

    private List<DictionaryChoice> _dictionaries = [];
    private long _dictionaryId;
    private string? _prompt = "The state of the union is";
    private double _temperature = 0.5;
    private double _topP = 1.0;
    private int _maxTokens = 256;
    private long _seed = 1;
    private int _samples = 1;
    private readonly List<InterventionRow> _rows = [];
    private PositionScope _scope = PositionScope.All;
    private string? _positions;
    private bool _includeBos;
    private bool _ablationIncludeBos;

    private Actor? _actor;
    private bool _running;
    private int? _queuePosition;
    private string? _error;
    private CancellationTokenSource? _cancel;
    private readonly Lock _liveGate = new();
    private List<LiveSample> _live = [];
    private string _runPrompt = "";
    private long _runSeed;
    private SteeringRun? _finished;
    private string? _title;
    private string? _tags;

    private string? _ablationText;
    private int? _ablationPosition;
    private TextAblationResult? _ablation;
    private SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? _tokenizer;

    private string? _search;
    private IReadOnlyList<SteeringComparisonSummary> _saved = [];
    private IDisposable? _subscription;
    private DateTime _lastRender;

    [SupplyParameterFromQuery(Name = "dictionary")] public long? QueryDictionary { get; set; }
    [SupplyParameterFromQuery(Name = "latent")] public int? QueryLatent { get; set; }
    [SupplyParameterFromQuery(Name = "strength")] public double? QueryStrength { get; set; }

    [Inject] private SteeringService Steering { get; set; } = default!;
    [Inject] private IDbContextFactory<WorkbenchDbContext> DbFactory { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [Inject] private TokenText Tokens { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private bool CanRun => _actor is not null && _actor.Can(WorkbenchAction.RunSteering);

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        await using var db = await DbFactory.CreateDbContextAsync();
        _dictionaries = await db.Dictionaries.AsNoTracking().Where(d => d.ModelPath != null).OrderByDescending(d => d.Id)
            .Select(d => new DictionaryChoice(d.Id, d.Name, d.HookName, d.DSae, d.ModelPath)).ToListAsync();
        _dictionaryId = QueryDictionary is { } qd && _dictionaries.Any(d => d.Id == qd) ? qd : _dictionaries.FirstOrDefault()?.Id ?? 0;
        if (QueryLatent is { } latent)
        {
            var strength = QueryStrength is { } s && double.IsFinite(s) ? s : await Steering.DefaultStrengthAsync(_dictionaryId, latent) ?? 10;
            _rows.Add(new InterventionRow { Latent = latent, Kind = InterventionKind.Add, Value = Math.Round(strength, 4) });
        }
        else _rows.Add(new InterventionRow());
        _saved = await Steering.ListAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        _subscription = Events.Subscribe(e =>
        {
            if (e is SteeringComparisonSaved or SteeringReviewSubmitted) _ = InvokeAsync(async () => { await SearchAsync(_search); StateHasChanged(); });
        });
    }

    private SteeringRequest BuildRequest()
    {
        var positions = _scope == PositionScope.Listed ? ParsePositions(_positions) : [];
        return new SteeringRequest
        {
            DictionaryId = _dictionaryId, Prompt = _prompt ?? "", Temperature = _temperature, TopP = _topP, MaxNewTokens = _maxTokens,
            Seed = _seed, Samples = _samples, Scope = _scope, Positions = positions, IncludeBos = _includeBos,
            Interventions = _rows.Select(r => new LatentIntervention(r.Latent, r.Kind, r.Kind == InterventionKind.Ablate ? 0 : r.Value,
                r.Kind == InterventionKind.Add && r.Unit)).ToList(),
        };
    }

    private static int[] ParsePositions(string? text) =>
        (text ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
                : throw new ArgumentException($"'{p}' is not a token position")).ToArray();

    private async Task RunAsync()
    {
        if (_actor is null || _running) return;
        _error = null;
        _finished = null;
        _running = true;
        _queuePosition = null;
        _runPrompt = _prompt ?? "";
        _runSeed = _seed;
        _cancel = new CancellationTokenSource();
        try
        {
            var request = BuildRequest();
            lock (_liveGate) _live = Enumerable.Range(0, request.Samples).Select(_ => new LiveSample()).ToList();
            _finished = await Steering.RunAsync(_actor, request, OnProgress, _cancel.Token);
            _title ??= $"{string.Join(", ", request.Interventions.Select(i => $"{i.Kind} #{i.Latent}"))} on \u201C{Shorten(request.Prompt)}\u201D";
        }
        catch (OperationCanceledException)
        {
            _error = "Cancelled.";
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or RefusedException
                                      or SteeringRateLimitedException or InferenceQueueFullException)
        {
            _error = e.Message;
        }
        finally
        {
            _running = false;
            _queuePosition = null;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    /// <summary>Called on the inference thread: records the step and asks for a render at most every 50 ms.</summary>
    private void OnProgress(SteeringProgress p)
    {
        lock (_liveGate)
        {
            if (p.QueuePosition is { } q) _queuePosition = q;
            if (p.Step is { } step && step.Sample < _live.Count)
            {
                var live = _live[step.Sample];
                if (step.Baseline is { } b) live.Baseline.Add(b);
                if (step.Steered is { } st) live.Steered.Add(st);
                live.Kl.Add(step.Kl);
            }
        }
        var now = DateTime.UtcNow;
        if (p.Step is null || now - _lastRender > TimeSpan.FromMilliseconds(50))
        {
            _lastRender = now;
            _ = InvokeAsync(StateHasChanged);
        }
    }

    private void Cancel() => _cancel?.Cancel();

    private async Task SaveAsync()
    {
        if (_actor is null || _finished is null) return;
        try
        {
            var id = await Steering.SaveAsync(_actor, _finished, _title ?? "", _tags);
            Navigation.NavigateTo($"steering/{id}");
        }
        catch (Exception e) when (e is ArgumentException or RefusedException)
        {
            _error = e.Message;
        }
    }

    private async Task AblateAsync()
    {
        if (_actor is null) return;
        _error = null;
        try
        {
            var latents = _rows.Select(r => r.Latent).Distinct().ToList();
            _tokenizer ??= Tokens.TokenizerFor(_dictionaries.FirstOrDefault(d => d.Id == _dictionaryId)?.ModelPath);
            _ablation = await Steering.AblateTextAsync(_actor, _dictionaryId, _ablationText ?? "", latents, _ablationPosition, includeBos: _ablationIncludeBos);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or RefusedException or SteeringRateLimitedException or InferenceQueueFullException)
        {
            _error = e.Message;
            _ablation = null;
        }
    }

    private async Task SearchAsync(string? search)
    {
        _search = search;
        _saved = await Steering.ListAsync(search);
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _cancel?.Cancel();
    }
}
