using System.Collections.Concurrent;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Explanations;

/// <summary>
/// The samples one score job has drawn, by (latent, seed). A model's detection and fuzzing scores of one
/// interpretation share the seed and therefore the sample (docs/science.md §13.4), and drawing it runs the subject
/// model over the non-activating candidates, so the job draws it once and both scorers read it. Concurrent requests
/// for one key share one draw. Only the most recent <see cref="Capacity"/> keys are kept: the job asks for an
/// interpretation's scorers one after the other. A draw that was cancelled or threw is forgotten, so the next request
/// draws again. Lives as long as one job run, so a later job always draws from the database as it then is; every
/// caller passes that run's cancellation token, so the first caller's token, which starts the draw, stands for all.
/// </summary>
public sealed class SharedSamples(Func<long, long, CancellationToken, Task<Validated<ScoringSample>>> draw, int capacity = SharedSamples.DefaultCapacity)
{
    public const int DefaultCapacity = 64;

    private readonly ConcurrentDictionary<(long Latent, long Seed), Lazy<Task<Validated<ScoringSample>>>> _draws = new();
    private readonly ConcurrentQueue<(long, long)> _order = new();
    private int _drawn;

    public int Capacity { get; } = capacity >= 1 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "capacity: at least 1");

    /// <summary>How many samples were actually drawn (the rest were shared).</summary>
    public int Drawn => Volatile.Read(ref _drawn);

    public async Task<Validated<ScoringSample>> DrawAsync(long latentId, long seed, CancellationToken ct = default)
    {
        var key = (latentId, seed);
        var entry = _draws.GetOrAdd(key, k => new Lazy<Task<Validated<ScoringSample>>>(() =>
        {
            Interlocked.Increment(ref _drawn);
            _order.Enqueue(k);
            return draw(k.Latent, k.Seed, ct);
        }));
        try
        {
            var result = await entry.Value.WaitAsync(ct);
            Evict();
            return result;
        }
        catch (Exception) when (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            _draws.TryRemove(new KeyValuePair<(long, long), Lazy<Task<Validated<ScoringSample>>>>(key, entry));
            throw;
        }
    }

    private void Evict()
    {
        while (_draws.Count > Capacity && _order.TryDequeue(out var oldest)) _draws.TryRemove(oldest, out _);
    }
}
