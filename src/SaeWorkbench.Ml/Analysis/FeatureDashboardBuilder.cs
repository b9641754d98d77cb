using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>Which pass a <see cref="FeatureDashboardBuilder"/> expects next.</summary>
public enum DashboardPass
{
    /// <summary>Pass 1: density, max, mean when active, top contexts.</summary>
    Statistics,

    /// <summary>Pass 2 (needs each latent's max): histogram, interval shares and interval samples.</summary>
    Intervals,

    Finished,
}

/// <summary>
/// Exact feature dashboards (docs/science.md §6) for every latent, streamed over token windows in two passes over the
/// same windows in the same order. Each batch is reduced to its non-zero activations (row, latent, value) once.
/// Pass 1 accumulates density, max, mean-when-active and the top contexts (a min-heap of size K per latent; contexts
/// are cut once per batch, only for entries still in a heap). The histogram and the interval bins are equal-width
/// over (0, max], and max is known only after the whole corpus, so pass 2 bins every non-zero activation exactly and
/// samples each interval bin by reservoir sampling (Vitter's algorithm R, seeded). BOS and padding positions never
/// count. State is O(latents × examples kept): independent of the corpus size. Not thread-safe.
/// </summary>
public sealed class FeatureDashboardBuilder
{
    private readonly int _m;
    private readonly long _bos;
    private readonly long? _pad;
    private readonly DashboardOptions _o;
    private readonly long[] _activeCounts;            // [m] tokens with f > 0
    private readonly double[] _sums;                  // [m] sum of f over those tokens
    private readonly float[] _maxima;                 // [m]
    private readonly float[] _heapValues;             // [m × K] min-heap per latent
    private readonly DashboardExample?[] _heapExamples;
    private readonly long[] _heapRows;                // row in the current batch whose context is still to be cut, else −1
    private readonly int[] _heapCount;
    private long _tokens, _tokensPass2, _windowOffset;
    private long[] _histogram = [];            // [m × bins]
    private long[] _intervalCounts = [];       // [m × intervalBins]
    private DashboardExample?[] _samples = []; // [m × intervalBins × perInterval]
    private Random _rng = new(0);

    public FeatureDashboardBuilder(int latents, long bosTokenId, long? padTokenId = null, DashboardOptions? options = null)
    {
        if (latents < 1) throw new ArgumentOutOfRangeException(nameof(latents), "at least one latent");
        _o = options ?? new DashboardOptions();
        _o.Validate();
        _m = latents;
        _bos = bosTokenId;
        _pad = padTokenId;
        _activeCounts = new long[latents];
        _sums = new double[latents];
        _maxima = new float[latents];
        _heapValues = new float[latents * _o.TopExamples];
        _heapExamples = new DashboardExample?[latents * _o.TopExamples];
        _heapRows = new long[latents * _o.TopExamples];
        Array.Fill(_heapRows, -1);
        _heapCount = new int[latents];
    }

    public int Latents => _m;

    public DashboardOptions Options => _o;

    public DashboardPass Pass { get; private set; } = DashboardPass.Statistics;

    /// <summary>Non-BOS, non-padding tokens seen in pass 1.</summary>
    public long Tokens => _tokens;

