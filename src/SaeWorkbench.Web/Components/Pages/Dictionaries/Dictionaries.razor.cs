using System.Text.Json;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using MudBlazor;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Pages.Dictionaries;

public partial class Dictionaries : IDisposable
{
    private IReadOnlyList<SaeDictionary> _dictionaries = [];
    private readonly Dictionary<long, Dictionary<string, double>> _metrics = [];
    private readonly List<(SaeDictionary Dictionary, SaeWorkbench.Research.Analysis.DictionaryAnalysisSummary Summary)> _summaries = [];
    private TrainingForm _form = new();
    private IReadOnlyList<string> _hooks = [];
    private string? _modelError;
    private string? _modelHelp;
    private IReadOnlyList<string> _errors = [];
    private IDisposable? _subscription;
    private long? _imported;
    private IReadOnlyDictionary<long, LabelCoverage> _coverage = new Dictionary<long, LabelCoverage>();
    private readonly HashSet<long> _curvesOpen = [];
    private readonly Dictionary<long, ImportInfo> _imports = [];
    private SaeWorkbench.Research.Demo.DemoStatus? _demo;

    /// <summary>Rows of one imported release sit together under its name.</summary>
    private TableGroupDefinition<SaeDictionary> _byRelease = null!;

    [Inject] private DictionaryRegistry Registry { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Analysis.FeatureDashboardReader Dashboards { get; set; } = default!;
    [Inject] private JobService Jobs { get; set; } = default!;
    [Inject] private SaeWorkbench.Research.Demo.DemoWorkspace Demo { get; set; } = default!;
    [Inject] private ModelFolders Models { get; set; } = default!;
    [Inject] private WorkbenchEventBus Events { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _byRelease = new TableGroupDefinition<SaeDictionary> { Selector = d => (_imports.TryGetValue(d.Id, out var i) ? i.Release : null) ?? "" };
        await LoadAsync();
        DescribeModel();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        // A training job that finishes registers a dictionary: refresh the table.
        _subscription = Events.Subscribe(e =>
        {
            // A training or analysis job that finishes changes the table or the summaries.
            if (e is JobUpdated { Job: { Kind: SaeTrainingJob.KindName or DictionaryImportJob.KindName or SaeWorkbench.Research.Analysis.FeatureAnalysisJob.KindName, State: SaeWorkbench.Data.Jobs.JobState.Succeeded } })
                _ = InvokeAsync(async () => { await LoadAsync(); StateHasChanged(); });
            // While the demo trains, its progress in the notice follows the job.
            else if (e is JobUpdated { Job: var job } && _demo is { } demo && job.Id == demo.JobId && _dictionaries.Count == 0)
                _ = InvokeAsync(() => { _demo = demo with { Progress = job.Progress }; StateHasChanged(); });
        });
    }

    private async Task LoadAsync()
    {
        _dictionaries = await Registry.ListAsync();
        _demo = _dictionaries.Count == 0 ? await Demo.StatusAsync() : null;
        _coverage = await Registry.CoverageAsync();
        _metrics.Clear();
        _summaries.Clear();
        _imports.Clear();
        foreach (var d in _dictionaries)
            if (ImportInfo.Parse(d.TrainingConfigJson) is { } info) _imports[d.Id] = info;
        // Releases first (by name), each member in name order; then everything else, newest first.
        _dictionaries = [.. _dictionaries.OrderBy(d => _imports.TryGetValue(d.Id, out var i) && i.Release is not null ? 0 : 1)
            .ThenBy(d => _imports.TryGetValue(d.Id, out var i) ? i.Release : null, StringComparer.Ordinal)
            .ThenBy(d => _imports.TryGetValue(d.Id, out var i) && i.Release is not null ? d.Name : "", StringComparer.Ordinal)
            .ThenByDescending(d => d.Id)];
        foreach (var d in _dictionaries)
            if (await Dashboards.GetSummaryAsync(d.Id) is { } summary) _summaries.Add((d, summary));
        foreach (var d in _dictionaries)
        {
            try { _metrics[d.Id] = JsonSerializer.Deserialize<Dictionary<string, double>>(d.MetricsJson) ?? []; }
            catch (JsonException) { _metrics[d.Id] = []; }
        }
    }

    /// <summary>"12 (0.3 %)": how many latents, and their share of the dictionary.</summary>
    private string Coverage(SaeDictionary d, Func<LabelCoverage, int> count)
    {
        var n = _coverage.TryGetValue(d.Id, out var c) ? count(c) : 0;
        return d.DSae > 0 ? $"{n:N0} ({(double)n / d.DSae:P1})" : n.ToString("N0");
    }

    private void ToggleCurves(long dictionaryId)
    {
        if (!_curvesOpen.Remove(dictionaryId)) _curvesOpen.Add(dictionaryId);
    }

    private async Task OnImportedAsync(long dictionaryId)
    {
        _imported = dictionaryId;
        await LoadAsync();
    }

    /// <summary>What a dictionary without a measurement shows: an imported one is measured by its analysis.</summary>
    private string NotMeasured(SaeDictionary d) => d.SourceJobId is null ? "not measured yet: run an analysis" : "not computed";

    /// <summary>Measured L0 when the dictionary has metrics, else the L0 it was published at (marked so).</summary>
    private string L0(SaeDictionary d) =>
        _metrics.TryGetValue(d.Id, out var m) && m.TryGetValue("l0", out var v) ? v.ToString("F1")
        : _imports.TryGetValue(d.Id, out var i) && i.PublishedL0 is { } p ? $"{p:0.#} (published; {NotMeasured(d)})" : NotMeasured(d);

    private string Metric(SaeDictionary d, string name, string format) =>
        _metrics.TryGetValue(d.Id, out var m) && m.TryGetValue(name, out var v) && double.IsFinite(v) ? v.ToString(format) : NotMeasured(d);

    /// <summary>k for TopK-like dictionaries, λ for the others (what fixed their sparsity), after the width.</summary>
    private static string Sparsity(SaeDictionary d) =>
        d.K is { } k ? $" · k {k}" : d.SparsityCoefficient is { } l ? $" · λ {l:G3}" : "";

    /// <summary>
    /// Dead latents as the summary counts them (docs/science.md §4: density 0 over the analysed tokens), so the table and
    /// the summary show one number; before an analysis there is none.
    /// </summary>
    private string Dead(SaeDictionary d) =>
        _summaries.FirstOrDefault(s => s.Dictionary.Id == d.Id) is { Summary: { } s }
            ? $"{s.Dead:N0} ({(s.Latents > 0 ? (double)s.Dead / s.Latents : 0):P1})"
            : "not analysed yet";

    private void DescribeModel()
    {
        var (hooks, dModel, error) = Models.Describe(_form.Model);
        _hooks = hooks;
        _modelError = error;
        _modelHelp = error is null ? $"d_model {dModel}, {hooks.Count} hook points" : null;
        if (error is null && !hooks.Contains(_form.Hook))
        {
            // Default to a middle layer's residual stream, where SAEs usually find the most interpretable features.
            var residual = hooks.Where(h => h.EndsWith(".hook_resid_post", StringComparison.Ordinal)).ToList();
            _form.Hook = residual.Count > 0 ? residual[residual.Count / 2] : hooks[0];
        }
    }

    private async Task StartAsync()
    {
        var user = (await AuthState).User;
        var request = new SaeTrainingRequest
        {
            Model = _form.Model, Corpus = _form.Corpus, Hook = _form.Hook, Arch = _form.RequestArch, HookOut = _form.Kind == "sae" ? "" : _form.HookOut ?? "",
            Latents = _form.Latents, K = _form.K,
            L1 = _form.L1, L0 = _form.L0, TargetK = _form.TargetK, Bandwidth = _form.Bandwidth, InitialThreshold = _form.InitialThreshold, Tokens = _form.Tokens, BatchSize = _form.BatchSize, LearningRate = _form.LearningRate, BufferTokens = _form.BufferTokens, Name = _form.Name ?? "",
        };
        try
        {
            var job = await Jobs.EnqueueAsync(SaeTrainingJob.KindName, JsonSerializer.Serialize(request, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
                user.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value);
            Navigation.NavigateTo($"jobs/{job.Id}");
        }
        catch (Exception e) when (Refusals.Of(e) is { } errors)
        {
            _errors = errors;
        }
    }

    public void Dispose() => _subscription?.Dispose();

    /// <summary>The form's fields start at the training request's defaults (SaeTrainingDefaults: one place for them).</summary>
    private sealed class TrainingForm
    {
        private static readonly SaeTrainingRequest Defaults = new();

        public string Model { get; set; } = "models/demo-gpt2";
        public string Corpus { get; set; } = "data/corpora/sotu";
        public string Hook { get; set; } = "";
        public string Arch { get; set; } = Defaults.Arch;

        /// <summary>sae, transcoder or skip-transcoder (docs/science.md §12).</summary>
        public string Kind { get; set; } = "sae";

        public string? HookOut { get; set; }

        /// <summary>The request's arch: the sparsity rule alone for an SAE, e.g. "batchtopk-skip-transcoder" for a transcoder.</summary>
        public string RequestArch => Kind == "sae" ? Arch : $"{Arch}-{Kind}";
        public int Latents { get; set; } = Defaults.Latents;
        public int K { get; set; } = Defaults.K;
        public double L1 { get; set; } = Defaults.L1;
        public double L0 { get; set; } = Defaults.L0;
        public bool TargetK { get; set; } = Defaults.TargetK;
        public double Bandwidth { get; set; } = Defaults.Bandwidth;
        public double InitialThreshold { get; set; } = Defaults.InitialThreshold;
        public long Tokens { get; set; } = Defaults.Tokens;
        public int BatchSize { get; set; } = Defaults.BatchSize;
        public double LearningRate { get; set; } = Defaults.LearningRate;
        public int BufferTokens { get; set; } = Defaults.BufferTokens;
        public string? Name { get; set; }
    }
}
