using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Explanations;

/// <summary>What an explain or score job did, stored as its result.</summary>
public sealed record ExplanationJobResult(string Model, int Items, int Done, int AlreadyDone, int Problems, IReadOnlyList<string> FirstProblems,
    long Tokens, int Calls, double? SecondsPerCall);

/// <summary>
/// The "explain" and "score" jobs (docs/science.md §13) over a dictionary, a saved list filter or an index list. Each
/// item is checked against the database before the model is asked — a latent the model already explained, or an
/// interpretation version it already scored with that prompt — so a restarted or re-queued job does not pay twice.
/// Items run up to the provider's concurrency limit at once; a token budget stops the job cleanly; three provider
/// failures in a row fail it (the next start resumes).
/// </summary>
public abstract class ExplanationJobBase : IJobKind
{
    public const int ConsecutiveFailuresAllowed = 3;
    protected static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Actor CatalogReader = new("system", "system", Role.Admin);

    public abstract string Name { get; }
    public abstract string Description { get; }
    protected abstract bool Scoring { get; }

    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        ExplanationJobRequest? request;
        try { request = parameters.Deserialize<ExplanationJobRequest>(Json); }
        catch (JsonException e) { return [$"parameters: {e.Message}"]; }
        return request is null ? ["parameters: missing"] : request.Validate(Scoring);
    }

    public object? Run(JobContext context) => RunAsync(context).GetAwaiter().GetResult();

    private async Task<object?> RunAsync(JobContext context)
    {
        var request = context.Parameters.Deserialize<ExplanationJobRequest>(Json)!;
        var ct = context.Cancellation;
        var providers = context.Services.GetRequiredService<ProviderSettingsService>();
        var settings = await providers.GetAsync(ct);
        IChatModel client;
        // A provider that cannot be used (none configured, its model unregistered, its key unreadable) fails the job
        // with the provider's own sentence as the job's message.
        try { client = await providers.CreateChatModelAsync(ct); }
        catch (ChatProviderException e) { throw new InvalidOperationException(e.Message, e); }
        using var owned = client as IDisposable;
        var model = new BudgetedChatModel(client, request.TokenBudget ?? settings.TokenBudgetPerJob);
        var items = await ItemsAsync(context.Services, request, ct);
        context.Report(0, $"{items.Count:N0} {ItemNoun} to do with {model.ModelName}");

        var service = context.Services.GetRequiredService<MachineExplanationService>();
        var samples = service.NewSharedSamples();
        int done = 0, already = 0, problems = 0, finished = 0, failuresInARow = 0;
        var firstProblems = new List<string>();
        var clock = Stopwatch.StartNew();
        Exception? fatal = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.MaxConcurrency), CancellationToken = stop.Token },
                async (item, token) =>
                {
                    ItemResult result;
                    try
                    {
                        result = await RunItemAsync(service, model, item, settings.UsesLogprobs, context.JobId, samples, request, token);
                        Interlocked.Exchange(ref failuresInARow, 0);
                    }
                    catch (ChatProviderException e)
                    {
                        result = new ItemResult(ItemState.Problem, e.Message);
                        if (Interlocked.Increment(ref failuresInARow) >= ConsecutiveFailuresAllowed) { fatal ??= e; stop.Cancel(); }
                    }
                    catch (TokenBudgetExhaustedException e) { fatal ??= e; stop.Cancel(); return; }
                    lock (firstProblems)
                    {
                        finished++;
                        switch (result.State)
                        {
                            case ItemState.AlreadyDone: already++; break;
                            case ItemState.Done: done++; break;
                        }
                        if (result.Note is not null)
                        {
                            if (result.State == ItemState.Problem) problems++;
                            if (firstProblems.Count < 20) firstProblems.Add($"{item.Describe}: {result.Note}");
                        }
                        var worked = finished - already;
                        var eta = worked == 0 ? "" : $" · about {Duration(clock.Elapsed / worked * (items.Count - finished))} left";
                        context.Report((double)finished / Math.Max(1, items.Count),
                            $"{finished:N0}/{items.Count:N0} {ItemNoun} ({already:N0} already done, {problems:N0} problems) · {model.Spent:N0} tokens{eta}");
                    }
                });
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && fatal is not null)
        {
            // Stopped by the budget or by repeated provider failures: reported below.
        }
        if (fatal is not null) throw new InvalidOperationException($"Stopped after {finished:N0}/{items.Count:N0} {ItemNoun}: {fatal.Message}", fatal);
        ct.ThrowIfCancellationRequested();
        return new ExplanationJobResult(model.ModelName, items.Count, done, already, problems, firstProblems, model.Spent, model.Calls,
            model.Calls == 0 ? null : Math.Round(clock.Elapsed.TotalSeconds / model.Calls, 3));
    }

    protected abstract string ItemNoun { get; }

    protected enum ItemState { AlreadyDone, Done, Problem }

    /// <summary>How one item went; <see cref="Note"/> is the problem, or a remark on a done item (e.g. a partly answered batch).</summary>
    protected sealed record ItemResult(ItemState State, string? Note = null);

    /// <summary>Does one item unless the database shows it already done.</summary>
    protected abstract Task<ItemResult> RunItemAsync(MachineExplanationService service, IChatModel model, WorkItem item, bool logprobs, long jobId,
        SharedSamples samples, ExplanationJobRequest request, CancellationToken ct);

    protected abstract Task<IReadOnlyList<WorkItem>> ItemsAsync(IServiceProvider services, ExplanationJobRequest request, CancellationToken ct);

    /// <summary>The latents the request names, in index order.</summary>
    internal static async Task<IReadOnlyList<(long Id, int Index)>> LatentsAsync(IServiceProvider services, ExplanationJobRequest request, CancellationToken ct)
    {
        var factory = services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Dictionaries.AnyAsync(d => d.Id == request.DictionaryId, ct))
            throw new ArgumentException($"dictionaryId: there is no dictionary #{request.DictionaryId}");
        var latents = db.Latents.AsNoTracking().Where(l => l.DictionaryId == request.DictionaryId);
        List<(long, int)> found;
        if (request.Indices is not null)
        {
            var indices = ScopeDefinitions.ParseIndices(request.Indices).Value!;
            found = (await latents.Where(l => indices.Contains(l.Index)).OrderBy(l => l.Index).Select(l => new { l.Id, l.Index }).ToListAsync(ct))
                .Select(l => (l.Id, l.Index)).ToList();
        }
        else if (request.Filter is not null)
        {
            var catalog = services.GetRequiredService<FeatureCatalog>();
            var query = ScopeDefinitions.ParseFilter(request.Filter) with { PageSize = FeatureQuery.MaxPageSize };
            var indices = new List<int>();
            for (var page = 0; ; page++)
            {
                var rows = await catalog.QueryAsync(request.DictionaryId, query with { Page = page }, CatalogReader, ct);
                indices.AddRange(rows.Rows.Select(r => r.Index));
                if (rows.Rows.Count < query.PageSize || (request.MaxLatents is { } m && indices.Count >= m)) break;
            }
            var set = indices.ToHashSet();
            found = (await latents.Select(l => new { l.Id, l.Index }).ToListAsync(ct)).Where(l => set.Contains(l.Index)).OrderBy(l => l.Index)
                .Select(l => (l.Id, l.Index)).ToList();
        }
        else
        {
            found = (await latents.Where(l => !l.IsDead).OrderBy(l => l.Index).Select(l => new { l.Id, l.Index }).ToListAsync(ct))
                .Select(l => (l.Id, l.Index)).ToList();
        }
        return request.MaxLatents is { } max ? found.Take(max).ToList() : found;
    }

    private static string Duration(TimeSpan t) => t.TotalMinutes >= 90 ? $"{t.TotalHours:0.#} h" : t.TotalSeconds >= 90 ? $"{t.TotalMinutes:0} min" : $"{t.TotalSeconds:0} s";

    /// <summary>One unit of work: a latent to explain, or an interpretation to score with one scorer.</summary>
    protected sealed record WorkItem(long Id, string? Scorer, string Describe);
}

