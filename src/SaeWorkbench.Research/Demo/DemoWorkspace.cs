using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Demo;

/// <summary>
/// The first start of a workbench seeds the demo: with the shipped demo model and the fetched demo corpus, it queues
/// the training of the demo dictionary (the training defaults of SaeTrainingDefaults: TopK, 4,096 latents, k = 32; on a
/// middle layer's residual stream), followed by
/// its analysis (feature dashboards over 500k tokens); both show their progress on the Jobs page. Runs once: not again when a demo job or any dictionary already exists.
/// </summary>
public sealed class DemoWorkspace(
    IDbContextFactory<WorkbenchDbContext> dbFactory,
    JobService jobs,
    WorkbenchPaths paths,
    WorkbenchSettings settings,
    ILogger<DemoWorkspace> logger)
{
    public const string DictionaryName = "Demo dictionary";

    /// <summary>
    /// The demo dictionary's training request for a model with <paramref name="layers"/> layers: the request's defaults
    /// (SaeTrainingDefaults) with a shuffle buffer of twice the default, and the analysis queued after it.
    /// </summary>
    public static SaeTrainingRequest DictionaryRequest(string model, int layers) => new()
    {
        Model = model,
        Corpus = Path.Combine("data", "corpora", "sotu"),
        Hook = $"blocks.{layers / 2}.hook_resid_post",
        BufferTokens = 2 * SaeTrainingDefaults.BufferTokens,
        AnalyzeTokens = 500_000,
        Name = DictionaryName,
    };

    /// <summary>
    /// Where the demo stands, for the pages that guide a new user: its training job, then its analysis job, then ready
    /// (the dictionary to open); null when this workbench never seeded it.
    /// </summary>
    public async Task<DemoStatus?> StatusAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // The demo's job is the training request named after the demo dictionary (the request serialises with web names).
        var marker = $"\"name\":{JsonSerializer.Serialize(DictionaryName)}";
        var training = await db.Jobs.AsNoTracking().Where(j => j.Kind == SaeTrainingJob.KindName && j.ParametersJson.Contains(marker))
            .OrderBy(j => j.Id).FirstOrDefaultAsync(ct);
        if (training is null) return null;
        if (!training.IsFinished) return new DemoStatus(DemoStage.Training, training.Id, training.Progress, null);
        if (training.State != Data.Jobs.JobState.Succeeded) return new DemoStatus(DemoStage.Failed, training.Id, training.Progress, null);
        long? dictionaryId = null, analysisJobId = null;
        try
        {
            using var result = JsonDocument.Parse(training.ResultJson ?? "{}");
            // analysisJobId is null when the run queued no analysis.
            if (result.RootElement.TryGetProperty("dictionaryId", out var d) && d.ValueKind == JsonValueKind.Number) dictionaryId = d.GetInt64();
            if (result.RootElement.TryGetProperty("analysisJobId", out var a) && a.ValueKind == JsonValueKind.Number) analysisJobId = a.GetInt64();
        }
        catch (JsonException) { }
        if (analysisJobId is { } analysisId
            && await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == analysisId, ct) is { IsFinished: false } analysis)
            return new DemoStatus(DemoStage.Analysing, analysis.Id, analysis.Progress, dictionaryId);
        return new DemoStatus(DemoStage.Ready, training.Id, 1, dictionaryId);
    }

    /// <summary>Queues the demo pipeline if this workbench has never run it. Returns the job id, or null.</summary>
    public async Task<long?> SeedAsync(CancellationToken ct = default)
    {
        var model = paths.Resolve(settings.DemoModel);
        var corpus = DemoCorpus.FolderUnder(paths.DataDirectory);
        if (!File.Exists(Path.Combine(model, HuggingFaceGpt2.ConfigFile)))
        {
            logger.LogWarning("Demo not seeded: no demo model in {Folder} (scripts/train-demo-model.sh builds it)", model);
            return null;
        }
        if (DemoCorpus.ReadSource(corpus) is null)
        {
            logger.LogWarning("Demo not seeded: the demo corpus is not in {Folder} (scripts/demo-corpus.sh fetches it)", corpus);
            return null;
        }
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await db.Dictionaries.AnyAsync(ct) || await db.Jobs.AnyAsync(j => j.Kind == SaeTrainingJob.KindName, ct)) return null;
        }
        var layers = HuggingFaceModels.Inspect(model).Layers;
        var request = DictionaryRequest(model, layers) with { Corpus = corpus };
        Events.JobSnapshot job;
        try
        {
            job = await jobs.EnqueueAsync(SaeTrainingJob.KindName, JsonSerializer.Serialize(request, new JsonSerializerOptions(JsonSerializerDefaults.Web)), null, ct);
        }
        catch (JobValidationException e)
        {
            // The demo's own job obeys the rules of any other (e.g. Workbench:ImportRoots without the demo's folders).
            logger.LogWarning("Demo not seeded: {Errors}", e.Message);
            return null;
        }
        logger.LogInformation("Seeded the demo workspace: job {JobId} trains the demo dictionary on {Hook}", job.Id, request.Hook);
        return job.Id;
    }
}

/// <summary>The demo's stages as a new user meets them.</summary>
public enum DemoStage
{
    /// <summary>The demo dictionary's training job is queued or running.</summary>
    Training,

    /// <summary>Trained; its feature dashboards are being computed.</summary>
    Analysing,

    /// <summary>Trained and analysed: ready to browse, label and steer.</summary>
    Ready,

    /// <summary>The training job failed or was cancelled.</summary>
    Failed,
}

/// <summary>The demo's stage, the job of that stage (its progress 0–1) and, once trained, its dictionary.</summary>
public sealed record DemoStatus(DemoStage Stage, long JobId, double Progress, long? DictionaryId);
