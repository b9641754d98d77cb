using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// "Which features fire on this text". Requests run on the model's queue in the <see cref="ModelHost"/> (one
/// worker thread owns the model), which keeps the model and SAE loaded between requests and shares the queue with steering.
/// </summary>
public sealed class TestTextService(IDbContextFactory<WorkbenchDbContext> dbFactory, WorkbenchPaths paths, ModelHost host, Limits.UserRateLimiter rateLimiter)
{
    /// <summary>
    /// <see cref="RunAsync(long, string, TestTextOptions, CancellationToken)"/> for a person typing: counts against their model-pass
    /// budget (shared with steering), after the dictionary is found and before the model runs; throws
    /// <see cref="Limits.RateLimitedException"/> when it is spent (nothing runs).
    /// </summary>
    public async Task<TestTextResult> RunAsync(string userId, long dictionaryId, string text, TestTextOptions options, CancellationToken ct = default)
    {
        await DictionaryFilesAsync(dictionaryId, ct);
        rateLimiter.Acquire(Limits.WorkKind.ModelPass, userId);
        return await RunAsync(dictionaryId, text, options, ct);
    }

    /// <summary>
    /// Activations on <paramref name="text"/> for dictionary <paramref name="dictionaryId"/>. A text longer than the model's
    /// context throws <see cref="ArgumentException"/> with a message for the user.
    /// </summary>
    public async Task<TestTextResult> RunAsync(long dictionaryId, string text, TestTextOptions options, CancellationToken ct = default)
    {
        var (modelPath, saePath, saeOptions, densities) = await DictionaryFilesAsync(dictionaryId, ct);
        return await host.RunAsync(modelPath, (hosted, _) =>
        {
            var model = hosted.Model;
            var sae = hosted.Sae(saePath, saeOptions);
            var ids = model.Tokenizer.Encode(text);
            return TestText.Run(model.Model, sae.Metadata.HookName, sae.Autoencoder, ids, id => model.Tokenizer.Decode([id]), options, densities);
        }, cancellation: ct);
    }

    /// <summary>
    /// The highest activation of latent <paramref name="latentIndex"/> over each of <paramref name="contexts"/>
    /// (token ids; BOS is prepended as for any text), in one request on the model's queue. Detection scoring uses it
    /// to verify that a context shown as non-activating really has activation 0.
    /// </summary>
    public async Task<float[]> MaxActivationsAsync(long dictionaryId, int latentIndex, IReadOnlyList<int[]> contexts, CancellationToken ct = default)
    {
        var (modelPath, saePath, saeOptions, densities) = await DictionaryFilesAsync(dictionaryId, ct);
        var options = new TestTextOptions { Latent = latentIndex, Count = 1, IgnoreBos = true };
        return await host.RunAsync(modelPath, (hosted, _) =>
        {
            var model = hosted.Model;
            var sae = hosted.Sae(saePath, saeOptions);
            return contexts.Select(ids => TestText.Run(model.Model, sae.Metadata.HookName, sae.Autoencoder, ids, _ => "", options, densities)
                .Tokens.Where(t => t.Position > 0).Select(t => t.LatentActivation ?? 0f).DefaultIfEmpty(0f).Max()).ToArray();
        }, cancellation: ct);
    }

    /// <summary>The dictionary's model and SAE folders (resolved), its import options and its latents' densities, or a message for the user.</summary>
    private async Task<(string ModelPath, string SaePath, SaeWorkbench.Ml.Formats.SaeLoadOptions SaeOptions, double?[] Densities)> DictionaryFilesAsync(long dictionaryId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dictionary = await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == dictionaryId, ct)
                         ?? throw new ArgumentException($"there is no dictionary #{dictionaryId}");
        if (string.IsNullOrWhiteSpace(dictionary.ModelPath)) throw new ArgumentException($"dictionary #{dictionaryId} has no model folder recorded");
        var densities = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).OrderBy(l => l.Index).Select(l => l.Density).ToArrayAsync(ct);
        return (paths.Resolve(dictionary.ModelPath), paths.Resolve(dictionary.SaePath), Dictionaries.RegisteredSae.OptionsOf(dictionary), densities);
    }
}