/// <summary>"explain": one machine explanation per latent, written by the model's account.</summary>
public sealed class ExplainJob : ExplanationJobBase
{
    public const string KindName = "explain";
    public override string Name => KindName;
    public override string Description => "Explains latents with the configured language model (an OpenAI-compatible endpoint or a local instruct model); each explanation becomes an interpretation by the model's account.";
    protected override bool Scoring => false;
    protected override string ItemNoun => "latents";

    protected override async Task<IReadOnlyList<WorkItem>> ItemsAsync(IServiceProvider services, ExplanationJobRequest request, CancellationToken ct) =>
        (await LatentsAsync(services, request, ct)).Select(l => new WorkItem(l.Id, null, $"latent {l.Index}")).ToList();

    protected override async Task<ItemResult> RunItemAsync(MachineExplanationService service, IChatModel model, WorkItem item, bool logprobs, long jobId,
        SharedSamples samples, ExplanationJobRequest request, CancellationToken ct)
    {
        if (await service.IsExplainedAsync(item.Id, model.ModelName, ct)) return new(ItemState.AlreadyDone);
        var outcome = await service.ExplainAsync(model, item.Id, ct);
        return outcome.InterpretationId is null ? new(ItemState.Problem, outcome.Problem) : new(ItemState.Done);
    }
}

