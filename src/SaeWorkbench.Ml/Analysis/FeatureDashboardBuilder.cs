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
/// Exact feature dashboards (SCIENCE.md §6) for every latent, streamed over token windows in two passes over the
/// same windows in the same order. Pass 1 accumulates density, max, mean-when-active and the top contexts (a
/// min-heap per latent fed by a per-batch <c>topk</c>; the global top k is always inside the union of the batch top
/// ks). The histogram and the interval bins are equal-width over (0, max], and max is known only after the whole
/// corpus, so pass 2 bins every non-zero activation exactly and samples each interval bin by reservoir sampling
/// (Vitter's algorithm R, seeded). BOS and padding positions never count. State is O(latents × examples kept):
/// independent of the corpus size. Not thread-safe.
/// </summary>
public sealed class FeatureDashboardBuilder : IDisposable
{
    private readonly int _m;
    private readonly long _bos;
    private readonly long? _pad;
    private readonly DashboardOptions _o;
    private readonly Tensor _count;   // [m] int64: tokens with f > 0
    private readonly Tensor _sum;     // [m] float64: sum of f over active tokens
    private readonly Tensor _max;     // [m] float32
    private readonly float[] _heapValues;             // [m × K] min-heap per latent
    private readonly DashboardExample?[] _heapExamples;
    private readonly int[] _heapCount;
    private long _tokens, _tokensPass2, _windowOffset;
    private float[] _maxima = [];
    private long[] _activeCounts = [];
    private double[] _sums = [];
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
        _count = zeros(latents, dtype: ScalarType.Int64).DetachFromDisposeScope();
        _sum = zeros(latents, dtype: ScalarType.Float64).DetachFromDisposeScope();
        _max = zeros(latents, dtype: ScalarType.Float32).DetachFromDisposeScope();
        _heapValues = new float[latents * _o.TopExamples];
        _heapExamples = new DashboardExample?[latents * _o.TopExamples];
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
        var flat = activations.reshape(b * t, _m).to(ScalarType.Float32).cpu();
        var keep = tensor(valid).unsqueeze(1) & (flat > 0);                          // [N, m]
        var masked = where(keep, flat, zeros_like(flat)).contiguous();              // [N, m], 0 where not counted
        var batch = new Batch(ids, valid, b, t, masked);
        if (Pass == DashboardPass.Statistics)
        {
            _tokens += n;
            ObserveStatistics(batch, keep);
        }
        else
        {
            _tokensPass2 += n;
            ObserveIntervals(batch, keep);
        }
        _windowOffset += b;
    }

    private readonly record struct Batch(long[] Ids, bool[] Valid, int B, int T, Tensor Masked);

    private void ObserveStatistics(Batch batch, Tensor keep)
    {
        _count.add_(keep.sum(0, type: ScalarType.Int64));
        _sum.add_(batch.Masked.sum(0, type: ScalarType.Float64));
        _max.copy_(maximum(_max, batch.Masked.amax(new long[] { 0 })));

        var k = Math.Min(_o.TopExamples, batch.B * batch.T);
        var (values, rows) = batch.Masked.topk(k, dim: 0);                          // [k, m] each
        var floor = new float[_m];
        for (var l = 0; l < _m; l++) floor[l] = _heapCount[l] < _o.TopExamples ? 0f : _heapValues[l * _o.TopExamples];
        var candidates = (values > tensor(floor).unsqueeze(0)).nonzero();            // [c, 2] (rank, latent)
        var c = (int)candidates.shape[0];
        if (c == 0) return;
        var pairs = candidates.data<long>().ToArray();
        var valueArray = values.contiguous().data<float>().ToArray();
        var rowArray = rows.contiguous().data<long>().ToArray();
        var wanted = new (long Row, int Latent)[c];
        for (var i = 0; i < c; i++)
        {
            var (rank, latent) = (pairs[2 * i], (int)pairs[2 * i + 1]);
            wanted[i] = (rowArray[rank * _m + latent], latent);
        }
        var examples = Extract(batch, wanted);
        for (var i = 0; i < c; i++)
        {
            var (rank, latent) = (pairs[2 * i], (int)pairs[2 * i + 1]);
            HeapOffer(latent, valueArray[rank * _m + latent], examples[i]);
        }
    }

    /// <summary>Ends pass 1: every latent's max is now known.</summary>
    public void EndStatisticsPass()
    {
        if (Pass != DashboardPass.Statistics) throw new InvalidOperationException($"pass 1 has already ended ({Pass})");
        _maxima = _max.data<float>().ToArray();
        _activeCounts = _count.data<long>().ToArray();
        _sums = _sum.data<double>().ToArray();
        _histogram = new long[_m * _o.HistogramBins];
        _intervalCounts = new long[_m * _o.IntervalBins];
        _samples = new DashboardExample?[_m * _o.IntervalBins * _o.ExamplesPerInterval];
        _rng = new Random(_o.Seed);
        _windowOffset = 0;
        Pass = DashboardPass.Intervals;
    }

    private void ObserveIntervals(Batch batch, Tensor keep)
    {
        var nz = keep.nonzero();                                                     // [e, 2] (row, latent), row-major
        var e = (int)nz.shape[0];
        if (e == 0) return;
        var pairs = nz.data<long>().ToArray();
        var linear = nz[.., 0] * _m + nz[.., 1];
        var values = batch.Masked.view(-1).index_select(0, linear).data<float>().ToArray();
        var (bins, intervals, per) = (_o.HistogramBins, _o.IntervalBins, _o.ExamplesPerInterval);
        var replaced = new Dictionary<int, long>();                                  // sample slot → row; last write wins
        for (var i = 0; i < e; i++)
        {
            var (row, latent) = (pairs[2 * i], (int)pairs[2 * i + 1]);
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
        var acts = batch.Masked.view(-1).index_select(0, tensor(linear.ToArray())).data<float>().ToArray();
        var result = new DashboardExample[wanted.Count];
        var offset = 0;
        for (var i = 0; i < wanted.Count; i++)
        {
            var (start, end, peak) = spans[i];
            var w = (int)(wanted[i].Row / batch.T);
            var length = end - start;
            var ids = new int[length];
            for (var s = 0; s < length; s++) ids[s] = (int)batch.Ids[w * batch.T + start + s];
            result[i] = new DashboardExample(ids, acts.AsSpan(offset, length).ToArray(), peak - start, _windowOffset + w, peak);
            offset += length;
        }
        return result;
    }

    /// <summary>Offers an example to the latent's min-heap of size K (root = smallest kept).</summary>
    private void HeapOffer(int latent, float value, DashboardExample example)
    {
        var k = _o.TopExamples;
        var b = latent * k;
        var n = _heapCount[latent];
        if (n < k)
        {
            var i = n;
            _heapCount[latent] = n + 1;
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (_heapValues[b + parent] <= value) break;
                _heapValues[b + i] = _heapValues[b + parent];
                _heapExamples[b + i] = _heapExamples[b + parent];
                i = parent;
            }
            _heapValues[b + i] = value;
            _heapExamples[b + i] = example;
            return;
        }
        if (value <= _heapValues[b]) return;
        var j = 0;
        while (true)
        {
            var child = 2 * j + 1;
            if (child >= k) break;
            if (child + 1 < k && _heapValues[b + child + 1] < _heapValues[b + child]) child++;
            if (_heapValues[b + child] >= value) break;
            _heapValues[b + j] = _heapValues[b + child];
            _heapExamples[b + j] = _heapExamples[b + child];
            j = child;
        }
        _heapValues[b + j] = value;
        _heapExamples[b + j] = example;
    }

    public void Dispose()
    {
        _count.Dispose();
        _sum.Dispose();
        _max.Dispose();
    }
}