    /// <summary>
    /// Feeds one batch: <paramref name="tokens"/> [B, T] int64 and the SAE activations <paramref name="activations"/>
    /// [B, T, m] at those tokens. Call it for every batch of pass 1, then <see cref="EndStatisticsPass"/>, then again
    /// for the same batches in the same order, then <see cref="Finish"/>.
    /// </summary>
    public void Observe(Tensor tokens, Tensor activations)
    {
        if (Pass == DashboardPass.Finished) throw new InvalidOperationException("the dashboards are finished");
        if (tokens.dim() != 2) throw new ArgumentException($"tokens must be [batch, pos], got [{string.Join(", ", tokens.shape)}]");
        var (b, t) = ((int)tokens.shape[0], (int)tokens.shape[1]);
        if (!activations.shape.SequenceEqual(new long[] { b, t, _m }))
            throw new ArgumentException($"activations must be [{b}, {t}, {_m}], got [{string.Join(", ", activations.shape)}]");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tokens.to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
        var valid = new bool[ids.Length];
        long n = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            valid[i] = ids[i] != _bos && (_pad is not { } p || ids[i] != p);
            if (valid[i]) n++;
        }
        var flat = activations.reshape(b * t, _m).to(ScalarType.Float32).cpu().contiguous();   // [N, m]
        // Everything below works on the non-zero entries only (a few per token for a sparse dictionary).
        var nz = flat.Gt(0).nonzero();                                                         // [e, 2] (row, latent), row-major
        var pairs = nz.shape[0] == 0 ? [] : nz.data<long>().ToArray();
        var values = nz.shape[0] == 0 ? [] : flat.view(-1).index_select(0, nz[.., 0].Times((long)_m).Plus(nz[.., 1])).data<float>().ToArray();
        var batch = new Batch(ids, valid, b, t, flat);
        if (Pass == DashboardPass.Statistics)
        {
            _tokens += n;
            ObserveStatistics(batch, pairs, values);
        }
        else
        {
            _tokensPass2 += n;
            ObserveIntervals(batch, pairs, values);
        }
        _windowOffset += b;
    }

    private readonly record struct Batch(long[] Ids, bool[] Valid, int B, int T, Tensor Flat);

    private void ObserveStatistics(Batch batch, long[] pairs, float[] values)
    {
        var k = _o.TopExamples;
        var pending = new List<int>();                                               // heap slots filled in this batch
        for (var i = 0; i < values.Length; i++)
        {
            var (row, latent) = (pairs[2 * i], (int)pairs[2 * i + 1]);
            if (!batch.Valid[row]) continue;
            var v = values[i];
            _activeCounts[latent]++;
            _sums[latent] += v;
            if (v > _maxima[latent]) _maxima[latent] = v;
            if (_heapCount[latent] == k && v <= _heapValues[latent * k]) continue;
            HeapOffer(latent, v, row);
        }
        // Contexts only for the entries that are in a heap at the end of the batch: one gather.
        for (var slot = 0; slot < _heapRows.Length; slot++)
            if (_heapRows[slot] >= 0) pending.Add(slot);
        if (pending.Count == 0) return;
        var examples = Extract(batch, pending.Select(s => (_heapRows[s], s / k)).ToArray());
        for (var i = 0; i < pending.Count; i++)
        {
            _heapExamples[pending[i]] = examples[i];
            _heapRows[pending[i]] = -1;
        }
    }

    /// <summary>Ends pass 1: every latent's max is now known.</summary>
    public void EndStatisticsPass()
    {
        if (Pass != DashboardPass.Statistics) throw new InvalidOperationException($"pass 1 has already ended ({Pass})");
        _histogram = new long[_m * _o.HistogramBins];
        _intervalCounts = new long[_m * _o.IntervalBins];
        _samples = new DashboardExample?[_m * _o.IntervalBins * _o.ExamplesPerInterval];
        _rng = new Random(_o.Seed);
        _windowOffset = 0;
        Pass = DashboardPass.Intervals;
    }

    private void ObserveIntervals(Batch batch, long[] pairs, float[] values)
    {
        var (bins, intervals, per) = (_o.HistogramBins, _o.IntervalBins, _o.ExamplesPerInterval);
        var replaced = new Dictionary<int, long>();                                  // sample slot → row; last write wins
        for (var i = 0; i < values.Length; i++)
        {
            var (row, latent) = (pairs[2 * i], (int)pairs[2 * i + 1]);
            if (!batch.Valid[row]) continue;
            double max = _maxima[latent], v = values[i];
            _histogram[latent * bins + EqualWidthBins.Of(v, max, bins)]++;
            var interval = latent * intervals + EqualWidthBins.Of(v, max, intervals);
            var seen = ++_intervalCounts[interval];
            // Algorithm R: the first `per` fill the reservoir; the s-th replaces a random slot with probability per/s.
            var slot = seen <= per ? seen - 1 : _rng.NextInt64(seen);
            if (slot < per) replaced[(int)(interval * per + slot)] = row;
        }
        if (replaced.Count == 0) return;
        var slots = replaced.Keys.ToArray();
        var wanted = slots.Select(s => (replaced[s], s / (intervals * per))).ToArray();
        var examples = Extract(batch, wanted);
        for (var i = 0; i < slots.Length; i++) _samples[slots[i]] = examples[i];
    }

    /// <summary>Ends pass 2.</summary>
    public void Finish()
    {
        if (Pass != DashboardPass.Intervals) throw new InvalidOperationException($"finish follows pass 2, the builder is in {Pass}");
        if (_tokensPass2 != _tokens)
            throw new InvalidOperationException($"pass 2 saw {_tokensPass2} tokens but pass 1 saw {_tokens}: both passes must see the same windows");
        Pass = DashboardPass.Finished;
    }

    /// <summary>The finished dashboard of latent <paramref name="latent"/>.</summary>
    public LatentDashboard Dashboard(int latent)
    {
        if (Pass != DashboardPass.Finished) throw new InvalidOperationException("call Finish first");
        ArgumentOutOfRangeException.ThrowIfNegative(latent);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(latent, _m);
        var active = _activeCounts[latent];
        var max = _maxima[latent];
        var stats = new LatentStatistics(latent, active, _tokens, max, active == 0 ? 0 : _sums[latent] / active);
        var top = Enumerable.Range(latent * _o.TopExamples, _heapCount[latent])
            .Select(i => _heapExamples[i]!)
            .OrderByDescending(x => x.PeakActivation).ThenBy(x => x.WindowIndex).ThenBy(x => x.Position)
            .ToArray();
        var intervals = new IntervalSample[_o.IntervalBins];
        for (var j = 0; j < _o.IntervalBins; j++)
        {
            var count = _intervalCounts[latent * _o.IntervalBins + j];
            var examples = Enumerable.Range((latent * _o.IntervalBins + j) * _o.ExamplesPerInterval, _o.ExamplesPerInterval)
                .Select(i => _samples[i]).OfType<DashboardExample>().ToArray();
            intervals[j] = new IntervalSample(j, EqualWidthBins.Lower(j, max, _o.IntervalBins), EqualWidthBins.Upper(j, max, _o.IntervalBins),
                count, active == 0 ? 0 : (double)count / active, examples);
        }
        var histogram = _histogram.AsSpan(latent * _o.HistogramBins, _o.HistogramBins).ToArray();
        return new LatentDashboard(stats, histogram, top, intervals);
    }

    /// <summary>
    /// The context around each (row, latent): up to <see cref="DashboardOptions.TokensBefore"/> tokens before and
    /// <see cref="DashboardOptions.TokensAfter"/> after, never crossing a BOS/padding token or the window's edge.
    /// One gather for all of them.
    /// </summary>
    private DashboardExample[] Extract(Batch batch, IReadOnlyList<(long Row, int Latent)> wanted)
    {
        var spans = new (int Start, int End, int Peak)[wanted.Count];
        var linear = new List<long>();
        for (var i = 0; i < wanted.Count; i++)
        {
            var (row, latent) = wanted[i];
            var w = (int)(row / batch.T);
            var peak = (int)(row % batch.T);
            var rowStart = w * batch.T;
            var start = peak;
            while (start > 0 && peak - start < _o.TokensBefore && batch.Valid[rowStart + start - 1]) start--;
            var end = peak + 1;
            while (end < batch.T && end - peak - 1 < _o.TokensAfter && batch.Valid[rowStart + end]) end++;
            spans[i] = (start, end, peak);
            for (var s = start; s < end; s++) linear.Add(((long)rowStart + s) * _m + latent);
        }
        using var scope = NewDisposeScope();
        var acts = batch.Flat.view(-1).index_select(0, tensor(linear.ToArray())).data<float>().ToArray();
        var result = new DashboardExample[wanted.Count];
        var offset = 0;
        for (var i = 0; i < wanted.Count; i++)
        {
            var (start, end, peak) = spans[i];
            var w = (int)(wanted[i].Row / batch.T);
            var length = end - start;
            var ids = new int[length];
            for (var s = 0; s < length; s++) ids[s] = (int)batch.Ids[w * batch.T + start + s];
            var a = acts.AsSpan(offset, length).ToArray();
            for (var s = 0; s < length; s++) a[s] = Math.Max(0f, a[s]);                    // SAE activations are ≥ 0
            result[i] = new DashboardExample(ids, a, peak - start, _windowOffset + w, peak);
            offset += length;
        }
        return result;
    }

    /// <summary>Offers (value, row of this batch) to the latent's min-heap of size K (root = smallest kept).</summary>
    private void HeapOffer(int latent, float value, long row)
    {
        var k = _o.TopExamples;
        var b = latent * k;
        var n = _heapCount[latent];
        int j;
        if (n < k)
        {
            j = n;
            _heapCount[latent] = n + 1;
            while (j > 0)
            {
                var parent = (j - 1) / 2;
                if (_heapValues[b + parent] <= value) break;
                Move(b + parent, b + j);
                j = parent;
            }
        }
        else
        {
            if (value <= _heapValues[b]) return;
            j = 0;
            while (true)
            {
                var child = 2 * j + 1;
                if (child >= k) break;
                if (child + 1 < k && _heapValues[b + child + 1] < _heapValues[b + child]) child++;
                if (_heapValues[b + child] >= value) break;
                Move(b + child, b + j);
                j = child;
            }
        }
        _heapValues[b + j] = value;
        _heapExamples[b + j] = null;
        _heapRows[b + j] = row;
    }

    private void Move(int from, int to)
    {
        _heapValues[to] = _heapValues[from];
        _heapExamples[to] = _heapExamples[from];
        _heapRows[to] = _heapRows[from];
    }
}
