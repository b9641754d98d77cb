using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Lm;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Activations;

/// <summary>
/// Activations computed on the fly (docs/science.md §3): token windows → <see cref="IHookedLanguageModel.RunToHook"/> →
/// a shuffle buffer of <c>bufferTokens</c> activations → batches. BOS and padding positions are skipped. Each
/// refill shuffles the whole buffer with a generator seeded by (seed, refill number) and hands out half of it, so
/// the order is a function of the seed and the corpus; the windows are re-read from the start when they run out.
/// With an output hook (a transcoder's, docs/science.md §12) each row is [x | y]: the input hook's activation read by a
/// hook during the same forward pass that runs on to the output hook.
/// </summary>
public sealed class LanguageModelActivationSource : IActivationPairSource
{
    private readonly IHookedLanguageModel _model;
    private readonly IEnumerable<long[]> _windows;
    private readonly int _bufferTokens;
    private readonly int _windowsPerForward;
    private readonly long _seed;
    private readonly long? _padTokenId;
    private IEnumerator<long[]>? _corpus;
    private Tensor _buffer;            // [bufferTokens, d]
    private int _buffered;             // rows of _buffer in use
    private Tensor? _ready;            // shuffled rows waiting to be handed out
    private int _readyOffset;
    private long _refills;
    private bool _firstFillDone;

    public int Width { get; }
    public int InputWidth { get; }
    public int OutputWidth { get; }
    public string ModelName { get; }
    public string HookName { get; }
    public string? OutputHookName { get; }
    public long Position { get; private set; }

    /// <param name="outputHookName">A transcoder's output hook, after <paramref name="hookName"/> in the forward pass; null reads one hook.</param>
    public LanguageModelActivationSource(IHookedLanguageModel model, string hookName, IEnumerable<long[]> windows,
        string modelName, int bufferTokens = 1 << 17, int windowsPerForward = 8, long seed = 0, long? padTokenId = null,
        string? outputHookName = null)
    {
        HookPoints.RequireKnown(model.HookNames, hookName);
        if (outputHookName is not null) TranscoderHooks.Check(model.HookNames, hookName, outputHookName);
        if (bufferTokens < 2) throw new ArgumentException($"the shuffle buffer needs at least 2 tokens, got {bufferTokens}");
        _model = model;
        _windows = windows;
        _bufferTokens = bufferTokens;
        _windowsPerForward = Math.Max(1, windowsPerForward);
        _seed = seed;
        _padTokenId = padTokenId;
        HookName = hookName;
        OutputHookName = outputHookName;
        ModelName = modelName;
        InputWidth = model.HookWidth(hookName);
        OutputWidth = outputHookName is null ? 0 : model.HookWidth(outputHookName);
        Width = InputWidth + OutputWidth;
        _buffer = zeros(bufferTokens, Width).DetachFromDisposeScope();
    }

    public Tensor NextBatch(int batchSize)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        var need = batchSize;
        while (need > 0)
        {
            if (_ready is null || _readyOffset >= _ready.shape[0]) Refill();
            var take = (int)Math.Min(need, _ready!.shape[0] - _readyOffset);
            parts.Add(_ready[_readyOffset..(_readyOffset + take)]);
            _readyOffset += take;
            need -= take;
        }
        Position += batchSize;
        return (parts.Count == 1 ? parts[0].clone() : cat(parts, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>Fills the buffer from the model, shuffles it, and hands out its first half.</summary>
    private void Refill()
    {
        using var scope = NewDisposeScope();
        var passStartedEmpty = false;
        while (_buffered < _bufferTokens)
        {
            _corpus ??= _windows.GetEnumerator();
            var chunk = new List<long[]>();
            while (chunk.Count < _windowsPerForward && _corpus.MoveNext())
            {
                var w = _corpus.Current;
                if (chunk.Count > 0 && w.Length != chunk[0].Length) { AddActivations(chunk); chunk.Clear(); }
                if (w.Length > 0) chunk.Add(w);
            }
            if (chunk.Count > 0) { AddActivations(chunk); passStartedEmpty = false; continue; }
            // End of the corpus: start it again, unless the first fill cannot be completed.
            _corpus.Dispose();
            _corpus = null;
            if (!_firstFillDone)
                throw new InvalidDataException($"the corpus yields only {_buffered} activation tokens (BOS and padding skipped) " +
                    $"but the shuffle buffer holds {_bufferTokens}; use a smaller buffer or a larger corpus");
            if (passStartedEmpty) throw new InvalidDataException("the corpus yields no activation tokens");
            passStartedEmpty = true;
        }
        _firstFillDone = true;
        using var gen = new Generator().manual_seed(unchecked(_seed * 1_000_003 + _refills++));
        var shuffled = _buffer[randperm(_bufferTokens, generator: gen)];
        var half = _bufferTokens / 2;
        _ready?.Dispose();
        _ready = shuffled[..half].clone().DetachFromDisposeScope();
        _readyOffset = 0;
        _buffer[..(_bufferTokens - half)].copy_(shuffled[half..]);
        _buffered = _bufferTokens - half;
    }

    private void AddActivations(List<long[]> windows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var length = windows[0].Length;
        if (length > _model.ContextLength)
            throw new ArgumentException($"a token window has {length} tokens; the model's context is {_model.ContextLength}");
        var tokens = tensor(windows.SelectMany(w => w).ToArray(), new long[] { windows.Count, length }).to(_model.Device);
        var keep = tokens.Ne(_model.BosTokenId);
        if (_padTokenId is { } pad) keep &= tokens.Ne(pad);
        Tensor acts;
        if (OutputHookName is null) acts = _model.RunToHook(tokens, HookName).to(float32).cpu();          // [b, T, d]
        else
        {
            // RunToHook disposes what its pass creates: the input leaves the pass as a copy this method owns.
            Tensor? input = null;
            try
            {
                using (_model.AddHook(HookName, a => { input = a.detach().to(float32).cpu().clone().DetachFromDisposeScope(); return a; }))
                {
                    var output = _model.RunToHook(tokens, OutputHookName).to(float32).cpu();              // [b, T, d_out]
                    acts = cat([input ?? throw new InvalidOperationException($"hook '{HookName}' was not reached before '{OutputHookName}'"), output], -1); // [b, T, d_in + d_out]
                }
            }
            finally
            {
                input?.Dispose();
            }
        }
        var rows = acts[keep.cpu()];                                                        // [n, d]
        var n = (int)Math.Min(rows.shape[0], _bufferTokens - _buffered);
        // Rows beyond the buffer's free space are dropped; at most one forward's worth per refill.
        _buffer[_buffered..(_buffered + n)].copy_(rows[..n]);
        _buffered += n;
    }

    public void Seek(long position)
    {
        _corpus?.Dispose();
        _corpus = null;
        _ready?.Dispose();
        _ready = null;
        _readyOffset = 0;
        _buffered = 0;
        _refills = 0;
        _firstFillDone = false;
        Position = 0;
        // Replay: the order depends only on the seed and corpus, so reading and dropping reproduces the position.
        const int chunk = 1 << 14;
        for (var left = position; left > 0; left -= chunk)
        {
            using var scope = NewDisposeScope();
            NextBatch((int)Math.Min(chunk, left));
        }
    }

    public void Dispose()
    {
        _corpus?.Dispose();
        _ready?.Dispose();
        _buffer.Dispose();
    }
}
