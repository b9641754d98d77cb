using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// Computes feature dashboards for every latent of a registered dictionary ("sae-analyze"), with progress and cancel;
/// a cancelled or failed run leaves the dictionary's previous analysis as it was.
/// </summary>
public sealed class FeatureAnalysisJob(WorkbenchPaths paths) : IJobKind
{
    public const string KindName = "sae-analyze";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => KindName;

    public string Description => "Feature dashboards for every latent of a dictionary: density, histograms, top and interval examples, logit effects, neighbours.";

    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        FeatureAnalysisRequest? request;
        try { request = parameters.Deserialize<FeatureAnalysisRequest>(Json); }
        catch (JsonException e) { return [$"parameters: {e.Message}"]; }
        return request is null ? ["parameters: missing"] : request.Validate(Resolve);
    }

    public object? Run(JobContext context)
    {
        var request = context.Parameters.Deserialize<FeatureAnalysisRequest>(Json)!;
        var dbFactory = context.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        using var db = dbFactory.CreateDbContext();
        var dictionary = db.Dictionaries.AsNoTracking().SingleOrDefault(d => d.Id == request.DictionaryId)
                         ?? throw new ArgumentException($"dictionaryId: there is no dictionary #{request.DictionaryId}");
        if (string.IsNullOrWhiteSpace(dictionary.ModelPath))
            throw new ArgumentException($"dictionary #{dictionary.Id} has no model folder recorded; register it with its model to analyse it");
        var store = context.Services.GetRequiredService<FeatureAnalysisStore>();
        var outcome = FeatureAnalysisPipeline.Run(request, Resolve(dictionary.ModelPath), dictionary.SaePath, Resolve(request.Corpus), store,
            context.JobId, (p, s) => context.Report(p, s), context.Cancellation);
        return new { dictionaryId = dictionary.Id, analysisId = outcome.AnalysisId, tokens = outcome.TokensAnalysed, latents = outcome.Latents, dead = outcome.Dead };
    }

    private string Resolve(string path) => paths.Resolve(path);
}
