using System.Collections.Concurrent;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Research.Models;

namespace SaeWorkbench.Research.Inference;

/// <summary>
/// The interactive side of every loaded model (docs/architecture.md §3): per model folder one
/// bounded <see cref="InferenceQueue"/>, whose single worker thread loads the model once and keeps it, with the SAEs
/// used on it, between requests. Test text and steering both run here, so one model's requests share one queue.
/// </summary>
/// <param name="dtypes">The dtype each folder's model runs in (its registration's, docs/science.md §10.2).</param>
public sealed class ModelHost(IModelComputeDtypes dtypes) : IDisposable
{
    /// <summary>Requests one model's queue holds before it answers "full".</summary>
    public const int QueueCapacity = 16;

    private readonly ConcurrentDictionary<string, HostedModel> _models = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>
    /// Runs <paramref name="work"/> on the queue of the model in <paramref name="modelFolder"/> (an absolute path), loading
    /// it first if needed. <paramref name="position"/> hears the place in the queue (1 = next, 0 = running). Throws
    /// <see cref="InferenceQueueFullException"/> at once when the queue is full.
    /// </summary>
    public Task<T> RunAsync<T>(string modelFolder, Func<HostedModel, CancellationToken, T> work, IProgress<int>? position = null,
        CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var hosted = _models.GetOrAdd(Path.GetFullPath(modelFolder), folder => new HostedModel(folder, QueueCapacity, dtypes));
        return hosted.Queue.EnqueueAsync(token => work(hosted, token), position, cancellation);
    }

    /// <summary>The queue of a model folder (created on first use).</summary>
    public InferenceQueue QueueOf(string modelFolder) =>
        _models.GetOrAdd(Path.GetFullPath(modelFolder), folder => new HostedModel(folder, QueueCapacity, dtypes)).Queue;

    public void Dispose()
    {
        _disposed = true;
        foreach (var m in _models.Values) m.Dispose();
        _models.Clear();
    }
}

/// <summary>One model folder's queue, model and SAEs. <see cref="Model"/> and <see cref="Sae"/> are for the queue's thread only.</summary>
public sealed class HostedModel(string folder, int capacity, IModelComputeDtypes dtypes) : IDisposable
{
    private const int SaesKept = 4;
    private readonly List<(string Folder, SaeLoadOptions Options, SaeLensSae Sae)> _saes = [];
    private LoadedLanguageModel? _model;
    private string? _dtype;

    public string Folder { get; } = folder;

    /// <summary>The dtype <see cref="Model"/> was loaded in; null before it is loaded.</summary>
    public string? ComputeDtype => _dtype;
    public InferenceQueue Queue { get; } = new(capacity, "inference " + Path.GetFileName(folder));

    /// <summary>
    /// The model in its compute dtype, loaded on first use after the memory check (docs/science.md §10.2), and loaded
    /// again when an Admin has changed the dtype since (the SAEs, checked against the old model, go with it).
    /// </summary>
    public LoadedLanguageModel Model
    {
        get
        {
            var dtype = dtypes.ComputeDtypeOf(Folder);
            if (_model is not null && dtype == _dtype) return _model;
            _model?.Dispose();
            _model = null;
            foreach (var s in _saes) s.Sae.Dispose();
            _saes.Clear();
            _model = ModelMemory.Load(Folder, dtype);
            _dtype = dtype;
            return _model;
        }
    }

    /// <summary>
    /// The SAE in <paramref name="saeFolder"/>, loaded on first use and checked against the model: a hook the model
    /// does not have, or another width, throws <see cref="InvalidDataException"/> before anything runs. The options are
    /// the dictionary's stored import options (<see cref="Dictionaries.RegisteredSae.OptionsOf"/>), part of the cache key.
    /// </summary>
    public SaeLensSae Sae(string saeFolder, SaeLoadOptions options)
    {
        var full = Path.GetFullPath(saeFolder);
        var at = _saes.FindIndex(s => s.Folder == full && s.Options == options);
        if (at >= 0)
        {
            var hit = _saes[at];
            _saes.RemoveAt(at);
            _saes.Add(hit);
            return hit.Sae;
        }
        var loaded = SaeFolders.Load(full, Model.Model, options);
        if (_saes.Count >= SaesKept)
        {
            _saes[0].Sae.Dispose();
            _saes.RemoveAt(0);
        }
        _saes.Add((full, options, loaded));
        return loaded;
    }

    public void Dispose()
    {
        Queue.Dispose();
        foreach (var s in _saes) s.Sae.Dispose();
        _saes.Clear();
        _model?.Dispose();
    }
}
