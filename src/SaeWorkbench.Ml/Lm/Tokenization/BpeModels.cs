using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>The <c>model</c> of tokenizer.json: one pre-tokenized piece to token ids.</summary>
internal interface IBpeModel
{
    void Encode(string piece, List<int> ids);
}

/// <summary>
/// Byte-level BPE (GPT-2, Llama 3, Qwen): Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> maps the piece's
/// UTF-8 bytes to GPT-2's alphabet and applies the merges. <c>ignore_merges</c> (Llama 3: a piece that is itself a
/// vocabulary entry is taken whole, before any merge) is checked here first, as the Rust model does.
/// </summary>
internal sealed class ByteLevelBpeModel(BpeTokenizer bpe, IReadOnlyDictionary<string, int> vocab, bool ignoreMerges) : IBpeModel
{
    public void Encode(string piece, List<int> ids)
    {
        if (ignoreMerges && vocab.TryGetValue(ByteLevel.Encode(piece), out var whole))
        {
            ids.Add(whole);
            return;
        }
        ids.AddRange(bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
    }
}

/// <summary>
/// BPE over characters with SentencePiece's byte fallback (Gemma, Llama 2): the piece starts as one symbol per
/// code point; a code point outside the vocabulary becomes its UTF-8 bytes as <c>&lt;0xNN&gt;</c> tokens (or the
/// unknown token); then the lowest-ranked merge is applied, leftmost first on ties, until none applies — the Rust
/// model's algorithm. Microsoft.ML.Tokenizers has no BPE with byte fallback that reads tokenizer.json (its
/// SentencePiece reader takes only Unigram models from tokenizer.json), so this part is ours.
/// </summary>
internal sealed class CharBpeModel : IBpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, int> _runeToId = [];
    private readonly Dictionary<long, (int Rank, int Merged)> _merges = new(PairComparer.Instance);
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly bool _fuseUnknown;
    private readonly int? _unknownId;
    private readonly int[] _byteIds;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();

    public CharBpeModel(Dictionary<string, int> vocab, IEnumerable<(string Left, string Right)> merges, bool byteFallback,
        bool ignoreMerges, bool fuseUnknown, string? unknownToken)
    {
        _vocab = vocab;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        _fuseUnknown = fuseUnknown;
        if (unknownToken is not null)
            _unknownId = vocab.TryGetValue(unknownToken, out var unk)
                ? unk
                : throw new TokenizerJsonException($"model.unk_token \"{unknownToken}\" is not in model.vocab");
        foreach (var (text, id) in vocab)
            if (Rune.DecodeFromUtf16(text, out var rune, out var used) == System.Buffers.OperationStatus.Done && used == text.Length)
                _runeToId[rune.Value] = id;
        var rank = 0;
        foreach (var (left, right) in merges)
        {
            if (!vocab.TryGetValue(left, out var l) || !vocab.TryGetValue(right, out var r))
                throw new TokenizerJsonException($"model.merges[{rank}] \"{left} {right}\" names a token not in model.vocab");
            if (!vocab.TryGetValue(left + right, out var merged))
                throw new TokenizerJsonException($"model.merges[{rank}]: \"{left + right}\" is not in model.vocab");
            _merges.TryAdd(Key(l, r), (rank, merged));
            rank++;
        }
        _byteIds = new int[256];
        for (var b = 0; b < 256; b++) _byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>long's own hash is left ^ right here, which collides for many pairs; this mixes the bits.</summary>
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 32);
    }

    public void Encode(string piece, List<int> ids)
    {
        if (piece.Length == 0) return;
        if (_ignoreMerges && _vocab.TryGetValue(piece, out var whole))
        {
            ids.Add(whole);
            return;
        }
        if (_cache.TryGetValue(piece, out var cached))
        {
            ids.AddRange(cached);
            return;
        }
        var result = Merge(InitialSymbols(piece));
        if (piece.Length < 256)
        {
            // A bounded cache: cleared when full rather than evicting one by one.
            if (_cache.Count > 10_000) _cache.Clear();
            _cache.TryAdd(piece, result);
        }
        ids.AddRange(result);
    }

    private List<int> InitialSymbols(string piece)
    {
        var symbols = new List<int>(piece.Length);
        var lastWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in piece.EnumerateRunes())
        {
            if (_runeToId.TryGetValue(rune.Value, out var id))
            {
                symbols.Add(id);
                lastWasUnknown = false;
                continue;
            }
            if (_byteFallback)
            {
                var n = rune.EncodeToUtf8(utf8);
                var all = true;
                for (var i = 0; i < n; i++) all &= _byteIds[utf8[i]] >= 0;
                if (all)
                {
                    for (var i = 0; i < n; i++) symbols.Add(_byteIds[utf8[i]]);
                    lastWasUnknown = false;
                    continue;
                }
            }
            if (_unknownId is not { } unk) continue; // No unknown token: the Rust model drops the character.
            if (!(_fuseUnknown && lastWasUnknown)) symbols.Add(unk);
            lastWasUnknown = true;
        }
        return symbols;
    }

    private int[] Merge(List<int> symbols)
    {
        var n = symbols.Count;
        if (n < 2) return [.. symbols];
        var token = symbols.ToArray();
        var next = new int[n];
        var prev = new int[n];
        var version = new int[n];
        for (var i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        // Ordered by merge rank, then by position (leftmost first).
        var queue = new PriorityQueue<(int Left, int Right, int LeftVersion, int RightVersion), (int Rank, int Position)>();
        void Push(int left)
        {
            var right = next[left];
            if (right < 0) return;
            if (_merges.TryGetValue(Key(token[left], token[right]), out var merge))
                queue.Enqueue((left, right, version[left], version[right]), (merge.Rank, left));
        }
        for (var i = 0; i + 1 < n; i++) Push(i);
        while (queue.TryDequeue(out var item, out _))
        {
            var (left, right, lv, rv) = item;
            // Stale entry: one side was merged away or changed since it was queued.
            if (version[left] != lv || version[right] != rv || next[left] != right || token[left] < 0 || token[right] < 0) continue;
            var merge = _merges[Key(token[left], token[right])];
            token[left] = merge.Merged;
            version[left]++;
            token[right] = -1;
            version[right]++;
            next[left] = next[right];
            if (next[left] >= 0) prev[next[left]] = left;
            if (prev[left] >= 0) Push(prev[left]);
            Push(left);
        }
        var output = new List<int>(n);
        for (var i = 0; i >= 0; i = next[i]) output.Add(token[i]);
        return [.. output];
    }
}

/// <summary>Builds the model part of tokenizer.json.</summary>
internal static class BpeModels
{
    public static IBpeModel Create(Dictionary<string, int> vocab, List<(string Left, string Right)> merges, bool byteLevel,
        bool byteFallback, bool ignoreMerges, bool fuseUnknown, string? unknownToken)
    {
        if (!byteLevel)
            return new CharBpeModel(vocab, merges, byteFallback, ignoreMerges, fuseUnknown, unknownToken);
        if (byteFallback) throw new TokenizerJsonException("model.byte_fallback with a ByteLevel pre-tokenizer is not supported");
        var bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges.Select(m => $"{m.Left} {m.Right}"),
            ByteLevel = true,
        });
        return new ByteLevelBpeModel(bpe, vocab, ignoreMerges);
    }
}
