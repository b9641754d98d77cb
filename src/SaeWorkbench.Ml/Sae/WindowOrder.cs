using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// The order in which token windows reach a training run or an evaluation (docs/science.md §3.3, §4). A corpus streams
/// its files in path order, which for a corpus like the demo's (one file per year) is chronological: a run that reads
/// it in that order ends on the latest era, and its JumpReLU thresholds, which the L0 controller fits to the batches it
/// has just seen, are fitted to that era; an evaluation that reads the first tokens of the validation split measures
/// only its earliest files. The activation shuffle buffer mixes only ~10⁵ neighbouring tokens, so it cannot undo
/// either. <see cref="Shuffle{T}"/> draws windows from a pool of up to <c>poolTokens</c> tokens: a corpus split that
/// fits in the pool comes out as one uniform random permutation, and a larger one is mixed over that span.
/// </summary>
public static class WindowOrder
{
    /// <summary>Tokens of windows held for shuffling: 2²⁴ int32 ids are 64 MiB, and a whole demo-sized corpus.</summary>
    public const long DefaultPoolTokens = 1L << 24;

    /// <summary>Windows of the evaluation at most (docs/science.md §4): the reconstruction metrics read evalTokens of them, CE the first 64.</summary>
    public const int HeldOutWindowLimit = 4096;

    /// <summary>
    /// The training split's <paramref name="context"/>-token windows as a training run reads them: shuffled with
    /// <paramref name="seed"/> (the run's seed), as int64 ids for the model.
    /// </summary>
    public static IEnumerable<long[]> TrainingWindows(TextCorpus corpus, ITokenizer tokenizer, int context, int seed) =>
        Shuffle(TokenWindows.Enumerate(corpus, tokenizer, CorpusSplit.Train, context), seed).Select(ToLong);

    /// <summary>
    /// The held-out windows of the evaluation: up to <see cref="HeldOutWindowLimit"/> windows of the validation split,
    /// shuffled with <paramref name="seed"/>, so that the first evalTokens tokens and the first 64 windows sample the
    /// whole split rather than its first files; the training split's (64 windows) when there is no validation
    /// document, and empty when neither yields a window.
    /// </summary>
    public static List<long[]> HeldOutWindows(TextCorpus corpus, ITokenizer tokenizer, int context, int seed)
    {
        List<long[]> Take(CorpusSplit split, int count) =>
            Shuffle(TokenWindows.Enumerate(corpus, tokenizer, split, context), seed).Take(count).Select(ToLong).ToList();
        var heldOut = Take(CorpusSplit.Validation, HeldOutWindowLimit);
        return heldOut.Count > 0 ? heldOut : Take(CorpusSplit.Train, 64);
    }

    private static long[] ToLong(int[] window) => Array.ConvertAll(window, t => (long)t);

    /// <summary>
    /// The windows in a random order fixed by <paramref name="seed"/>: every enumeration gives the same sequence
    /// (the activation source replays it to resume, and re-enumerates it for each epoch). Windows are held, not copied;
    /// once a pass has found that all of them fit in the pool, later passes replay that permutation without reading
    /// (and tokenising) <paramref name="windows"/> again.
    /// </summary>
    public static IEnumerable<T[]> Shuffle<T>(IEnumerable<T[]> windows, int seed, long poolTokens = DefaultPoolTokens)
    {
        ArgumentNullException.ThrowIfNull(windows);
        if (poolTokens < 1) throw new ArgumentOutOfRangeException(nameof(poolTokens), $"the shuffle pool must hold at least 1 token, got {poolTokens}");
        return new Shuffled<T>(windows, seed, poolTokens);
    }

    private sealed class Shuffled<T>(IEnumerable<T[]> windows, int seed, long poolTokens) : IEnumerable<T[]>
    {
        private List<T[]>? _whole;      // the whole permutation, from a pass in which every window fitted in the pool

        public IEnumerator<T[]> GetEnumerator() => (_whole ?? Pass()).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private IEnumerable<T[]> Pass()
        {
            // System.Random with a seed is a fixed algorithm (the seeded generator keeps its historical sequence).
            var random = new Random(seed);
            var pool = new List<T[]>();
            long pooled = 0;
            var overflowed = false;
            foreach (var window in windows)
            {
                if (pool.Count > 0 && pooled + window.Length > poolTokens)
                {
                    // Full: hand out a random held window and keep the new one in its place.
                    overflowed = true;
                    var i = random.Next(pool.Count);
                    var held = pool[i];
                    pooled += window.Length - held.Length;
                    pool[i] = window;
                    yield return held;
                }
                else
                {
                    pool.Add(window);
                    pooled += window.Length;
                }
            }
            // The rest in a Fisher–Yates order: for a split that fitted in the pool this is the whole permutation.
            var order = overflowed ? null : new List<T[]>(pool.Count);
            for (var n = pool.Count; n > 0; n--)
            {
                var j = random.Next(n);
                var next = pool[j];
                pool[j] = pool[n - 1];
                order?.Add(next);
                yield return next;
            }
            if (order is not null) _whole = order;
        }
    }
}
