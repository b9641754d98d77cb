using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Lm.Generation;

/// <summary>
/// The interactive front of one loaded model: every generation goes through the model's bounded
/// <see cref="InferenceQueue"/>, and its tokens stream back to the caller while it runs on the queue's thread.
/// </summary>
public sealed class QueuedTextGenerator(IHookedLanguageModel model, ITokenizer tokenizer, int capacity = 16) : IDisposable
{
    private readonly TextGenerator _generator = new(model, tokenizer);

    public InferenceQueue Queue { get; } = new(capacity, "inference");

    /// <summary>
    /// Streams the tokens of <paramref name="prompts"/>; <paramref name="position"/> hears the place in the
    /// queue (0 when generation starts). Throws <see cref="InferenceQueueFullException"/> when the queue is full.
    /// </summary>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<string> prompts, GenerationOptions options,
        IProgress<int>? position = null, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var channel = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var work = Queue.EnqueueAsync(token =>
        {
            _generator.Generate(prompts, options, t => channel.Writer.TryWrite(t), token);
            return true;
        }, position, cancellation);
        _ = work.ContinueWith(t => channel.Writer.TryComplete(t.Exception?.InnerException ??
                                                               (t.IsCanceled ? new OperationCanceledException(cancellation) : null)),
            TaskScheduler.Default);
        await foreach (var token in channel.Reader.ReadAllAsync(CancellationToken.None)) yield return token;
        await work;
    }

    public void Dispose() => Queue.Dispose();
}