/// <summary>"score": detection and/or fuzzing scores of interpretations (people's and models') by the configured model.</summary>
public sealed class ScoreJob : ExplanationJobBase
{
    public const string KindName = "score";
    public override string Name => KindName;
    public override string Description => "Scores interpretations, human or machine, by detection and fuzzing with the configured language model.";
    protected override bool Scoring => true;
    protected override string ItemNoun => "scores";

    protected override async Task<IReadOnlyList<WorkItem>> ItemsAsync(IServiceProvider services, ExplanationJobRequest request, CancellationToken ct)
    {
        var factory = services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        List<(long Id, int Index)> interpretations;
        if (request.InterpretationIds is { Length: > 0 } ids)
        {
            interpretations = (await (from i in db.Interpretations
                                      join l in db.Latents on i.LatentId equals l.Id
                                      where ids.Contains(i.Id) && !i.IsDeleted && l.DictionaryId == request.DictionaryId
                                      orderby l.Index, i.Id
                                      select new { i.Id, l.Index }).ToListAsync(ct)).Select(x => (x.Id, x.Index)).ToList();
            if (interpretations.Count != ids.Distinct().Count())
                throw new ArgumentException($"interpretationIds: some are deleted or not in dictionary #{request.DictionaryId}");
        }
        else
        {
            var latents = (await LatentsAsync(services, request, ct)).ToDictionary(l => l.Id, l => l.Index);
            var ofLatents = db.Interpretations.AsNoTracking().Where(i => !i.IsDeleted && latents.Keys.Contains(i.LatentId));
            if (request.Authors == "people") ofLatents = ofLatents.Where(i => i.ExplanationModelName == null);
            if (request.Authors == "models") ofLatents = ofLatents.Where(i => i.ExplanationModelName != null);
            interpretations = (await ofLatents.Select(i => new { i.Id, i.LatentId }).ToListAsync(ct))
                .Select(i => (i.Id, latents[i.LatentId])).OrderBy(i => i.Item2).ThenBy(i => i.Id).ToList();
        }
        var scorers = request.Scorers ?? [.. Scorers.All];
        return interpretations.SelectMany(i => scorers.Select(s => new WorkItem(i.Id, s, $"interpretation {i.Id} (latent {i.Index}), {s}"))).ToList();
    }

    protected override async Task<ItemResult> RunItemAsync(MachineExplanationService service, IChatModel model, WorkItem item, bool logprobs, long jobId,
        SharedSamples samples, ExplanationJobRequest request, CancellationToken ct)
    {
        // Scoring again skips only what this job scored before a restart; otherwise any earlier score of this version counts.
        var done = request.Rescore
            ? await service.IsScoredByJobAsync(item.Id, item.Scorer!, model.ModelName, jobId, ct)
            : await service.IsScoredAsync(item.Id, item.Scorer!, model.ModelName, ct);
        if (done) return new(ItemState.AlreadyDone);
        var outcome = await service.ScoreAsync(model, item.Id, item.Scorer!, logprobs, jobId, samples, ct, rescore: request.Rescore);
        return outcome.ScoreId is null ? new(ItemState.Problem, outcome.Problem) : new(ItemState.Done, outcome.Problem);
    }
}
