using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// "Which features fire on this text" (issue 5 §4). Requests run one at a time on a bounded inference queue (one
/// worker thread owns the model), and the last dictionary's model and SAE stay loaded between requests.
/// </summary>
public sealed class TestTextService(IDbContextFactory<WorkbenchDbContext> dbFactory, WorkbenchPaths paths) : IDisposable
{
    private readonly InferenceQueue _queue = new(16, "test-text");
    private Loaded? _loaded;   // touched only on the queue's worker thread

    private sealed record Loaded(long DictionaryId, LoadedLanguageModel Model, SaeLensSae Sae, double?[] Densities) : IDisposable
    {
        public void Dispose()
        {
            Model.Dispose();
            Sae.Dispose();
        }
    }

    /// <summary>
    /// Activations on <paramref name="text"/> for dictionary <paramref name="dictionaryId"/>. A text longer than the model's
    /// context throws <see cref="ArgumentException"/> with a message for the user.
    /// </summary>
    public async Task<TestTextResult> RunAsync(long dictionaryId, string text, TestTextOptions options, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dictionary = await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == dictionaryId, ct)
                         ?? throw new ArgumentException($"there is no dictionary #{dictionaryId}");
        if (string.IsNullOrWhiteSpace(dictionary.ModelPath)) throw new ArgumentException($"dictionary #{dictionaryId} has no model folder recorded");
        var densities = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).OrderBy(l => l.Index).Select(l => l.Density).ToArrayAsync(ct);
        var modelPath = paths.Resolve(dictionary.ModelPath);
        return await _queue.EnqueueAsync(_ =>
        {
            if (_loaded?.DictionaryId != dictionaryId)
            {
                _loaded?.Dispose();
                _loaded = null;
                _loaded = new Loaded(dictionaryId, HuggingFaceGpt2.Load(modelPath, TorchRuntime.BestDevice()), SaeLensFolder.Load(dictionary.SaePath), densities);
            }
            var l = _loaded with { Densities = densities };
            var ids = l.Model.Tokenizer.Encode(text);
            return TestText.Run(l.Model.Model, l.Sae.Metadata.HookName, l.Sae.Autoencoder, ids, id => l.Model.Tokenizer.Decode([id]), options, l.Densities);
        }, cancellation: ct);
    }

    /// <summary>
    /// Issue 8 §5: the highest activation of latent <paramref name="latentIndex"/> over each of <paramref name="contexts"/>
    /// (token ids; BOS is prepended as for any text), in one request on the inference queue. Detection scoring uses it
    /// to verify that a context shown as non-activating really has activation 0.
    /// </summary>
    public async Task<float[]> MaxActivationsAsync(long dictionaryId, int latentIndex, IReadOnlyList<int[]> contexts, CancellationToken ct = default)
    {
        var (model, sae, densities) = await LoadInfoAsync(dictionaryId, ct);
        var options = new TestTextOptions { Latent = latentIndex, Count = 1, IgnoreBos = true };
        return await _queue.EnqueueAsync(_ =>
        {
            var l = Load(dictionaryId, model, sae, densities);
            return contexts.Select(ids => TestText.Run(l.Model.Model, l.Sae.Metadata.HookName, l.Sae.Autoencoder, ids, _ => "", options, l.Densities)
                .Tokens.Where(t => t.Position > 0).Select(t => t.LatentActivation ?? 0f).DefaultIfEmpty(0f).Max()).ToArray();
        }, cancellation: ct);
    }

    private async Task<(string ModelPath, string SaePath, double?[] Densities)> LoadInfoAsync(long dictionaryId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var dictionary = await db.Dictionaries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == dictionaryId, ct)
                         ?? throw new ArgumentException($"there is no dictionary #{dictionaryId}");
        if (string.IsNullOrWhiteSpace(dictionary.ModelPath)) throw new ArgumentException($"dictionary #{dictionaryId} has no model folder recorded");
        var densities = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).OrderBy(l => l.Index).Select(l => l.Density).ToArrayAsync(ct);
        return (paths.Resolve(dictionary.ModelPath), dictionary.SaePath, densities);
    }

    /// <summary>The loaded model and SAE of the dictionary (call on the queue's worker thread only).</summary>
    private Loaded Load(long dictionaryId, string modelPath, string saePath, double?[] densities)
    {
        if (_loaded?.DictionaryId != dictionaryId)
        {
            _loaded?.Dispose();
            _loaded = null;
            _loaded = new Loaded(dictionaryId, HuggingFaceGpt2.Load(modelPath, TorchRuntime.BestDevice()), SaeLensFolder.Load(saePath), densities);
        }
        return _loaded with { Densities = densities };
    }

    public void Dispose()
    {
        _queue.Dispose();
        _loaded?.Dispose();
    }
}
