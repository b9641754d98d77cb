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

    public void Dispose()
    {
        _queue.Dispose();
        _loaded?.Dispose();
    }
}
