using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Corpora;

/// <summary>
/// Cuts a corpus split into fixed-length token windows. Documents are tokenised one at a time and joined
/// into one stream with <c>&lt;|endoftext|&gt;</c> after each; every window is BOS followed by the next
/// <c>length − 1</c> tokens of that stream. The tail shorter than a window is dropped.
/// </summary>
public static class TokenWindows
{
    /// <summary>Streams windows of exactly <paramref name="length"/> token ids.</summary>
    public static IEnumerable<int[]> Enumerate(TextCorpus corpus, ITokenizer tokenizer, CorpusSplit split, int length)
    {
        if (length < 2) throw new ArgumentOutOfRangeException(nameof(length), "a window needs at least 2 tokens");
        var bos = tokenizer.EndOfTextId;
        var pending = new List<int>(length * 2);
        foreach (var document in corpus.Documents(split))
        {
            pending.AddRange(tokenizer.Encode(document.Text));
            pending.Add(bos);
            var taken = 0;
            while (pending.Count - taken >= length - 1)
            {
                var window = new int[length];
                window[0] = bos;
                pending.CopyTo(taken, window, 1, length - 1);
                taken += length - 1;
                yield return window;
            }
            pending.RemoveRange(0, taken);
        }
    }

    /// <summary>All windows of a split in one array [windows × length] (for corpora that fit in memory).</summary>
    public static int[] Materialize(TextCorpus corpus, ITokenizer tokenizer, CorpusSplit split, int length, out int count)
    {
        var all = new List<int>();
        count = 0;
        foreach (var window in Enumerate(corpus, tokenizer, split, length))
        {
            all.AddRange(window);
            count++;
        }
        return [.. all];
    }
}
