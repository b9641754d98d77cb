using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Demo;

/// <summary>
/// The first start of a workbench seeds the demo: with the shipped demo model and the fetched demo corpus, it queues
/// the training of the demo dictionary (TopK, 4,096 latents, k = 32, a middle layer's residual stream), followed by
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

    /// <summary>The demo dictionary's training request for a model with <paramref name="layers"/> layers.</summary>
    public static SaeTrainingRequest DictionaryRequest(string model, int layers) => new()
    {
        Model = model,
        Corpus = Path.Combine("data", "corpora", "sotu"),
        Hook = $"blocks.{layers / 2}.hook_resid_post",
        Arch = "topk",
        Latents = 4096,
        K = 32,
        Tokens = 2_000_000,
        BatchSize = 4096,
        LearningRate = 4e-4,
        BufferTokens = 1 << 17,
        AnalyzeTokens = 500_000,
        Name = DictionaryName,
    };

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
