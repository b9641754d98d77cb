using System.Text.Json;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>How <see cref="HuggingFaceTokenizer.Decode(IEnumerable{int}, DecodeOptions)"/> treats special tokens and spaces.</summary>
/// <param name="SkipSpecialTokens">Leave out tokens marked special (BOS, <c>&lt;|im_end|&gt;</c>, …).</param>
/// <param name="CleanUpTokenizationSpaces">
/// Remove the space before punctuation and English contractions (" ." → ".", " n't" → "n't"), as transformers does
/// when tokenizer_config.json's <c>clean_up_tokenization_spaces</c> is true. Off by default: it does not round-trip.
/// </param>
public sealed record DecodeOptions(bool SkipSpecialTokens = false, bool CleanUpTokenizationSpaces = false);

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (with its <c>tokenizer_config.json</c>), run as the Rust <c>tokenizers</c>
/// library runs it: added tokens are cut out of the text first (longest match), each remaining piece is normalized,
/// pre-tokenized and given to the BPE model, and the post-processor adds the special tokens around the result
/// (docs/science.md §10, docs/tokenizers.md). Byte-level BPE (GPT-2, Llama 3, Qwen) uses Microsoft.ML.Tokenizers for the merges;
/// SentencePiece-style BPE with byte fallback (Gemma, Llama 2) uses <see cref="CharBpeModel"/>. Any component we do
/// not implement is refused when the file is read, naming its key.
/// </summary>
public sealed class HuggingFaceTokenizer : ITokenizer
{
    private readonly Func<string, string>? _normalizer;
    private readonly TokenizerJsonParts.PreTokenization _preTokenizer;
    private readonly IBpeModel _model;
    private readonly TokenizerJsonParts.DecodeStep? _decoder;
    private readonly AddedTokenSplitter _rawAddedTokens;
    private readonly AddedTokenSplitter _normalizedAddedTokens;
    private readonly Dictionary<string, AddedToken> _addedByContent;
    private readonly Dictionary<int, string> _idToToken;
    private readonly Dictionary<string, int> _vocab;
    private readonly HashSet<int> _specialIds;
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly bool _cleanUpByDefault;

    private HuggingFaceTokenizer(string folder, JsonElement tokenizer, JsonElement? config, string? chatTemplateFile)
    {
        Folder = folder;
        var model = tokenizer.GetProperty("model");
        var modelType = TokenizerJsonParts.String(model, "type") ?? "BPE";
        if (modelType != "BPE")
            throw new TokenizerJsonException($"model.type \"{modelType}\" is not supported (supported: BPE)");
        if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
            throw new TokenizerJsonException("model.dropout is not supported (it makes encoding random)");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(TokenizerJsonParts.String(model, affix)))
                throw new TokenizerJsonException($"model.{affix} is not supported");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!model.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw new TokenizerJsonException("model.vocab must be an object of token → id");
        foreach (var entry in vocabJson.EnumerateObject()) vocab[entry.Name] = entry.Value.GetInt32();
        var merges = new List<(string, string)>();
        foreach (var merge in TokenizerJsonParts.Array(model, "merges", "model"))
        {
            if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
                merges.Add((merge[0].GetString()!, merge[1].GetString()!));
            else if (merge.ValueKind == JsonValueKind.String && merge.GetString()!.Split(' ') is [var left, var right])
                merges.Add((left, right));
            else
                throw new TokenizerJsonException($"model.merges[{merges.Count}] is neither \"a b\" nor [\"a\", \"b\"]");
        }

        _normalizer = TokenizerJsonParts.Normalizer(Property(tokenizer, "normalizer"));
        _preTokenizer = TokenizerJsonParts.PreTokenizer(Property(tokenizer, "pre_tokenizer"));
        _decoder = TokenizerJsonParts.Decoder(Property(tokenizer, "decoder"));
        _model = BpeModels.Create(vocab, merges, _preTokenizer.ByteLevel,
            TokenizerJsonParts.Bool(model, "byte_fallback", false), TokenizerJsonParts.Bool(model, "ignore_merges", false),
            TokenizerJsonParts.Bool(model, "fuse_unk", false), TokenizerJsonParts.String(model, "unk_token"));

