using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// Computes feature dashboards for every latent of a registered dictionary ("sae-analyze"), with progress and cancel;
/// a cancelled or failed run leaves the dictionary's previous analysis as it was.
/// </summary>
public sealed class FeatureAnalysisJob(WorkbenchPaths paths, ServerPathPolicy folders, JobLimits limits, IDbContextFactory<WorkbenchDbContext> dbFactory)
    : IJobKind
{
    public const string KindName = "sae-analyze";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => KindName;

    public string Description => "Feature dashboards for every latent of a dictionary: density, histograms, top and interval examples, logit effects, neighbours.";

    /// <summary>The key of a dictionary's metrics that names the analysis which measured them (absent: its training run did).</summary>
    public const string MetricsAnalysisKey = "analysis_id";

    /// <summary>Whether an analysis may store its measurement as the dictionary's metrics: none yet, or an earlier analysis's.</summary>
    public static bool AnalysisMayWriteMetrics(string metricsJson)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(metricsJson) is not System.Text.Json.Nodes.JsonObject o
                   || !o.ContainsKey("l0") || o.ContainsKey(MetricsAnalysisKey);
        }
        catch (JsonException) { return true; }
    }

    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        FeatureAnalysisRequest? request;
        try { request = parameters.Deserialize<FeatureAnalysisRequest>(Json); }
        catch (JsonException e) { return [$"parameters: {e.Message}"]; }
        return request is null ? ["parameters: missing"] : request.Validate(folders, limits, ShapeOf(request.DictionaryId));
    }

    /// <summary>The registered dictionary's sizes and its model's (null when either is unknown: then only the bounds apply).</summary>
    private AnalysisShape? ShapeOf(long dictionaryId)
    {
        if (dictionaryId < 1) return null;
        using var db = dbFactory.CreateDbContext();
        var d = db.Dictionaries.AsNoTracking().Where(x => x.Id == dictionaryId).Select(x => new { x.DIn, x.DSae, x.ModelPath }).FirstOrDefault();
        if (d is null || string.IsNullOrWhiteSpace(d.ModelPath)) return null;
        try
        {
            // The model folder was recorded by the server (a confined import or a training run), not typed by the requester.
            var config = HuggingFaceModels.Inspect(paths.Resolve(d.ModelPath));
            var (bytes, flop) = JobLimits.ModelCost(config);
            return new AnalysisShape(d.DIn, d.DSae, config.ContextLength, bytes, flop);
        }
        catch (Exception e) when (e is LanguageModelFolderException or IOException or ArgumentException or System.Text.Json.JsonException
                                      or InvalidDataException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    public object? Run(JobContext context)
    {
        var request = context.Parameters.Deserialize<FeatureAnalysisRequest>(Json)!;
        using var db = context.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();
        var dictionary = db.Dictionaries.AsNoTracking().SingleOrDefault(d => d.Id == request.DictionaryId)
                         ?? throw new ArgumentException($"dictionaryId: there is no dictionary #{request.DictionaryId}");
        if (string.IsNullOrWhiteSpace(dictionary.ModelPath))
            throw new ArgumentException($"dictionary #{dictionary.Id} has no model folder recorded; register it with its model to analyse it");
        var store = context.Services.GetRequiredService<FeatureAnalysisStore>();
        // The runner confines the corpus again: the row may predate the rule or a change of the import roots.
        var corpus = folders.Folder(request.Corpus) is { FullPath: { } c } ? c : throw new ArgumentException($"corpus: {ServerPathPolicy.Refusal}");
        var outcome = FeatureAnalysisPipeline.Run(request, paths.Resolve(dictionary.ModelPath), dictionary.SaePath, corpus, store,
            context.JobId, (p, s) => context.Report(p, s), context.Cancellation,
            context.Services.GetRequiredService<Models.IModelComputeDtypes>().ComputeDtypeOf(paths.Resolve(dictionary.ModelPath)),
            Dictionaries.RegisteredSae.OptionsOf(dictionary));
        // A dictionary with metrics from its training run (here, or in the workbench a bundle came from) keeps them; one
        // without (an imported SAE) gets the analysis's measurement, marked with the analysis that made it, and a later
        // analysis replaces it.
        if (AnalysisMayWriteMetrics(dictionary.MetricsJson))
        {
            var measured = outcome.Metrics.DeepClone().AsObject();
            measured[MetricsAnalysisKey] = outcome.AnalysisId;
            var metricsJson = measured.ToJsonString();
            db.Dictionaries.Where(d => d.Id == dictionary.Id).ExecuteUpdate(s => s.SetProperty(d => d.MetricsJson, metricsJson));
        }
        return new { dictionaryId = dictionary.Id, analysisId = outcome.AnalysisId, tokens = outcome.TokensAnalysed, latents = outcome.Latents, dead = outcome.Dead };
    }
}
