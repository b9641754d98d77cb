using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Explanations.Providers;

namespace SaeWorkbench.Research.Explanations;

/// <summary>
/// What a job would cost before it starts: requests, tokens (prompt tokens measured on the prompts of a few of its
/// latents at about four characters per token; completion tokens at most the reply limit) and, once a job of the kind
/// has run against the endpoint, the time from its measured seconds per request and the concurrency limit.
/// Items already done are left out, as the job will skip them.
/// </summary>
public sealed record ExplanationEstimate(string Kind, int Items, int AlreadyDone, int Requests, long PromptTokens, long MaxCompletionTokens,
    double? SecondsPerRequest, TimeSpan? Duration, long TokenBudget, string Model)
{
    public bool FitsBudget => PromptTokens + MaxCompletionTokens <= TokenBudget;
}

public sealed class ExplanationEstimator(IServiceProvider services, IDbContextFactory<WorkbenchDbContext> factory,
    MachineExplanationService explanations, ProviderSettingsService providers)
{
    private const int Probes = 5;

    public async Task<ExplanationEstimate> EstimateAsync(string kind, ExplanationJobRequest request, CancellationToken ct = default)
    {
        var scoring = kind switch
        {
            ExplainJob.KindName => false,
            ScoreJob.KindName => true,
            _ => throw new ArgumentException($"kind: '{kind}' is neither {ExplainJob.KindName} nor {ScoreJob.KindName}"),
        };
        var errors = request.Validate(scoring);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors));
        var settings = await providers.GetAsync(ct);
        var latents = await ExplanationJobBase.LatentsAsync(services, request, ct);
        await using var db = await factory.CreateDbContextAsync(ct);

        var probeChars = new List<int>();
        foreach (var (id, _) in latents.Take(Probes))
            if (await explanations.ExplainerPromptAsync(id, ct) is { } messages) probeChars.Add(messages.Sum(m => m.Content.Length));
        var explainPrompt = probeChars.Count == 0 ? 0 : OpenAiChatClient.EstimateTokens((int)probeChars.Average());

        int items, already, requests;
        long prompt, completion;
        if (!scoring)
        {
            var ids = latents.Select(l => l.Id).ToList();
            already = settings.ModelName.Length == 0 ? 0
                : await db.Interpretations.CountAsync(i => ids.Contains(i.LatentId) && !i.IsDeleted && i.ExplanationModelName == settings.ModelName, ct);
            items = latents.Count;
            requests = items - already;
            prompt = (long)requests * explainPrompt;
            completion = (long)requests * MachineExplanationService.ExplainMaxTokens;
        }
        else
        {
            var ids = latents.Select(l => l.Id).ToList();
            var targets = request.InterpretationIds is { Length: > 0 } named
                ? db.Interpretations.Where(i => named.Contains(i.Id) && !i.IsDeleted)
                : db.Interpretations.Where(i => ids.Contains(i.LatentId) && !i.IsDeleted);
            if (request.InterpretationIds is not { Length: > 0 } && request.Authors == "people") targets = targets.Where(i => i.ExplanationModelName == null);
            if (request.InterpretationIds is not { Length: > 0 } && request.Authors == "models") targets = targets.Where(i => i.ExplanationModelName != null);
            var scorers = (request.Scorers ?? [.. Scorers.All]).Distinct().ToList();
            items = await targets.CountAsync(ct) * scorers.Count;
            // Done as the job counts it (MachineExplanationService.IsScoredAsync): this model, this scorer and its
            // current prompt, this version of the interpretation; re-runs of one item count once.
            var prompts = scorers.Select(MachineExplanationService.PromptVersion).ToList();
            // Scoring again (rescore) redoes them all, so none counts as done.
            already = settings.ModelName.Length == 0 || request.Rescore ? 0
                : await db.ExplanationScores
                    .Where(s => s.ModelName == settings.ModelName && scorers.Contains(s.Scorer) && prompts.Contains(s.PromptVersion)
                                && targets.Any(i => i.Id == s.InterpretationId && i.Version == s.InterpretationVersion))
                    .Select(s => new { s.InterpretationId, s.Scorer }).Distinct().CountAsync(ct);
            // Each score asks about 2 × 10 contexts in batches; a batch prompt is the fixed instructions plus its contexts,
            // about a quarter of the explainer prompt's excerpts each (measured above).
            var batches = (int)Math.Ceiling((double)Labelling.DetectionScoring.ContextsPerSet / ClassifierPrompt.BatchSize);
            requests = (items - already) * batches;
            prompt = (long)requests * (450 + explainPrompt / 4);
            completion = (long)requests * MachineExplanationService.ClassifyMaxTokens;
        }

        var seconds = await SecondsPerRequestAsync(db, kind, settings.ModelName, ct);
        // A job's seconds per request are its wall time over its requests, concurrency already included.
        TimeSpan? duration = seconds is { } s ? TimeSpan.FromSeconds(s * requests) : null;
        return new ExplanationEstimate(kind, items, already, requests, prompt, completion, seconds, duration,
            request.TokenBudget ?? settings.TokenBudgetPerJob, settings.ModelName);
    }

    /// <summary>The mean seconds per request of the last finished job of this kind with this model, if any.</summary>
    private static async Task<double?> SecondsPerRequestAsync(WorkbenchDbContext db, string kind, string model, CancellationToken ct)
    {
        var results = await db.Jobs.AsNoTracking().Where(j => j.Kind == kind && j.State == JobState.Succeeded && j.ResultJson != null)
            .OrderByDescending(j => j.Id).Select(j => j.ResultJson!).Take(5).ToListAsync(ct);
        foreach (var json in results)
        {
            var result = JsonSerializer.Deserialize<ExplanationJobResult>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web));
            if (result is { SecondsPerCall: { } s } && result.Model == model) return s;
        }
        return null;
    }
}