        var added = new List<AddedToken>();
        if (tokenizer.TryGetProperty("added_tokens", out var addedJson) && addedJson.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in addedJson.EnumerateArray())
            {
                var content = TokenizerJsonParts.String(a, "content") ?? throw new TokenizerJsonException("added_tokens[].content is missing");
                if (TokenizerJsonParts.Bool(a, "single_word", false))
                    throw new TokenizerJsonException($"added token \"{content}\": single_word is not supported");
                added.Add(new AddedToken(TokenizerJsonParts.Int(a, "id", -1), content, TokenizerJsonParts.Bool(a, "special", false),
                    TokenizerJsonParts.Bool(a, "normalized", false), TokenizerJsonParts.Bool(a, "lstrip", false),
                    TokenizerJsonParts.Bool(a, "rstrip", false)));
            }
        }
        AddedTokens = added;
        _addedByContent = added.GroupBy(a => a.Content).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        // Added tokens marked normalized are matched in the normalized text; the others in the raw text.
        _rawAddedTokens = new AddedTokenSplitter(added.Where(a => !a.Normalized || _normalizer is null));
        _normalizedAddedTokens = new AddedTokenSplitter(added.Where(a => a.Normalized && _normalizer is not null), _normalizer);

        _vocab = vocab;
        _idToToken = vocab.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
        foreach (var a in added) _idToToken[a.Id] = a.Content;
        VocabSize = _idToToken.Keys.Max() + 1;
        _specialIds = added.Where(a => a.Special).Select(a => a.Id).ToHashSet();

        // tokenizer_config.json: names of BOS/EOS, the additional special tokens, the chat template.
        string? bos = null, eos = null, pad = null;
        string? tokenizerClass = null;
        bool? addBos = null, addEos = null;
        if (config is { } c)
        {
            bos = TokenName(c, "bos_token");
            eos = TokenName(c, "eos_token");
            pad = TokenName(c, "pad_token");
            tokenizerClass = TokenizerJsonParts.String(c, "tokenizer_class");
            if (c.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False) addBos = ab.GetBoolean();
            if (c.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind is JsonValueKind.True or JsonValueKind.False) addEos = ae.GetBoolean();
            if (c.TryGetProperty("additional_special_tokens", out var extra) && extra.ValueKind == JsonValueKind.Array)
                foreach (var name in extra.EnumerateArray())
                    if (name.ValueKind == JsonValueKind.String && Id(name.GetString()!) is { } id) _specialIds.Add(id);
            _cleanUpByDefault = TokenizerJsonParts.Bool(c, "clean_up_tokenization_spaces", false);
            ChatTemplateSource = ChatTemplateFrom(c);
        }
        if (chatTemplateFile is not null) ChatTemplateSource = chatTemplateFile;
        BosToken = bos;
        EosToken = eos;
        BosTokenId = bos is null ? null : Id(bos) ?? throw new TokenizerJsonException($"bos_token \"{bos}\" is not in the vocabulary");
        EosTokenId = eos is null ? null : Id(eos) ?? throw new TokenizerJsonException($"eos_token \"{eos}\" is not in the vocabulary");

        (_prefix, _suffix) = PostProcessor(Property(tokenizer, "post_processor"), "post_processor");
        // transformers rebuilds the template of Llama and Gemma tokenizers from add_bos_token / add_eos_token
        // (LlamaTokenizerFast.update_post_processor), so those settings win over tokenizer.json for these classes.
        if (tokenizerClass is { } cls && TemplateFromConfigClasses.Contains(cls.Replace("Fast", "")) && (addBos is not null || addEos is not null))
        {
            var useBos = addBos ?? true;
            var useEos = addEos ?? false;
            if (useBos && BosTokenId is null) throw new TokenizerJsonException("add_bos_token is true but there is no bos_token");
            if (useEos && EosTokenId is null) throw new TokenizerJsonException("add_eos_token is true but there is no eos_token");
            _prefix = useBos ? [BosTokenId!.Value] : [];
            _suffix = useEos ? [EosTokenId!.Value] : [];
        }

        // Position 0 of every sequence the workbench feeds a model: the BOS; a tokenizer without one (Qwen) gets
        // the end-of-text token, as TransformerLens does when a tokenizer has no BOS.
        EndOfTextId = BosTokenId ?? (_prefix.Length > 0 ? _prefix[0] : (int?)null) ?? EosTokenId
                      ?? (pad is not null ? Id(pad) : null) ?? Id("<|endoftext|>")
                      ?? throw new TokenizerJsonException("no bos_token, eos_token or pad_token to start sequences with");
    }

    private static readonly HashSet<string> TemplateFromConfigClasses = ["LlamaTokenizer", "GemmaTokenizer", "CodeLlamaTokenizer"];

    private static JsonElement Property(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v : default;

    /// <summary>A special-token setting: a string, or an object with "content" (older configs), or null.</summary>
    private static string? TokenName(JsonElement config, string name) =>
        config.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Object => TokenizerJsonParts.String(v, "content"),
                _ => null,
            }
            : null;

    private static string? ChatTemplateFrom(JsonElement config)
    {
        if (!config.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        // A list of named templates: the one called "default" is the chat template.
        if (t.ValueKind == JsonValueKind.Array)
            foreach (var named in t.EnumerateArray())
                if (TokenizerJsonParts.String(named, "name") == "default") return TokenizerJsonParts.String(named, "template");
        return null;
    }

    private (int[] Prefix, int[] Suffix) PostProcessor(JsonElement part, string key)
    {
        if (part.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return ([], []);
        var type = TokenizerJsonParts.Type(part, key);
        switch (type)
        {
            case "ByteLevel": return ([], []); // Only offsets change.
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                if (part.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
                    foreach (var s in st.EnumerateObject())
                        specials[s.Name] = TokenizerJsonParts.Array(s.Value, "ids", $"{key}.special_tokens.{s.Name}").Select(i => i.GetInt32()).ToArray();
                var prefix = new List<int>();
                var suffix = new List<int>();
                var seenSequence = false;
                foreach (var item in TokenizerJsonParts.Array(part, "single", key))
                {
                    if (item.TryGetProperty("SpecialToken", out var special))
                    {
                        var id = TokenizerJsonParts.String(special, "id") ?? throw new TokenizerJsonException($"{key}.single: SpecialToken without id");
                        var ids = specials.TryGetValue(id, out var known) ? known
                            : throw new TokenizerJsonException($"{key}.single names \"{id}\", which is not in {key}.special_tokens");
                        (seenSequence ? suffix : prefix).AddRange(ids);
                    }
                    else if (item.TryGetProperty("Sequence", out var sequence))
                    {
                        if (TokenizerJsonParts.String(sequence, "id") != "A" || seenSequence)
                            throw new TokenizerJsonException($"{key}.single must hold the sequence A once");
                        seenSequence = true;
                    }
                    else throw new TokenizerJsonException($"{key}.single holds an item that is neither SpecialToken nor Sequence");
                }
                return ([.. prefix], [.. suffix]);
            }
            case "RobertaProcessing" or "BertProcessing":
            {
                int IdOf(string name) => part.TryGetProperty(name, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
                    ? pair[1].GetInt32()
                    : throw new TokenizerJsonException($"{key}.{name} must be [token, id]");
                return ([IdOf("cls")], [IdOf("sep")]);
            }
            case "Sequence":
            {
                var prefix = new List<int>();
                var suffix = new List<int>();
                var i = 0;
                foreach (var p in TokenizerJsonParts.Array(part, "processors", key))
                {
                    var (pre, suf) = PostProcessor(p, $"{key}.processors[{i++}]");
                    prefix.AddRange(pre);
                    suffix.InsertRange(0, suf);
                }
                return ([.. prefix], [.. suffix]);
            }
            default:
                throw new TokenizerJsonException(
                    $"{key}.type \"{type}\" is not supported (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
        }
    }

    /// <summary>Reads tokenizer.json, and tokenizer_config.json and chat_template.jinja when present, from a folder.</summary>
    public static HuggingFaceTokenizer Load(string folder)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new LanguageModelFolderException(folder, "no tokenizer.json");
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var templatePath = Path.Combine(folder, "chat_template.jinja");
        var current = path;
        try
        {
            using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
            current = configPath;
            using var config = File.Exists(configPath) ? JsonDocument.Parse(File.ReadAllBytes(configPath)) : null;
            current = path;
            var template = File.Exists(templatePath) ? File.ReadAllText(templatePath) : null;
            if (tokenizer.RootElement.ValueKind != JsonValueKind.Object || !tokenizer.RootElement.TryGetProperty("model", out _))
                throw new TokenizerJsonException("no \"model\" object");
            return new HuggingFaceTokenizer(folder, tokenizer.RootElement, config?.RootElement, template);
        }
        catch (TokenizerJsonException e)
        {
            throw new LanguageModelFolderException(current, e.Message, e);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new LanguageModelFolderException(current, $"not a valid tokenizer file: {e.Message}", e);
        }
    }

    public string Folder { get; }

    /// <summary>One more than the largest token id (vocabulary and added tokens).</summary>
    public int VocabSize { get; }

    /// <summary>The BOS; for a tokenizer without one, its end-of-text token (see the constructor).</summary>
    public int EndOfTextId { get; }

    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>The Jinja chat template from tokenizer_config.json or chat_template.jinja, if the model has one.</summary>
    public string? ChatTemplateSource { get; }

    private ChatTemplate? _chatTemplate;

    /// <summary>
    /// The parsed chat template, or null when the model has none (a base model).
    /// </summary>
    /// <exception cref="Jinja.JinjaException">The template uses Jinja we do not implement.</exception>
    public ChatTemplate? ChatTemplate =>
        ChatTemplateSource is null ? null : _chatTemplate ??= new ChatTemplate(ChatTemplateSource, BosToken, EosToken);

    /// <summary>True when <see cref="EncodeWithSpecialTokens"/> starts with the BOS.</summary>
    public bool AddsBos => BosTokenId is { } bos && _prefix.Length > 0 && _prefix[0] == bos;

    public int? Id(string token)
    {
        if (_addedByContent.TryGetValue(token, out var added)) return added.Id;
        return _vocab.TryGetValue(token, out var id) ? id : null;
    }

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        var first = true;
        foreach (var (raw, token) in _rawAddedTokens.Split(text))
        {
            if (token is not null) { ids.Add(token.Id); first = false; continue; }
            var normalized = _normalizer is null ? raw : _normalizer(raw);
            foreach (var (piece, normalizedToken) in _normalizedAddedTokens.Split(normalized))
            {
                if (normalizedToken is not null) { ids.Add(normalizedToken.Id); first = false; continue; }
                foreach (var pre in _preTokenizer.Split(piece, first)) _model.Encode(pre, ids);
                first = false;
            }
            first = false;
        }
        return [.. ids];
    }

    public int[] EncodeWithSpecialTokens(string text) => [.. _prefix, .. Encode(text), .. _suffix];

    public string Decode(IEnumerable<int> ids) => Decode(ids, new DecodeOptions());

    /// <summary>Decode with the options of Hugging Face's <c>decode</c>; <see cref="CleanUpDefault"/> is the model's setting.</summary>
    public string Decode(IEnumerable<int> ids, DecodeOptions options)
    {
        // Ids outside the vocabulary are skipped, as the Rust library does.
        var tokens = ids.Where(id => !(options.SkipSpecialTokens && _specialIds.Contains(id)))
            .Select(id => _idToToken.TryGetValue(id, out var s) ? s : null)
            .Where(s => s is not null).Select(s => s!).ToList();
        var text = _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder(tokens, _addedByContent.ContainsKey));
        return options.CleanUpTokenizationSpaces ? CleanUpTokenizationSpaces(text) : text;
    }

    /// <summary>tokenizer_config.json's <c>clean_up_tokenization_spaces</c>.</summary>
    public bool CleanUpDefault => _cleanUpByDefault;

    /// <summary>transformers' <c>clean_up_tokenization</c>: no space before . ? ! , and English contractions.</summary>
    public static string CleanUpTokenizationSpaces(string text) =>
        text.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    public string TokenString(int id) => _idToToken.TryGetValue(id, out var s) ? s : $"<unk:{id}>";
}
