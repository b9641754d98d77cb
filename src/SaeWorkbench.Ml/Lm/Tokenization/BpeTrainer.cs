using System.Text;
using System.Text.Json;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>
/// Trains a GPT-2-style byte-level BPE vocabulary (Sennrich et al. 2016; GPT-2's byte-level variant).
/// Pre-tokens are counted once; merges then run on the table of distinct pre-tokens, updating pair counts
/// only for the words that contain the merged pair. Ties between equally frequent pairs are broken by the
/// smaller (left id, right id), so the same text and size always give the same vocabulary.
/// </summary>
public static class BpeTrainer
{
    /// <summary>
    /// Learns merges until the vocabulary holds <paramref name="vocabSize"/> tokens (256 bytes + merges +
    /// <c>&lt;|endoftext|&gt;</c>, which gets the last id) or no pair occurs twice.
    /// </summary>
    public static Gpt2Tokenizer Train(IEnumerable<string> documents, int vocabSize, IProgress<string>? progress = null)
    {
        if (vocabSize < 257) throw new ArgumentOutOfRangeException(nameof(vocabSize), "at least 257 (256 bytes + <|endoftext|>)");
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var document in documents)
            foreach (var match in ByteLevel.PreTokenizer().EnumerateMatches(document))
            {
                var word = document.Substring(match.Index, match.Length);
                wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
            }
        progress?.Report($"{wordCounts.Count} distinct pre-tokens");

        // Symbols: ids 0..255 are bytes (in byte order); merges append.
        var tokens = new List<string>(vocabSize);
        var idOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var b = 0; b < 256; b++)
        {
            tokens.Add(ByteLevel.ByteToChar[b].ToString());
            idOf[tokens[b]] = b;
        }

        var ordered = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        var words = new List<int>[ordered.Length];
        var freq = new long[ordered.Length];
        var pairCounts = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, HashSet<int>>();
        for (var w = 0; w < ordered.Length; w++)
        {
            freq[w] = ordered[w].Value;
            words[w] = Encoding.UTF8.GetBytes(ordered[w].Key).Select(b => (int)b).ToList();
            AddPairs(w, +1);
        }

        // Max-heap by count, then smallest pair key; entries go stale when counts change and are skipped.
        var heap = new PriorityQueue<long, (long NegCount, long Key)>();
        foreach (var (key, count) in pairCounts) heap.Enqueue(key, (-count, key));

        var merges = new List<(int Left, int Right)>();
        while (tokens.Count < vocabSize - 1 && heap.TryDequeue(out var best, out var priority))
        {
            var count = pairCounts.GetValueOrDefault(best);
            if (count != -priority.NegCount) continue; // stale
            if (count < 2) break;
            var (left, right) = ((int)(best >> 32), (int)(best & 0xFFFFFFFF));
            var merged = tokens[left] + tokens[right];
            if (!idOf.TryGetValue(merged, out var newId))
            {
                newId = tokens.Count;
                tokens.Add(merged);
                idOf[merged] = newId;
            }
            merges.Add((left, right));

            var changed = new HashSet<long>();
            foreach (var w in pairWords[best].Order().ToArray())
            {
                var symbols = words[w];
                if (!ContainsPair(symbols, left, right)) continue;
                AddPairs(w, -1, changed);
                for (var i = 0; i < symbols.Count - 1; i++)
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = newId;
                        symbols.RemoveAt(i + 1);
                    }
                AddPairs(w, +1, changed);
            }
            pairCounts.Remove(best);
            foreach (var key in changed)
                if (pairCounts.TryGetValue(key, out var c) && c > 0) heap.Enqueue(key, (-c, key));
            if (merges.Count % 1000 == 0) progress?.Report($"{merges.Count} merges, vocabulary {tokens.Count + 1}");
        }
        tokens.Add(Gpt2Tokenizer.EndOfText);
        return Gpt2Tokenizer.FromFiles(VocabJson(tokens), MergesText(tokens, merges));

        void AddPairs(int w, int sign, HashSet<long>? changed = null)
        {
            var symbols = words[w];
            for (var i = 0; i < symbols.Count - 1; i++)
            {
                var key = ((long)symbols[i] << 32) | (uint)symbols[i + 1];
                var updated = pairCounts.GetValueOrDefault(key) + sign * freq[w];
                if (updated == 0) pairCounts.Remove(key); else pairCounts[key] = updated;
                changed?.Add(key);
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(key, out var set)) pairWords[key] = set = [];
                    set.Add(w);
                }
            }
        }
    }

    private static bool ContainsPair(List<int> symbols, int left, int right)
    {
        for (var i = 0; i < symbols.Count - 1; i++)
            if (symbols[i] == left && symbols[i + 1] == right) return true;
        return false;
    }

    private static string VocabJson(List<string> tokens)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            for (var id = 0; id < tokens.Count; id++) json.WriteNumber(tokens[id], id);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string MergesText(List<string> tokens, List<(int Left, int Right)> merges)
    {
        var text = new StringBuilder("#version: 0.2\n");
        foreach (var (left, right) in merges) text.Append(tokens[left]).Append(' ').Append(tokens[right]).Append('\n');
        return text.ToString();
    }
}
