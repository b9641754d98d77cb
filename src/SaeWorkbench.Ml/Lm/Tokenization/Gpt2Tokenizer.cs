using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace SaeWorkbench.Ml.Lm.Tokenization;

/// <summary>
/// GPT-2 byte-level BPE tokenizer (vocab.json + merges.txt, or tokenizer.json), encoded and decoded by
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> in byte-level mode with GPT-2's pre-tokenisation regex.
/// (CodeGenTokenizer is not used: it adds CodeGen's extra whitespace tokens above the GPT-2 vocabulary.)
/// </summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    public const string EndOfText = "<|endoftext|>";

    private readonly BpeTokenizer _tokenizer;
    private readonly string _vocabJson;
    private readonly string _mergesText;

    private Gpt2Tokenizer(string vocabJson, string mergesText, string source)
    {
        _vocabJson = vocabJson;
        _mergesText = mergesText;
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(vocabJson)
                    ?? throw new JsonException("the vocabulary is null");
        }
        catch (JsonException e)
        {
            throw new LanguageModelFolderException(source, $"vocabulary is not a JSON object of token → id: {e.Message}", e);
        }
        if (vocab.Count == 0) throw new LanguageModelFolderException(source, "vocabulary is empty");
        VocabSize = vocab.Values.Max() + 1;
        EndOfTextId = vocab.TryGetValue(EndOfText, out var eot)
            ? eot
            : throw new LanguageModelFolderException(source, $"vocabulary has no {EndOfText} token");
        _idToToken = vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        try
        {
            var special = new Dictionary<string, int> { [EndOfText] = EndOfTextId };
            _tokenizer = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = mergesText.Split('\n')
                    .Where(line => line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal)),
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(ByteLevel.PreTokenizer(), special),
                SpecialTokens = special,
            });
        }
        catch (Exception e) when (e is not LanguageModelFolderException)
        {
            throw new LanguageModelFolderException(source, $"tokenizer files are invalid: {e.Message}", e);
        }
    }

    private readonly Dictionary<int, string> _idToToken;

    /// <summary>One more than the largest token id.</summary>
    public int VocabSize { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>, used as BOS and EOS.</summary>
    public int EndOfTextId { get; }

    /// <summary>True when the folder holds vocab.json + merges.txt or tokenizer.json.</summary>
    public static bool ExistsIn(string folder) =>
        File.Exists(Path.Combine(folder, "tokenizer.json")) ||
        (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")));

    /// <summary>Loads vocab.json + merges.txt, or else tokenizer.json, from <paramref name="folder"/>.</summary>
    public static Gpt2Tokenizer Load(string folder)
    {
        var vocabPath = Path.Combine(folder, "vocab.json");
        var mergesPath = Path.Combine(folder, "merges.txt");
        if (File.Exists(vocabPath) && File.Exists(mergesPath))
            return new Gpt2Tokenizer(File.ReadAllText(vocabPath), File.ReadAllText(mergesPath), vocabPath);
        var tokenizerJson = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(tokenizerJson)) return FromTokenizerJson(tokenizerJson);
        throw new LanguageModelFolderException(folder, "no tokenizer: expected vocab.json + merges.txt or tokenizer.json");
    }

    /// <summary>Builds a tokenizer from the texts of a vocab.json and a merges.txt.</summary>
    public static Gpt2Tokenizer FromFiles(string vocabJson, string mergesText) => new(vocabJson, mergesText, "(in memory)");

    private static Gpt2Tokenizer FromTokenizerJson(string path)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))?["model"]
                       ?? throw new LanguageModelFolderException(path, "no \"model\" object");
            if ((string?)root["type"] is { } type && type != "BPE")
                throw new LanguageModelFolderException(path, $"model type is {type}, only BPE is supported");
            var vocab = root["vocab"]?.AsObject() ?? throw new LanguageModelFolderException(path, "no model.vocab");
            var merges = root["merges"]?.AsArray() ?? throw new LanguageModelFolderException(path, "no model.merges");
            var mergesText = new StringBuilder("#version: 0.2\n");
            foreach (var merge in merges)
            {
                // Older files write "a b", newer ones ["a", "b"].
                mergesText.Append(merge is JsonArray pair ? $"{(string?)pair[0]} {(string?)pair[1]}" : (string?)merge)
                          .Append('\n');
            }
            var added = JsonNode.Parse(File.ReadAllText(path))?["added_tokens"]?.AsArray();
            var vocabObject = JsonNode.Parse(vocab.ToJsonString())!.AsObject();
            foreach (var token in added ?? [])
                if ((string?)token?["content"] is { } content && !vocabObject.ContainsKey(content))
                    vocabObject[content] = (int?)token["id"];
            return new Gpt2Tokenizer(vocabObject.ToJsonString(), mergesText.ToString(), path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new LanguageModelFolderException(path, $"not a valid tokenizer.json: {e.Message}", e);
        }
    }

    /// <summary>Writes vocab.json and merges.txt into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "vocab.json"), _vocabJson);
        File.WriteAllText(Path.Combine(folder, "merges.txt"), _mergesText);
    }

    /// <summary>Token ids of <paramref name="text"/> (no BOS added; the text is taken literally).</summary>
    public int[] Encode(string text) => [.. _tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true)];

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);

    /// <summary>The vocabulary entry of one id (byte-level form, e.g. "Ġthe").</summary>
    public string TokenString(int id) => _idToToken.TryGetValue(id, out var s) ? s : $"<unk:{id}>";
}
