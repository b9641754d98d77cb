using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Lm;

/// <summary>The loader's dispatch, its refusals (each with its message) and what it reports without loading weights.</summary>
public sealed class ModelLoadingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sae-load-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    /// <summary>A copy of a fixture with its config.json edited.</summary>
    private string CopyWith(string fixture, Action<JsonObject> edit)
    {
        var source = ModelFamilyTests.FixtureFolder(fixture);
        var target = Path.Combine(_root, fixture + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(target, "config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(Path.Combine(target, "config.json"), config.ToJsonString());
        return target;
    }

    private LanguageModelFolderException Refused(string fixture, Action<JsonObject> edit) =>
        Assert.Throws<LanguageModelFolderException>(() => HuggingFaceModels.LoadModel(CopyWith(fixture, edit)).Dispose());

    [Fact]
    public void An_unknown_model_type_is_refused_listing_the_supported_ones()
    {
        var e = Refused("llama3", c => c["model_type"] = "mamba");
        Assert.Contains("model_type \"mamba\" is not supported", e.Message);
        Assert.Contains("llama, mistral, qwen2, qwen3, gemma2, gemma3_text, gpt_neox", e.Message);
    }

    [Fact]
    public void An_unimplemented_rope_scaling_type_is_refused_naming_the_key()
    {
        var e = Refused("llama3", c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 });
        Assert.Contains("\"rope_scaling.rope_type\": RoPE type \"yarn\" is not supported; supported: default, linear, llama3", e.Message);
        var newer = Refused("mistral", c => c["rope_parameters"] = new JsonObject { ["rope_type"] = "dynamic", ["rope_theta"] = 10000.0 });
        Assert.Contains("\"rope_parameters.rope_type\": RoPE type \"dynamic\" is not supported", newer.Message);
    }

    [Fact]
    public void Gpt2_options_we_do_not_compute_are_refused_naming_the_key()
    {
        var folder = Path.Combine(_root, "gpt2");
        using (var model = TinyModels.Create()) HuggingFaceGpt2.Save(model, folder);
        var path = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config["scale_attn_by_inverse_layer_idx"] = true;
        File.WriteAllText(path, config.ToJsonString());
        var e = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceModels.LoadModel(folder).Dispose());
        Assert.Contains("\"scale_attn_by_inverse_layer_idx\": true is not supported", e.Message);
    }

    [Fact]
    public void Quantized_checkpoints_bidirectional_gemma_and_unknown_layer_types_are_refused()
    {
        Assert.Contains("\"quantization_config\": quantized checkpoints are not supported",
            Refused("qwen3", c => c["quantization_config"] = new JsonObject { ["quant_method"] = "gptq" }).Message);
        Assert.Contains("\"use_bidirectional_attention\": only causal attention is supported",
            Refused("gemma3", c => c["use_bidirectional_attention"] = true).Message);
        Assert.Contains("\"layer_types\": entry \"chunked_attention\" is not supported; supported: full_attention, sliding_attention",
            Refused("gemma3", c => c["layer_types"] = new JsonArray("sliding_attention", "chunked_attention", "full_attention")).Message);
        Assert.Contains("\"hidden_act\": activation \"relu2\" is not supported",
            Refused("llama3", c => c["hidden_act"] = "relu2").Message);
        Assert.Contains("\"attention_bias\": Mistral has no attention biases",
            Refused("mistral", c => c["attention_bias"] = true).Message);
    }

    [Fact]
    public void A_config_that_disagrees_with_the_weights_names_the_tensor()
    {
        Assert.Contains("tensor model.embed_tokens.weight has shape [96, 64], config.json implies [100, 64]",
            Refused("llama3", c => c["vocab_size"] = 100).Message);
        Assert.Contains("missing tensors for a qwen2 model: model.layers.0.self_attn.q_proj.weight",
            MissingFromIndex());
        Assert.Contains("missing tensors for a llama model: lm_head.weight",
            Refused("llama3", c => c["tie_word_embeddings"] = false).Message);
        Assert.Contains("missing required field \"hidden_size\"", Refused("qwen3", c => c.Remove("hidden_size")).Message);
    }

    private string MissingFromIndex()
    {
        // The index no longer lists one tensor.
        var folder = CopyWith("qwen2", _ => { });
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, HuggingFaceModels.IndexFile)))!.AsObject();
        var map = index["weight_map"]!.AsObject();
        map.Remove("model.layers.0.self_attn.q_proj.weight");
        File.WriteAllText(Path.Combine(folder, HuggingFaceModels.IndexFile), index.ToJsonString());
        return Assert.Throws<LanguageModelFolderException>(() => HuggingFaceModels.LoadModel(folder).Dispose()).Message;
    }

    [Fact]
    public void A_missing_shard_and_pickle_only_folders_are_refused()
    {
        var folder = CopyWith("qwen2", _ => { });
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceModels.LoadModel(folder).Dispose());
        Assert.Contains("shard listed in model.safetensors.index.json not found", e.Message);

        var pickle = Path.Combine(_root, "pickle");
        Directory.CreateDirectory(pickle);
        File.Copy(Path.Combine(ModelFamilyTests.FixtureFolder("llama3"), "config.json"), Path.Combine(pickle, "config.json"));
        File.WriteAllBytes(Path.Combine(pickle, "pytorch_model.bin"), [1, 2, 3]);
        var p = Assert.Throws<LanguageModelFolderException>(() => HuggingFaceModels.LoadModel(pickle).Dispose());
        Assert.Contains("only PyTorch pickle weights found", p.Message);
    }

    [Fact]
    public void A_model_too_large_for_the_available_memory_is_refused_before_its_weights_are_read()
    {
        // 200k × 60k embedding alone is 48 GB in float32; the safetensors file itself is the tiny fixture's.
        var e = Refused("llama3", c => { c["vocab_size"] = 200_000; c["hidden_size"] = 60_000; c["head_dim"] = 15_000; });
        Assert.Contains("not enough memory to load this llama model: needs about", e.Message);
        Assert.Contains("available", e.Message);
    }

    [Fact]
    public void Legacy_and_rope_parameters_forms_of_the_same_config_read_alike()
    {
        var legacy = HuggingFaceConfig.ReadDecoder(Path.Combine(ModelFamilyTests.FixtureFolder("llama3"), "config.json"));
        var newer = HuggingFaceConfig.ReadDecoder(Path.Combine(CopyWith("llama3", c =>
        {
            var scaling = c["rope_scaling"]!.AsObject().DeepClone().AsObject();
            scaling["rope_theta"] = c["rope_theta"]!.GetValue<double>();
            c.Remove("rope_scaling");
            c.Remove("rope_theta");
            c["rope_parameters"] = scaling;
            c["dtype"] = c["torch_dtype"]!.GetValue<string>();
            c.Remove("torch_dtype");
        }), "config.json"));
        Assert.Equal(legacy.Rope, newer.Rope);
        Assert.Equal(legacy.StoredDtype, newer.StoredDtype);
        Assert.Equal(new RopeSpec(500000, "llama3", 32, 1, 4, 8192), legacy.Rope);
    }

    [Fact]
    public void Gemma3s_per_layer_kind_rope_parameters_read_like_its_legacy_keys()
    {
        var legacy = HuggingFaceConfig.ReadDecoder(Path.Combine(ModelFamilyTests.FixtureFolder("gemma3"), "config.json"));
        var newer = HuggingFaceConfig.ReadDecoder(Path.Combine(CopyWith("gemma3", c =>
        {
            c["rope_parameters"] = new JsonObject
            {
                ["full_attention"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8, ["rope_theta"] = 1000000 },
                ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10000 },
            };
            foreach (var key in new[] { "rope_scaling", "rope_theta", "rope_local_base_freq" }) c.Remove(key);
        }), "config.json"));
        Assert.Equal(legacy.Rope, newer.Rope);
        Assert.Equal(legacy.LocalRope, newer.LocalRope);
    }

    [Fact]
    public void A_config_value_of_the_wrong_type_is_refused_naming_the_key()
    {
        Assert.Contains("\"rope_scaling.factor\": is not a number",
            Refused("llama3", c => c["rope_scaling"]!["factor"] = "large").Message);
        Assert.Contains("\"num_hidden_layers\": is not an integer", Refused("qwen3", c => c["num_hidden_layers"] = 2.5).Message);
    }

    [Fact]
    public void Each_family_reads_its_sliding_window_layout()
    {
        DecoderConfig Read(string f) => HuggingFaceConfig.ReadDecoder(Path.Combine(ModelFamilyTests.FixtureFolder(f), "config.json"));
        Assert.Equal([4, null, 4], Read("gemma2").SlidingWindows);      // even layers slide
        Assert.Equal([4, 4, null], Read("gemma3").SlidingWindows);      // sliding_window_pattern 3
        Assert.Equal([4, 4], Read("mistral").SlidingWindows);           // every layer
        Assert.Equal([null, null], Read("qwen2").SlidingWindows);       // use_sliding_window false
        Assert.Equal(10000, Read("gemma3").LocalRope!.Theta);
        Assert.Equal(new RopeSpec(1_000_000, "linear", 8), Read("gemma3").Rope);
        Assert.Equal(4, Read("pythia").RotaryDim);                      // a quarter of d_head 16
    }

    [Fact]
    public void Inspect_reports_family_sizes_dtype_parameters_memory_and_hooks_without_loading()
    {
        var info = HuggingFaceModels.Inspect(ModelFamilyTests.FixtureFolder("gemma2"));
        Assert.Equal(("gemma2", 3, 48, 4, 2, 16, 96, 64), (info.Family, info.Layers, info.DModel, info.Heads, info.KvHeads, info.DHead, info.VocabSize, info.ContextLength));
        Assert.Equal("bfloat16", info.StoredDtype);
        using var model = HuggingFaceModels.LoadModel(ModelFamilyTests.FixtureFolder("gemma2"));
        Assert.Equal(model.ParameterCount, info.Parameters);
        Assert.Equal(info.Parameters * 2, info.CheckpointBytes - HeaderBytes(ModelFamilyTests.FixtureFolder("gemma2")));
        Assert.Equal(info.Parameters * 4, info.Memory.WeightBytes);
        Assert.True(info.Memory.Fits);
        Assert.Equal(model.HookNames, info.HookNames);
        Assert.Equal(64, info.HookWidths["blocks.0.attn.hook_z"]);
        Assert.Equal(96, info.HookWidths["blocks.2.mlp.hook_post"]);
        Assert.DoesNotContain("blocks.0.hook_resid_mid", HuggingFaceModels.Inspect(ModelFamilyTests.FixtureFolder("pythia")).HookNames);
    }

    private static long HeaderBytes(string folder) =>
        HuggingFaceModels.WeightFiles(folder).Values.Distinct().Sum(f => Ml.Formats.Safetensors.ReadHeader(f).DataStart);

    [Fact]
    public void Run_with_cache_returns_float32_logits_and_the_requested_hooks_and_refuses_unknown_hooks()
    {
        using var model = HuggingFaceModels.LoadModel(ModelFamilyTests.FixtureFolder("qwen3"));
        var result = RunWithCache.Run(model, [1, 5, 9, 4], ["blocks.1.attn.hook_z", "ln_final.hook_normalized"]);
        try
        {
            Assert.Equal([4L, 96], result["logits"].shape);
            Assert.Equal([4L, 4 * 24], result["blocks.1.attn.hook_z"].shape);
            Assert.Equal(ScalarType.Float32, result["ln_final.hook_normalized"].dtype);
        }
        finally
        {
            foreach (var t in result.Values) t.Dispose();
        }
        Assert.Contains("unknown hook 'blocks.7.hook_resid_pre'; valid hooks: hook_embed",
            Assert.Throws<ArgumentException>(() => RunWithCache.Run(model, [1, 2], ["blocks.7.hook_resid_pre"])).Message);
        Assert.Contains("token ids outside the vocabulary of 96: 96",
            Assert.Throws<ArgumentException>(() => RunWithCache.Run(model, [1, 96], [])).Message);
    }

    [Fact]
    public void Generation_and_steering_code_runs_on_a_non_gpt2_family_through_the_interface()
    {
        using var model = HuggingFaceModels.LoadModel(ModelFamilyTests.FixtureFolder("gemma3"));
        using var unembedding = Ml.Analysis.Unembedding.Of(model);
        Assert.Equal(NormKind.RmsNorm, unembedding.NormKind);
        Assert.Equal([48L, 96], unembedding.WU.shape);
        // CE/KL metrics with hook_z (flattened heads · d_head) spliced: the identity costs nothing, zeros cost a lot.
        var windows = new List<long[]> { new long[] { 2, 7, 19, 33, 5, 61, 8, 12, 40 }, new long[] { 2, 3, 90, 14, 14, 27, 70, 1, 6 } };
        var identity = Ml.Sae.LanguageModelLossMetrics.Evaluate(model, "blocks.2.attn.hook_z", a => a, windows);
        Assert.Equal(0, identity.Kl, 6);
        Assert.Equal(identity.CeClean, identity.CeSae, 6);
    }
}
