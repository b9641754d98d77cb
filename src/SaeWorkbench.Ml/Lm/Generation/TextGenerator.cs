using SaeWorkbench.Ml.Runtime;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SaeWorkbench.Ml.Lm.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm.Generation;

/// <summary>
/// Samples continuations from a <see cref="IHookedLanguageModel"/>. Prompts of equal token length run as one batch;
/// hooks registered on the model stay active for every step (with the KV cache a hook sees the prompt
/// positions at the first step and then one new position per step). Not thread-safe (one model, one caller at a
/// time): interactive callers go through an <see cref="InferenceQueue"/>.
/// </summary>
public sealed class TextGenerator(IHookedLanguageModel model, ITokenizer tokenizer)
{
    /// <summary>Streams the tokens of one prompt as they are produced.</summary>
    public IAsyncEnumerable<GeneratedToken> GenerateAsync(string prompt, GenerationOptions options,
        CancellationToken cancellation = default) => GenerateAsync([prompt], options, cancellation);

    /// <summary>Streams the tokens of several prompts (interleaved; see <see cref="GeneratedToken.PromptIndex"/>).</summary>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<string> prompts, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var encoded = Encode(prompts, options); // errors (prompt too long) surface before the first token
        var channel = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var worker = Task.Run(() =>
        {
            try
            {
                Run(encoded, options, t => channel.Writer.TryWrite(t), cancellation);
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, CancellationToken.None);
        await foreach (var token in channel.Reader.ReadAllAsync(CancellationToken.None)) yield return token;
        await worker;
    }

    /// <summary>Generates for every prompt and returns the complete texts (synchronous).</summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<string> prompts, GenerationOptions options,
        Action<GeneratedToken>? onToken = null, CancellationToken cancellation = default)
    {
        var encoded = Encode(prompts, options);
        var ids = prompts.Select(_ => new List<int>()).ToArray();
        var texts = prompts.Select(_ => new System.Text.StringBuilder()).ToArray();
        var finish = new FinishReason[prompts.Count];
        Run(encoded, options, token =>
        {
            if (token.TokenId >= 0) ids[token.PromptIndex].Add(token.TokenId);
            texts[token.PromptIndex].Append(token.Text);
            if (token.IsLast) finish[token.PromptIndex] = token.Finish;
            onToken?.Invoke(token);
        }, cancellation);
        return prompts.Select((p, i) => new GenerationResult(p, [.. ids[i]], texts[i].ToString(), finish[i])).ToList();
    }

    private int[][] Encode(IReadOnlyList<string> prompts, GenerationOptions options)
    {
        options.Validate();
        if (prompts.Count == 0) throw new ArgumentException("No prompt given");
        return prompts.Select((prompt, i) =>
        {
            int[] ids = options.PrependBos ? [tokenizer.EndOfTextId, .. tokenizer.Encode(prompt)] : tokenizer.Encode(prompt);
            if (ids.Length == 0) throw new ArgumentException($"Prompt {i} is empty and no BOS is prepended");
            if (ids.Length > model.ContextLength)
                throw new ArgumentException($"Prompt {i} has {ids.Length} tokens; the model's context is {model.ContextLength}");
            return ids;
        }).ToArray();
    }

    private void Run(int[][] prompts, GenerationOptions options, Action<GeneratedToken> emit, CancellationToken cancellation)
    {
        using var generator = new Generator(options.Seed is { } seed ? (ulong)seed : (ulong)Random.Shared.NextInt64(), CPU);
        foreach (var group in Enumerable.Range(0, prompts.Length).GroupBy(i => prompts[i].Length).OrderBy(g => g.Min()))
            RunBatch(group.ToArray(), prompts, options, generator, emit, cancellation);
    }

