using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Explanations;

/// <summary>What explaining one latent gave: the new interpretation's id, or why there is none, and the tokens spent.</summary>
public sealed record ExplainOutcome(long? InterpretationId, string? Problem, int Tokens);

/// <summary>What scoring one interpretation with one scorer gave: the stored score, or why there is none.</summary>
public sealed record ScoreOutcome(long? ScoreId, ClassifierScore? Score, string? Problem, int Tokens);

/// <summary>
/// Explains latents and scores interpretations with a chat model (docs/science.md §13). Explanations become
/// interpretations written by the model's account (<see cref="ModelAccounts"/>) and marked with the model's name; scores
/// are drawn by <see cref="ScoringContextSampler"/>, the sampler of the human detection test, seeded by
/// <see cref="DetectionScoring.SeedFor"/> for (interpretation, model account), and stored with the sample, the
/// answers, the prompt version and the seed so that they can be re-run and compared.
/// </summary>
public sealed class MachineExplanationService(
    IDbContextFactory<WorkbenchDbContext> factory, LabellingService labelling, ModelAccounts accounts, ScoringContextSampler sampler,
    TokenText tokenText, WorkbenchPaths paths)
{
    /// <summary>Top contexts and interval samples shown to the explainer (at most this many of each).</summary>
    public const int TopExamples = 10;
    public const int IntervalExamples = 10;

    /// <summary>Reply lengths: an explanation is one line (some models think aloud first); a list is short.</summary>
    public const int ExplainMaxTokens = 400;
    public const int ClassifyMaxTokens = 60;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The messages the explainer would get for a latent (for estimates and for tests); null when it has no examples.</summary>
    public async Task<IReadOnlyList<ChatMessage>?> ExplainerPromptAsync(long latentId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var latent = await db.Latents.AsNoTracking().Where(l => l.Id == latentId).Select(l => new { l.DictionaryId }).FirstOrDefaultAsync(ct);
        if (latent is null) return null;
        var analysisId = await db.LatentAnalyses.Where(a => a.DictionaryId == latent.DictionaryId && a.IsCurrent).Select(a => (long?)a.Id).FirstOrDefaultAsync(ct);
        if (analysisId is null) return null;
        var rows = await db.Set<FeatureExample>().AsNoTracking().Where(e => e.AnalysisId == analysisId && e.LatentId == latentId)
            .Select(e => new { e.Kind, e.Rank, e.Bin, e.TokenIds, e.Activations }).ToListAsync(ct);
        var chosen = rows.Where(r => r.Kind == FeatureExampleKind.Top).OrderBy(r => r.Rank).Take(TopExamples)
            .Concat(rows.Where(r => r.Kind == FeatureExampleKind.Interval).OrderByDescending(r => r.Bin).Take(IntervalExamples)).ToList();
        if (chosen.Count == 0) return null;
        var tokenizer = await TokenizerAsync(db, latent.DictionaryId, ct);
        return ExplainerPrompt.Build(chosen.Select(r => new ExplainerExample(
            Decode(tokenizer, PackedArrays.ToInt32(r.TokenIds)), PackedArrays.ToFloat16(r.Activations))).ToList());
    }

    /// <summary>True when the model already explained this latent (a resumed job skips it).</summary>
    public async Task<bool> IsExplainedAsync(long latentId, string modelName, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Interpretations.AnyAsync(i => i.LatentId == latentId && !i.IsDeleted && i.ExplanationModelName == modelName, ct);
    }

    public async Task<ExplainOutcome> ExplainAsync(IChatModel model, long latentId, CancellationToken ct = default)
    {
        var messages = await ExplainerPromptAsync(latentId, ct);
        if (messages is null) return new(null, "The latent has no examples in the current analysis.", 0);
        var reply = await model.CompleteAsync(new ChatRequest(messages, ExplainMaxTokens), ct);
        var parsed = ExplainerPrompt.Parse(reply.Text);
        if (!parsed.Succeeded) return new(null, parsed.Problem, reply.TotalTokens);
        var actor = await accounts.EnsureAsync(model.ModelName, ct);
        var description = $"Machine explanation by `{model.ModelName}` (prompt {ExplainerPrompt.Version}).";
        var created = await labelling.CreateInterpretationAsync(actor, latentId, new InterpretationDraft(parsed.Explanation!, description, 3, null),
            model.ModelName, ct);
        return created.Succeeded
            ? new(created.Value!.Id, null, reply.TotalTokens)
            : new(null, $"The explanation was refused: {created.Validation}", reply.TotalTokens);
    }

    /// <summary>True when this model already scored this version of the interpretation with this scorer and prompt.</summary>
    public async Task<bool> IsScoredAsync(long interpretationId, string scorer, string modelName, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var version = await db.Interpretations.Where(i => i.Id == interpretationId).Select(i => (int?)i.Version).FirstOrDefaultAsync(ct);
        var prompt = PromptVersion(scorer);
        return version is not null && await db.ExplanationScores.AnyAsync(s => s.InterpretationId == interpretationId && s.Scorer == scorer
            && s.ModelName == modelName && s.PromptVersion == prompt && s.InterpretationVersion == version, ct);
    }

    /// <summary>True when job <paramref name="jobId"/> already scored this version with this scorer, model and prompt (a
    /// restarted "score again" job resumes instead of scoring twice).</summary>
    public async Task<bool> IsScoredByJobAsync(long interpretationId, string scorer, string modelName, long jobId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var version = await db.Interpretations.Where(i => i.Id == interpretationId).Select(i => (int?)i.Version).FirstOrDefaultAsync(ct);
        var prompt = PromptVersion(scorer);
        return version is not null && await db.ExplanationScores.AnyAsync(s => s.InterpretationId == interpretationId && s.Scorer == scorer
            && s.ModelName == modelName && s.PromptVersion == prompt && s.InterpretationVersion == version && s.JobId == jobId, ct);
    }

    /// <summary>
    /// The seed of a score: the first one by a model is <see cref="DetectionScoring.SeedFor"/> of (interpretation, model
    /// account), the same rule as a person's detection test; scoring again takes the n-th re-draw's seed, skipping any
    /// seed this model already used with this scorer, so each re-score sees a new sample (docs/science.md §13.4).
    /// </summary>
    public static long SeedFor(long interpretationId, string account, int rescoreNumber) =>
        rescoreNumber == 0 ? DetectionScoring.SeedFor(interpretationId, account) : DetectionScoring.SeedFor(interpretationId, $"{account}\u001Frescore {rescoreNumber}");

    public static string PromptVersion(string scorer) => scorer switch
    {
        Scorers.Detection => ClassifierPrompt.DetectionVersion,
        Scorers.Fuzzing => ClassifierPrompt.FuzzingVersion,
        _ => throw new ArgumentException($"scorers: unknown scorer '{scorer}'; use {string.Join(" or ", Scorers.All)}"),
    };

    /// <summary>Scores one interpretation with one scorer: draws the sample, asks in batches, stores the score.</summary>
    /// <param name="samples">A job's samples shared between its scorers (the same draw either way, made once); null draws here.</param>
    /// <param name="rescore">Draw a new sample with a seed this model has not used for this scorer (the old scores stay).</param>
    public async Task<ScoreOutcome> ScoreAsync(IChatModel model, long interpretationId, string scorer, bool logprobs, long? jobId,
        SharedSamples? samples = null, CancellationToken ct = default, bool rescore = false)
    {
        var promptVersion = PromptVersion(scorer);
        await using var db = await factory.CreateDbContextAsync(ct);
        var target = await (from i in db.Interpretations
                            join l in db.Latents on i.LatentId equals l.Id
                            where i.Id == interpretationId && !i.IsDeleted
                            select new { i.LatentId, i.Label, i.Version, l.DictionaryId }).AsNoTracking().FirstOrDefaultAsync(ct);
        if (target is null) return new(null, null, $"There is no interpretation {interpretationId}.", 0);
        var account = ModelAccounts.IdFor(model.ModelName);
        var seed = SeedFor(interpretationId, account, 0);
        if (rescore)
        {
            var used = (await db.ExplanationScores.Where(s => s.InterpretationId == interpretationId && s.Scorer == scorer && s.ModelName == model.ModelName)
                .Select(s => s.Seed).ToListAsync(ct)).ToHashSet();
            for (var n = used.Count; used.Contains(seed); n++) seed = SeedFor(interpretationId, account, n);
        }
        var drawn = samples is null ? await sampler.DrawAsync(target.LatentId, seed, ct) : await samples.DrawAsync(target.LatentId, seed, ct);
        if (!drawn.IsValid) return new(null, null, drawn.Validation.ToString(), 0);
        var sample = drawn.Value!;
        var tokenizer = await TokenizerAsync(db, target.DictionaryId, ct);

        var fuzz = scorer == Scorers.Fuzzing ? FuzzingSets.Build(sample) : null;
        var texts = sample.Contexts.Select((c, k) => fuzz is null
            ? HighlightedText.Plain(Decode(tokenizer, c.TokenIds))
            : HighlightedText.Render(Decode(tokenizer, c.TokenIds), fuzz[k].Highlighted)).ToList();
        var truth = sample.Contexts.Select((c, k) => fuzz?[k].IsCorrect ?? c.IsActivating).ToList();

        var answers = new List<bool?>();
        var probabilities = new List<double?>();
        var problems = new List<string>();
        int promptTokens = 0, completionTokens = 0;
        for (var start = 0; start < texts.Count; start += ClassifierPrompt.BatchSize)
        {
            var batch = texts.Skip(start).Take(ClassifierPrompt.BatchSize).ToList();
            var messages = scorer == Scorers.Fuzzing ? ClassifierPrompt.Fuzzing(target.Label, batch) : ClassifierPrompt.Detection(target.Label, batch);
            var reply = await model.CompleteAsync(new ChatRequest(messages, ClassifyMaxTokens, Logprobs: logprobs), ct);
            promptTokens += reply.PromptTokens;
            completionTokens += reply.CompletionTokens;
            var parsed = ClassifierPrompt.Parse(reply.Text, batch.Count, reply.Logprobs);
            answers.AddRange(parsed.Answers);
            probabilities.AddRange(parsed.Probabilities);
            if (parsed.Problem is not null) problems.Add(parsed.Problem);
        }
        var score = ExplanationScoring.Score(truth.Select((t, k) => new ClassifiedContext(t, answers[k], probabilities[k])).ToList());
        var row = new ExplanationScore
        {
            InterpretationId = interpretationId, InterpretationVersion = target.Version, Scorer = scorer, ModelName = model.ModelName,
            PromptVersion = promptVersion, Seed = seed,
            SampleJson = JsonSerializer.Serialize(sample.Contexts.Select((c, k) => new SampleRecord(c.ExampleId, truth[k], c.IsActivating, c.Bin,
                fuzz is null ? null : Enumerable.Range(0, fuzz[k].Highlighted.Length).Where(p => fuzz[k].Highlighted[p]).ToArray())), Json),
            AnswersJson = ClassifierPrompt.AnswersJson(answers),
            Contexts = score.Contexts, Unanswered = score.Unanswered, TruePositives = score.TruePositives, FalsePositives = score.FalsePositives,
            TrueNegatives = score.TrueNegatives, FalseNegatives = score.FalseNegatives, BalancedAccuracy = score.BalancedAccuracy, Auroc = score.Auroc,
            PromptTokens = promptTokens, CompletionTokens = completionTokens, JobId = jobId, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.ExplanationScores.Add(row);
        await db.SaveChangesAsync(ct);
        return new(row.Id, score, problems.Count == 0 ? null : string.Join(" ", problems.Distinct()), promptTokens + completionTokens);
    }

    /// <summary>Samples shared by the scorers of one job run (docs/science.md §13.4: they draw the same sample).</summary>
    public SharedSamples NewSharedSamples() => new(sampler.DrawAsync);

    /// <summary>One shown context as stored with a score: <see cref="Positive"/> is the truth the rater was graded on.</summary>
    public sealed record SampleRecord(long ExampleId, bool Positive, bool Activating, int Bin, int[]? Highlighted);

    private async Task<ITokenizer> TokenizerAsync(WorkbenchDbContext db, long dictionaryId, CancellationToken ct)
    {
        var modelPath = await db.Dictionaries.Where(d => d.Id == dictionaryId).Select(d => d.ModelPath).FirstOrDefaultAsync(ct);
        return tokenText.TokenizerFor(string.IsNullOrWhiteSpace(modelPath) ? null : paths.Resolve(modelPath))
               ?? throw new InvalidOperationException($"dictionary #{dictionaryId}: its model's tokenizer cannot be read, so its contexts cannot be shown as text.");
    }

    private static IReadOnlyList<string> Decode(ITokenizer tokenizer, int[] ids) =>
        ids.Select(id => id == tokenizer.EndOfTextId ? "" : tokenizer.Decode([id])).ToList();
}
