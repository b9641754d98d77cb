using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Steering;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Steering;

/// <summary>
/// The application layer of steering: runs comparisons on the model's inference queue (role, limits and rate
/// checked first; nothing runs on bad input), ablation on fixed text, saved comparisons and their (blind) reviews. Every
/// write is role-checked here, audited in its transaction and published after the commit. Pages, the API and the CLI call this.
/// </summary>
public sealed class SteeringService(
    IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions, ModelHost host, WorkbenchPaths paths,
    SteeringLimits limits, Research.Limits.UserRateLimiter rateLimiter, ModelFolders modelFolders, TokenText tokenText,
    WorkbenchEventBus events, TimeProvider clock) : IDisposable
{
    public SteeringLimits Limits => limits;

    /// <summary>
    /// Per dictionary, the latent indexes that any saved comparison intervenes on: every feature page asks whether its
    /// latent has comparisons, and almost none has. Kept 5 s (other nodes), cleared here by every saved comparison.
    /// </summary>
    private readonly EventInvalidatedCache<HashSet<int>> _steeredLatents =
        new(events, clock, TimeSpan.FromSeconds(5), e => e is SteeringComparisonSaved, maxEntries: 1024);

    public void Dispose() => _steeredLatents.Dispose();

    private Task<HashSet<int>> SteeredLatentsAsync(long dictionaryId, CancellationToken ct) =>
        _steeredLatents.GetAsync(dictionaryId.ToString(System.Globalization.CultureInfo.InvariantCulture), async token =>
        {
            await using var db = await factory.CreateDbContextAsync(token);
            return (await db.SteeringComparisonLatents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId)
                .Select(l => l.LatentIndex).Distinct().ToListAsync(token)).ToHashSet();
        }, ct);

    private sealed record Target(string Name, string ModelFolder, string SaeFolder, SaeWorkbench.Ml.Formats.SaeLoadOptions SaeOptions, string HookName, int DSae);

    private async Task<Target> TargetAsync(long dictionaryId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var d = await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(x => x.Id == dictionaryId, ct)
                ?? throw new ArgumentException($"there is no dictionary #{dictionaryId}");
        if (string.IsNullOrWhiteSpace(d.ModelPath)) throw new ArgumentException($"dictionary #{dictionaryId} has no model folder recorded");
        return new Target(d.Name, paths.Resolve(d.ModelPath), paths.Resolve(d.SaePath), RegisteredSae.OptionsOf(d), d.HookName, d.DSae);
    }

    /// <summary>
    /// Runs baseline and intervened continuations in one batch. <paramref name="progress"/> hears the queue position
    /// while waiting and then every generated position. Refusals: <see cref="RefusedException"/>,
    /// <see cref="ArgumentException"/> / <see cref="InvalidDataException"/> (bad input, nothing run),
    /// <see cref="SteeringRateLimitedException"/>, <see cref="Ml.Lm.Generation.InferenceQueueFullException"/>.
    /// </summary>
    public async Task<SteeringRun> RunAsync(Actor actor, SteeringRequest request, Action<SteeringProgress>? progress = null, CancellationToken ct = default)
    {
        var (target, result) = await RunSweepAsync(actor, request, [request.InterventionSet],
            dSae => SteeringRules.Validate(request, limits, dSae),
            progress is null ? null : p => progress(new SteeringProgress(p.QueuePosition, p.Step?.Comparison(0))), ct);
        return new SteeringRun(request, target.Name, target.HookName, result.Comparison(0));
    }

    /// <summary>
    /// Runs a strength sweep: the baseline and one column per strength, in one batch with the same seed per sample. The
    /// same checks and refusals as <see cref="RunAsync"/>; the whole sweep counts as one model pass.
    /// </summary>
    public async Task<SteeringSweepRun> SweepAsync(Actor actor, SteeringSweepRequest sweep, Action<SweepProgress>? progress = null, CancellationToken ct = default)
    {
        var (target, result) = await RunSweepAsync(actor, sweep.Request,
            Enumerable.Range(0, sweep.Strengths.Count).Select(j => sweep.At(j).InterventionSet).ToList(),
            dSae => sweep.Validate(limits, dSae), progress, ct);
        return new SteeringSweepRun(sweep, target.Name, target.HookName, result);
    }

    private async Task<(Target Target, SweepResult Result)> RunSweepAsync(Actor actor, SteeringRequest request, IReadOnlyList<InterventionSet> variants,
        Action<int> validate, Action<SweepProgress>? progress, CancellationToken ct)
    {
        Permissions.Require(actor.Role, WorkbenchAction.RunSteering);
        var target = await TargetAsync(request.DictionaryId, ct);
        validate(target.DSae);
        CheckAgainstModelFolder(target, request.Prompt);
        if (!rateLimiter.TryAcquire(Research.Limits.WorkKind.ModelPass, actor.UserId, out var retryAfter)) throw new SteeringRateLimitedException(retryAfter);
        var result = await host.RunAsync(target.ModelFolder, (hosted, token) =>
        {
            var model = hosted.Model;
            var sae = hosted.Sae(target.SaeFolder, target.SaeOptions);   // checks the SAE's hook exists in this model
            var promptTokens = SteeringGenerator.EncodePrompt(model.Tokenizer, request.Prompt).Length;
            var maxNew = SteeringGenerator.FitNewTokens(promptTokens, model.Model.ContextLength, request.MaxNewTokens);
            return SteeringGenerator.RunSweep(model.Model, model.Tokenizer, sae.Autoencoder, sae.Metadata.HookName, request.Prompt,
                variants, request.Options(maxNew), s => progress?.Invoke(new SweepProgress(null, s)), token, OutputHook(sae));
        }, new Progress(progress), ct);
        return (target, result);
    }

    /// <summary>
    /// The checks that need only the model folder's config and tokenizer (not its weights), so that a bad request is
    /// refused before it counts against the rate limit or waits in the queue. The queue's worker checks again on the
    /// loaded model and SAE.
    /// </summary>
    private void CheckAgainstModelFolder(Target target, string prompt)
    {
        var (hooks, _, error) = modelFolders.DescribeRecorded(target.ModelFolder);
        if (error is not null) throw new ArgumentException(error);
        Ml.Lm.HookPoints.RequireKnown(hooks, target.HookName);
        if (tokenText.TokenizerFor(target.ModelFolder) is { } tokenizer)
        {
            var context = Ml.Lm.HuggingFaceModels.Inspect(target.ModelFolder).ContextLength;
            SteeringGenerator.FitNewTokens(SteeringGenerator.EncodePrompt(tokenizer, prompt).Length, context, 1);
        }
    }

    private sealed class Progress(Action<SweepProgress>? report) : IProgress<int>
    {
        public void Report(int value) => report?.Invoke(new SweepProgress(value, null));
    }

    /// <summary>Per-token loss change when <paramref name="latents"/> are ablated, and the next-token change at a position.</summary>
    /// <param name="includeBos">Also ablate at the BOS position, which is left alone by default (the SAE never saw it).</param>
    public async Task<TextAblationResult> AblateTextAsync(Actor actor, long dictionaryId, string text, IReadOnlyList<int> latents, int? position,
        CancellationToken ct = default, bool includeBos = false)
    {
        Permissions.Require(actor.Role, WorkbenchAction.Read);
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("type a text to ablate on");
        if (text.Length > limits.MaxPromptCharacters) throw new ArgumentException($"at most {limits.MaxPromptCharacters} characters");
        var target = await TargetAsync(dictionaryId, ct);
        new InterventionSet { Latents = latents.Select(l => new LatentIntervention(l, InterventionKind.Ablate)).ToList() }.Validate(target.DSae);
        if (!rateLimiter.TryAcquire(Research.Limits.WorkKind.ModelPass, actor.UserId, out var retryAfter)) throw new SteeringRateLimitedException(retryAfter);
        return await host.RunAsync(target.ModelFolder, (hosted, _) =>
        {
            var model = hosted.Model;
            var sae = hosted.Sae(target.SaeFolder, target.SaeOptions);
            return TextAblation.Run(model.Model, sae.Autoencoder, sae.Metadata.HookName, model.Tokenizer.Encode(text), latents,
                id => model.Tokenizer.Decode([id]), position, includeBos: includeBos, outputHookName: OutputHook(sae));
        }, cancellation: ct);
    }

    /// <summary>A transcoder's latents are steered and ablated where they write: its output hook (docs/science.md §12).</summary>
    private static string? OutputHook(Ml.Formats.SaeLensSae sae) => sae.Autoencoder.IsTranscoder ? sae.Metadata.HookNameOut : null;

    /// <summary>Saves a run with a title and tags; returns its id (the permalink is /steering/{id}).</summary>
    public async Task<long> SaveAsync(Actor actor, SteeringRun run, string title, string? tags, CancellationToken ct = default)
    {
        Permissions.Require(actor.Role, WorkbenchAction.SaveComparison);
        title = title.Trim();
        if (title.Length is < 1 or > 200) throw new ArgumentException("give the comparison a title of 1–200 characters");
        var latents = run.Request.Interventions.Select(i => i.Latent).Distinct().Order().ToList();
        return await transactions.RunAsync(async (w, ct) =>
        {
            var c = new SteeringComparison
            {
                DictionaryId = run.Request.DictionaryId, Title = title, Tags = SteeringRules.NormaliseTags(tags), AuthorId = actor.UserId,
                AuthorName = actor.UserName, Prompt = run.Request.Prompt, SettingsJson = SteeringJson.Serialize(run.Request),
                OutputsJson = SteeringJson.Serialize(run.Result), CreatedAt = w.Now,
            };
            w.Db.SteeringComparisons.Add(c);
            await w.Db.SaveChangesAsync(ct);
            foreach (var l in latents)
                w.Db.SteeringComparisonLatents.Add(new SteeringComparisonLatent { ComparisonId = c.Id, DictionaryId = c.DictionaryId, LatentIndex = l });
            AuditRecorder.Add(w.Db, actor, "steering.save", "SteeringComparison", c.Id, null,
                new { c.Title, c.Tags, c.DictionaryId, Latents = latents, Settings = run.Request }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            w.Publish(new SteeringComparisonSaved(c.Id, c.DictionaryId, c.Title, latents));
            return c.Id;
        }, ct);
    }

    /// <summary>Runs a saved comparison again from its settings (same seed: the same tokens).</summary>
    public async Task<SteeringRun> RerunAsync(Actor actor, long comparisonId, Action<SteeringProgress>? progress = null, CancellationToken ct = default)
    {
        var view = await GetAsync(comparisonId, ct) ?? throw new KeyNotFoundException($"there is no comparison #{comparisonId}");
        return await RunAsync(actor, view.Request, progress, ct);
    }

    public async Task<SteeringComparisonView?> GetAsync(long comparisonId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var c = await db.SteeringComparisons.AsNoTracking().SingleOrDefaultAsync(x => x.Id == comparisonId, ct);
        if (c is null) return null;
        var dictionary = await db.Dictionaries.AsNoTracking().Where(d => d.Id == c.DictionaryId).Select(d => new { d.Name, d.HookName }).SingleAsync(ct);
        var reviews = await db.SteeringReviews.AsNoTracking().Where(r => r.ComparisonId == comparisonId && r.SubmittedAt != null)
            .OrderBy(r => r.Id).ToListAsync(ct);
        var summary = (await SummariesAsync(db, db.SteeringComparisons.Where(x => x.Id == comparisonId), ct)).Single();
        return new SteeringComparisonView(summary, c.AuthorId, dictionary.Name, dictionary.HookName,
            SteeringJson.Deserialize<SteeringRequest>(c.SettingsJson), SteeringJson.Deserialize<SteeringResult>(c.OutputsJson),
            reviews.Select(r => new SteeringReviewView(r.Id, r.ReviewerName, r.Blind, r.GuessCorrect, r.Effect, r.Coherence,
                StoredMarkdown.Html(r.CommentHtml, r.Comment), r.SubmittedAt)).ToList());
    }

    /// <summary>Saved comparisons, newest first, whose title, tags or prompt contain <paramref name="search"/>.</summary>
    public async Task<IReadOnlyList<SteeringComparisonSummary>> ListAsync(string? search = null, long? dictionaryId = null, int? latent = null,
        int take = 50, CancellationToken ct = default)
    {
        if (latent is { } only && dictionaryId is { } of && !(await SteeredLatentsAsync(of, ct)).Contains(only)) return [];
        await using var db = await factory.CreateDbContextAsync(ct);
        var q = db.SteeringComparisons.AsNoTracking();
        if (dictionaryId is { } d) q = q.Where(c => c.DictionaryId == d);
        if (latent is { } l && dictionaryId is { } dd)
            q = q.Where(c => db.SteeringComparisonLatents.Any(x => x.ComparisonId == c.Id && x.DictionaryId == dd && x.LatentIndex == l));
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim().ToLowerInvariant();
            q = q.Where(c => c.Title.ToLower().Contains(s) || c.Tags.Contains(s) || c.Prompt.ToLower().Contains(s));
        }
        return await SummariesAsync(db, q.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).Take(Math.Clamp(take, 1, 200)), ct);
    }

    private static async Task<IReadOnlyList<SteeringComparisonSummary>> SummariesAsync(WorkbenchDbContext db, IQueryable<SteeringComparison> q, CancellationToken ct)
    {
        var rows = await q.Select(c => new { c.Id, c.DictionaryId, c.Title, c.Tags, c.AuthorName, c.Prompt, c.CreatedAt }).ToListAsync(ct);
        if (rows.Count == 0) return []; // most latents: no second and third query
        var ids = rows.Select(r => r.Id).ToList();
        var latents = (await db.SteeringComparisonLatents.AsNoTracking().Where(l => ids.Contains(l.ComparisonId)).ToListAsync(ct))
            .ToLookup(l => l.ComparisonId, l => l.LatentIndex);
        var reviews = (await db.SteeringReviews.AsNoTracking().Where(r => ids.Contains(r.ComparisonId) && r.SubmittedAt != null)
            .Select(r => new { r.ComparisonId, r.GuessCorrect }).ToListAsync(ct)).ToLookup(r => r.ComparisonId);
        return rows.Select(r => new SteeringComparisonSummary(r.Id, r.DictionaryId, r.Title, r.Tags, r.AuthorName, r.Prompt, r.CreatedAt,
            latents[r.Id].Order().ToList(), reviews[r.Id].Count(),
            new BlindScore(reviews[r.Id].Count(x => x.GuessCorrect is not null), reviews[r.Id].Count(x => x.GuessCorrect == true)))).ToList();
    }

    /// <summary>Share of right blind guesses over every saved comparison that intervenes on the latent.</summary>
    public async Task<BlindScore> BlindScoreForLatentAsync(long dictionaryId, int latent, CancellationToken ct = default)
    {
        if (!(await SteeredLatentsAsync(dictionaryId, ct)).Contains(latent)) return new BlindScore(0, 0);
        await using var db = await factory.CreateDbContextAsync(ct);
        var guesses = await db.SteeringReviews.AsNoTracking()
            .Where(r => r.GuessCorrect != null && db.SteeringComparisonLatents.Any(l => l.ComparisonId == r.ComparisonId && l.DictionaryId == dictionaryId && l.LatentIndex == latent))
            .Select(r => r.GuessCorrect!.Value).ToListAsync(ct);
        return new BlindScore(guesses.Count, guesses.Count(g => g));
    }

    /// <summary>
    /// Opens (or re-opens) the caller's blind review: the first time, which sample is shown and whether the intervened
    /// continuation comes first are drawn at random and recorded, so reloading the page shows the same order.
    /// </summary>
    public async Task<BlindPair> OpenBlindReviewAsync(Actor actor, long comparisonId, CancellationToken ct = default)
    {
        Permissions.Require(actor.Role, WorkbenchAction.ReviewComparison);
        var review = await transactions.RunAsync(async (w, ct) =>
        {
            var c = await w.Db.SteeringComparisons.AsNoTracking().SingleOrDefaultAsync(x => x.Id == comparisonId, ct)
                    ?? throw new KeyNotFoundException($"there is no comparison #{comparisonId}");
            var existing = await w.Db.SteeringReviews.AsNoTracking().SingleOrDefaultAsync(r => r.ComparisonId == comparisonId && r.ReviewerId == actor.UserId, ct);
            if (existing is not null)
                return existing.Blind ? existing : throw new ArgumentException("you have already reviewed this comparison with the labels shown");
            if (c.AuthorId == actor.UserId) throw new ArgumentException("you saved this comparison, so you cannot review it blind");
            var samples = SteeringJson.Deserialize<SteeringResult>(c.OutputsJson).Samples.Count;
            var r = new SteeringReview
            {
                ComparisonId = comparisonId, ReviewerId = actor.UserId, ReviewerName = actor.UserName, Blind = true,
                Sample = RandomNumberGenerator.GetInt32(samples), InterventionShownFirst = RandomNumberGenerator.GetInt32(2) == 1, CreatedAt = w.Now,
            };
            w.Db.SteeringReviews.Add(r);
            await w.Db.SaveChangesAsync(ct);
            AuditRecorder.Add(w.Db, actor, "steering.review.open", "SteeringReview", r.Id, null,
                new { r.ComparisonId, r.Sample, r.InterventionShownFirst }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            return r;
        }, ct);
        return await PairAsync(review, ct);
    }

    private async Task<BlindPair> PairAsync(SteeringReview r, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var c = await db.SteeringComparisons.AsNoTracking().SingleAsync(x => x.Id == r.ComparisonId, ct);
        var sample = SteeringJson.Deserialize<SteeringResult>(c.OutputsJson).Samples[r.Sample];
        var (first, second) = r.InterventionShownFirst ? (sample.Steered.Text, sample.Baseline.Text) : (sample.Baseline.Text, sample.Steered.Text);
        var submitted = r.SubmittedAt is not null;
        return new BlindPair(r.Id, r.ComparisonId, c.Prompt, r.Sample, first, second, submitted, submitted ? r.InterventionShownFirst : null, r.GuessCorrect);
    }

    /// <summary>
    /// Submits the caller's review: completes their open blind review (a guess is required), or adds an open review
    /// (no guess). One review per reviewer and comparison.
    /// </summary>
    public async Task<SteeringReviewView> SubmitReviewAsync(Actor actor, long comparisonId, ReviewInput input, CancellationToken ct = default)
    {
        Permissions.Require(actor.Role, WorkbenchAction.ReviewComparison);
        if (input.Coherence is < 1 or > 5) throw new ArgumentException("coherence is rated 1–5");
        if (!Enum.IsDefined(input.Effect)) throw new ArgumentException("say whether the effect is present: yes, no or unclear");
        var comment = (input.Comment ?? "").Trim();
        if (comment.Length > 4000) throw new ArgumentException("a comment has at most 4000 characters");
        var commentHtml = MarkdownRenderer.Default.Render(comment, "comment") is { IsValid: true } rendered
            ? rendered.Html : throw new ArgumentException(MarkdownRenderer.Default.Render(comment, "comment").Validation.ToString());
        var saved = await transactions.RunAsync(async (w, ct) =>
        {
            if (!await w.Db.SteeringComparisons.AnyAsync(c => c.Id == comparisonId, ct))
                throw new KeyNotFoundException($"there is no comparison #{comparisonId}");
            var r = await w.Db.SteeringReviews.SingleOrDefaultAsync(x => x.ComparisonId == comparisonId && x.ReviewerId == actor.UserId, ct);
            if (r?.SubmittedAt is not null) throw new ArgumentException("you have already reviewed this comparison");
            if (r is null)
            {
                if (input.GuessedFirst is not null) throw new ArgumentException("open the blind review before guessing");
                r = new SteeringReview { ComparisonId = comparisonId, ReviewerId = actor.UserId, ReviewerName = actor.UserName, CreatedAt = w.Now };
                w.Db.SteeringReviews.Add(r);
            }
            else
            {
                if (input.GuessedFirst is not { } guess) throw new ArgumentException("say which continuation, A or B, you think is the intervened one");
                r.GuessedFirst = guess;
                r.GuessCorrect = guess == r.InterventionShownFirst;
            }
            r.Effect = input.Effect;
            r.Coherence = input.Coherence;
            r.Comment = comment;
            r.CommentHtml = commentHtml;
            r.SubmittedAt = w.Now;
            await w.Db.SaveChangesAsync(ct);
            AuditRecorder.Add(w.Db, actor, "steering.review", "SteeringReview", r.Id, null,
                new { r.ComparisonId, r.Blind, r.Sample, r.InterventionShownFirst, r.GuessedFirst, r.GuessCorrect, r.Effect, r.Coherence, r.Comment }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            w.Publish(new SteeringReviewSubmitted(comparisonId, r.Id, actor.UserName));
            return r;
        }, ct);
        return new SteeringReviewView(saved.Id, saved.ReviewerName, saved.Blind, saved.GuessCorrect, saved.Effect, saved.Coherence,
            saved.CommentHtml ?? "", saved.SubmittedAt);
    }

    /// <summary>The caller's own review of a comparison, if any (blind and still open included).</summary>
    public async Task<BlindPair?> MyBlindReviewAsync(Actor actor, long comparisonId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var r = await db.SteeringReviews.AsNoTracking().SingleOrDefaultAsync(x => x.ComparisonId == comparisonId && x.ReviewerId == actor.UserId && x.Blind, ct);
        return r is null ? null : await PairAsync(r, ct);
    }

    public async Task<bool> HasReviewedAsync(Actor actor, long comparisonId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.SteeringReviews.AnyAsync(x => x.ComparisonId == comparisonId && x.ReviewerId == actor.UserId && x.SubmittedAt != null, ct);
    }
}