    /// <summary>Generates for prompts of equal length together.</summary>
    private void RunBatch(int[] indices, int[][] prompts, GenerationOptions options, Generator generator,
        Action<GeneratedToken> emit, CancellationToken cancellation)
    {
        (model as nn.Module)?.eval();
        using var noGrad = no_grad();
        using var cache = options.UseKvCache ? model.CreateKvCache() : null;
        var batch = indices.Length;
        var promptLength = prompts[indices[0]].Length;
        var streams = indices.Select(i => new TextStream(tokenizer, options.StopSequences)).ToArray();
        var done = new bool[batch];
        var sequence = new List<long[]>(); // every position so far, for the no-cache path
        using var outer = NewDisposeScope();
        var context = tensor(indices.SelectMany(i => prompts[i].Select(t => (long)t)).ToArray(), [batch, promptLength]); // [batch, prompt]
        var nextInput = context;
        for (var step = 0; step < options.MaxNewTokens; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var logits = options.UseKvCache
                ? model.Forward(nextInput, cache)                                        // [batch, new_pos, vocab]
                : model.Forward(context);                                                // [batch, pos, vocab]
            var last = logits[.., -1, ..].to(ScalarType.Float32).cpu();                  // [batch, vocab]
            var next = Sample(last, options, generator);                                 // [batch]
            var nextIds = next.data<long>().ToArray();
            var positionsAfter = promptLength + step + 1;
            for (var b = 0; b < batch; b++)
            {
                if (done[b]) continue;
                var id = (int)nextIds[b];
                FinishReason finish;
                string text;
                if (options.StopAtEndOfText && id == tokenizer.EndOfTextId)
                    (text, finish) = (streams[b].Flush(), FinishReason.EndOfText);
                else
                {
                    (text, var stopped) = streams[b].Add(id);
                    finish = stopped ? FinishReason.StopSequence
                        : step + 1 == options.MaxNewTokens ? FinishReason.MaxTokens
                        : positionsAfter >= model.ContextLength ? FinishReason.ContextFull
                        : FinishReason.None;
                    if (finish is FinishReason.MaxTokens or FinishReason.ContextFull) text += streams[b].Flush();
                }
                done[b] = finish != FinishReason.None;
                emit(new GeneratedToken(indices[b], step, id, text, finish));
            }
            if (done.All(d => d)) return;
            nextInput = next.unsqueeze(1).MoveToOuterDisposeScope();                     // [batch, 1]
            if (!options.UseKvCache) context = cat([context, nextInput], 1).MoveToOuterDisposeScope(); // [batch, pos + 1]
        }
        for (var b = 0; b < batch; b++)
            if (!done[b]) emit(new GeneratedToken(indices[b], options.MaxNewTokens, -1, streams[b].Flush(), FinishReason.MaxTokens));
    }

    /// <summary>Greedy, or temperature / top-k / top-p sampling from logits [batch, vocab] → ids [batch].</summary>
    public static Tensor Sample(Tensor logits, GenerationOptions options, Generator generator)
    {
        if (options.Temperature == 0) return logits.argmax(-1);
        var scaled = logits.DividedBy((double)options.Temperature);                                       // [batch, vocab]
        if (options.TopK > 0 && options.TopK < scaled.shape[1])
        {
            var kth = scaled.topk(options.TopK, -1).values.narrow(1, options.TopK - 1, 1); // [batch, 1]
            scaled = scaled.MaskedFill(scaled < kth, float.NegativeInfinity);
        }
        if (options.TopP < 1)
        {
            var (sorted, order) = scaled.sort(-1, descending: true);                     // [batch, vocab] each
            var cumulative = sorted.softmax(-1).cumsum(-1);
            // Drop a token when the tokens before it already reach p; the first token always stays.
            var drop = (cumulative - sorted.softmax(-1)).Ge((double)options.TopP);
            var dropInVocabOrder = zeros_like(drop).scatter(-1, order, drop);
            scaled = scaled.MaskedFill(dropInVocabOrder, float.NegativeInfinity);
        }
        return multinomial(scaled.softmax(-1), 1, false, generator).squeeze(1);           // [batch]
    }

    /// <summary>Turns a prompt's generated ids into text deltas, holding back what may still change.</summary>
    private sealed class TextStream(ITokenizer tokenizer, IReadOnlyList<string> stops)
    {
        private readonly List<int> _ids = [];
        private readonly int _holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
        private int _emitted;
        private string _text = "";

        public (string Delta, bool Stopped) Add(int id)
        {
            _ids.Add(id);
            _text = tokenizer.Decode(_ids);
            foreach (var stop in stops)
            {
                var at = stop.Length == 0 ? -1 : _text.IndexOf(stop, Math.Max(0, _emitted - stop.Length), StringComparison.Ordinal);
                if (at >= 0)
                {
                    _text = _text[..at];
                    return (Flush(), true);
                }
            }
            // An incomplete UTF-8 sequence decodes to U+FFFD; wait for the bytes that complete it.
            var safe = _text.EndsWith('\uFFFD') ? _text.TrimEnd('\uFFFD').Length : _text.Length;
            safe = Math.Max(_emitted, safe - _holdBack);
            var delta = _text[_emitted..safe];
            _emitted = safe;
            return (delta, false);
        }

        public string Flush()
        {
            var end = Math.Max(_emitted, _text.Length);
            var delta = _text.Length > _emitted ? _text[_emitted..end] : "";
            _emitted = end;
            return delta;
        }
    }
}
