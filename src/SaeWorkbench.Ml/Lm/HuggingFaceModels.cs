using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>What a model folder holds, read from config.json and the safetensors headers only (no weights).</summary>
public sealed record ModelFolderInfo(
    string Folder,
    string Family,
    int Layers,
    int DModel,
    int Heads,
    int KvHeads,
    int DHead,
    int DMlp,
    int VocabSize,
    int ContextLength,
    long Parameters,
    string StoredDtype,
    long CheckpointBytes,
    IReadOnlyList<string> HookNames,
    IReadOnlyDictionary<string, int> HookWidths,
    MemoryEstimate Memory);

/// <summary>
/// Bytes a model needs in RAM: weights in the compute dtype, plus the working memory of one forward pass over
/// <see cref="Tokens"/> tokens (activations every hook keeps, one layer's attention scores, the logits).
/// </summary>
public sealed record MemoryEstimate(string ComputeDtype, long WeightBytes, long WorkingBytes, int Tokens, long AvailableBytes)
{
    public long TotalBytes => WeightBytes + WorkingBytes;
    public bool Fits => TotalBytes <= AvailableBytes;

    public string Describe() =>
        $"{Gib(TotalBytes)} ({Gib(WeightBytes)} weights in {ComputeDtype} + {Gib(WorkingBytes)} for a {Tokens}-token forward pass); " +
        $"{Gib(AvailableBytes)} available";

    public static string Gib(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";
}

/// <summary>
/// The one entry point that opens a Hugging Face model folder of any supported family (docs/science.md §10.2): reads
/// config.json, dispatches on model_type, checks the memory estimate, and reads model.safetensors or the shards
/// listed in model.safetensors.index.json straight into the model's own buffers.
/// </summary>
public static class HuggingFaceModels
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Tensors some checkpoints carry that are not weights (buffers of older exports).</summary>
    private static readonly string[] IgnoredSuffixes = [".rotary_emb.inv_freq", ".attention.bias", ".attention.masked_bias"];

    /// <summary>Loads model and tokenizer; <paramref name="dtype"/> defaults to float32.</summary>
    public static LoadedLanguageModel Load(string folder, ScalarType? dtype = null, Device? device = null)
    {
        var model = LoadModel(folder, dtype, device);
        try
        {
            var tokenizer = LoadTokenizer(folder);
            if (tokenizer.VocabSize > model.VocabSize)
                throw new LanguageModelFolderException(folder,
                    $"tokenizer has {tokenizer.VocabSize} tokens but the model's embedding has only {model.VocabSize} rows");
            return new LoadedLanguageModel(model, tokenizer, folder);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The folder's tokenizer (one place, so every family's tokenizer loader plugs in here).</summary>
    private static ITokenizer LoadTokenizer(string folder) => TokenizerFolder.Load(folder);

    /// <summary>Loads config and weights only. Refuses (before reading weights) when the estimate exceeds available RAM.</summary>
    public static IHookedLanguageModel LoadModel(string folder, ScalarType? dtype = null, Device? device = null, bool checkMemory = true)
    {
        if (!Directory.Exists(folder)) throw new LanguageModelFolderException(folder, "folder does not exist");
        var compute = dtype ?? ScalarType.Float32;
        if (compute is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"compute dtype {compute} is not supported; supported: float32, bfloat16, float16");
        var configPath = Path.Combine(folder, ConfigFile);
        var json = HuggingFaceConfig.ReadJson(configPath);
        var family = HuggingFaceConfig.Family(json, configPath);
        if (checkMemory && (device is null || device.type == DeviceType.CPU))
        {
            var info = Inspect(folder, compute);
            if (!info.Memory.Fits)
                throw new LanguageModelFolderException(folder,
                    $"not enough memory to load this {info.Family} model: needs about {info.Memory.Describe()}. " +
                    "Choose a smaller compute dtype (bfloat16) or a machine with more memory.");
        }
        if (family == "gpt2")
        {
            var gpt2 = HuggingFaceGpt2.LoadModel(folder, device);
            if (compute != ScalarType.Float32) gpt2.to(compute);
            return gpt2;
        }
        var config = HuggingFaceConfig.ParseDecoder(json, configPath);
        var weights = ReadWeights(folder, config, compute, device);
        return new DecoderModel(config, weights, compute);
    }

    /// <summary>Family, sizes, dtype, hooks and memory estimate of a folder, from its config and weight headers.</summary>
    public static ModelFolderInfo Inspect(string folder, ScalarType? computeDtype = null, int tokens = 1024)
    {
        if (!Directory.Exists(folder)) throw new LanguageModelFolderException(folder, "folder does not exist");
        var configPath = Path.Combine(folder, ConfigFile);
        var json = HuggingFaceConfig.ReadJson(configPath);
        var family = HuggingFaceConfig.Family(json, configPath);
        var files = WeightFiles(folder).Values.Distinct().ToList();
        var bytes = files.Sum(f => new FileInfo(f).Length);
        if (family == "gpt2")
        {
            var c = HuggingFaceGpt2.ReadConfig(configPath);
            var hooks = Gpt2Model.HookNamesFor(c);
            long p = (long)c.VocabSize * c.DModel + (long)c.ContextLength * c.DModel + 2L * c.DModel +
                     c.NLayers * (4L * c.DModel + 4L * c.DModel * c.DModel + 4L * c.DModel + 2L * c.DModel * c.DMlp + c.DMlp + c.DModel);
            var stored = json["torch_dtype"]?.GetValue<string>() ?? json["dtype"]?.GetValue<string>() ?? "float32";
            var t = Math.Min(tokens, c.ContextLength);
            return new ModelFolderInfo(folder, family, c.NLayers, c.DModel, c.NHeads, c.NHeads, c.DHead, c.DMlp, c.VocabSize,
                c.ContextLength, p, stored, bytes, hooks, hooks.ToDictionary(h => h, h => Gpt2Model.HookWidthFor(c, h)),
                Estimate(p, computeDtype ?? ScalarType.Float32, c.NLayers, c.DModel, c.DMlp, c.NHeads, c.VocabSize, t));
        }
        var config = HuggingFaceConfig.ParseDecoder(json, configPath);
        var names = config.HookNames();
        var n = Math.Min(tokens, config.ContextLength);
        return new ModelFolderInfo(folder, family, config.NLayers, config.DModel, config.NHeads, config.NKvHeads, config.DHead,
            config.DMlp, config.VocabSize, config.ContextLength, config.ParameterCount, config.StoredDtype, bytes, names,
            names.ToDictionary(h => h, config.HookWidth),
            Estimate(config.ParameterCount, computeDtype ?? ScalarType.Float32, config.NLayers, config.DModel, config.DMlp,
                config.NHeads, config.VocabSize, n));
    }

    /// <summary>
    /// Weights plus one forward pass of <paramref name="tokens"/> tokens: every layer's hooked activations stay alive
    /// until the caller's scope ends (about 12 residual-width and 3 MLP-width tensors a layer), one layer's attention
    /// scores and probabilities (float32 softmax), and the logits with their float32 copy.
    /// </summary>
    public static MemoryEstimate Estimate(long parameters, ScalarType dtype, int layers, int dModel, int dMlp, int heads,
        int vocab, int tokens)
    {
        long element = dtype == ScalarType.Float32 ? 4 : 2;
        var weights = parameters * element;
        var activations = (long)tokens * layers * (12L * dModel + 3L * dMlp) * element;
        var scores = (long)heads * tokens * tokens * (2 * element + 8);
        var logits = (long)tokens * vocab * (element + 8);
        return new MemoryEstimate(dtype.ToString().ToLowerInvariant(), weights, activations + scores + logits, tokens, AvailableMemoryBytes());
    }

    /// <summary>MemAvailable from /proc/meminfo (Linux), else what the runtime reports as available.</summary>
    public static long AvailableMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    /// <summary>Tensor name → the safetensors file holding it (model.safetensors, or the index's shards).</summary>
    public static Dictionary<string, string> WeightFiles(string folder)
    {
        var single = Path.Combine(folder, WeightsFile);
        var index = Path.Combine(folder, IndexFile);
        if (File.Exists(single))
            return Safetensors.ReadHeader(single).Tensors.Keys.ToDictionary(k => k, _ => single, StringComparer.Ordinal);
        if (File.Exists(index))
        {
            var json = HuggingFaceConfig.ReadJson(index);
            if (json["weight_map"] is not JsonObject map)
                throw new LanguageModelFolderException(index, "has no \"weight_map\" object");
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, file) in map)
            {
                var shard = file?.GetValue<string>() ?? throw new LanguageModelFolderException(index, $"weight_map entry \"{name}\" is not a file name");
                if (shard.Contains('/') || shard.Contains('\\') || shard.Contains(".."))
                    throw new LanguageModelFolderException(index, $"weight_map entry \"{name}\" points outside the folder: {shard}");
                var path = Path.Combine(folder, shard);
                if (!File.Exists(path)) throw new LanguageModelFolderException(path, $"shard listed in {IndexFile} not found");
                result[name] = path;
            }
            return result;
        }
        if (File.Exists(Path.Combine(folder, "pytorch_model.bin")) || Directory.EnumerateFiles(folder, "pytorch_model*.bin").Any())
            throw new LanguageModelFolderException(Path.Combine(folder, "pytorch_model.bin"),
                "only PyTorch pickle weights found; they are not read (pickles can run code). Convert them once with Python " +
                "(`AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`), which writes model.safetensors");
        throw new LanguageModelFolderException(single, $"file not found (nor {IndexFile})");
    }

    /// <summary>
    /// Reads every weight <paramref name="config"/> expects into a tensor of the compute dtype: straight into it when
    /// the stored dtype matches, otherwise through one temporary tensor of the stored dtype at a time, so loading
    /// never holds a second copy of the model.
    /// </summary>
    private static Dictionary<string, Tensor> ReadWeights(string folder, DecoderConfig config, ScalarType compute, Device? device)
    {
        var files = WeightFiles(folder);
        var expected = config.WeightShapes();
        var expectedNames = expected.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(e => !files.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        var firstFile = files.Values.FirstOrDefault() ?? Path.Combine(folder, WeightsFile);
        if (missing.Count > 0)
            throw new LanguageModelFolderException(firstFile,
                $"missing tensors for a {config.Family} model: {string.Join(", ", missing.Take(10))}" + (missing.Count > 10 ? $" (and {missing.Count - 10} more)" : ""));
        var unexpected = files.Keys.Where(n => !expectedNames.Contains(n) && !IgnoredSuffixes.Any(s => n.EndsWith(s, StringComparison.Ordinal))
                                               && !(config.TiedEmbeddings && n is "lm_head.weight" or "embed_out.weight")).ToList();
        if (unexpected.Count > 0)
            throw new LanguageModelFolderException(firstFile,
                $"unexpected tensors for a {config.Family} model with this config.json: {string.Join(", ", unexpected.Take(10))}");

        var headers = new Dictionary<string, SafetensorsHeader>(StringComparer.Ordinal);
        var streams = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, shape) in expected)
            {
                var path = files[name];
                if (!headers.TryGetValue(path, out var header)) headers[path] = header = Safetensors.ReadHeader(path);
                if (!streams.TryGetValue(path, out var stream)) streams[path] = stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                if (!header.Tensors.TryGetValue(name, out var entry))
                    throw new LanguageModelFolderException(path, $"tensor {name} listed in {IndexFile} is not in this shard");
                if (!entry.Shape.SequenceEqual(shape))
                    throw new LanguageModelFolderException(path,
                        $"tensor {name} has shape [{string.Join(", ", entry.Shape)}], config.json implies [{string.Join(", ", shape)}]");
                var stored = entry.Dtype switch
                {
                    "F32" => ScalarType.Float32,
                    "F16" => ScalarType.Float16,
                    "BF16" => ScalarType.BFloat16,
                    "F64" => ScalarType.Float64,
                    _ => throw new LanguageModelFolderException(path, $"tensor {name} has dtype {entry.Dtype}; supported: F32, F16, BF16"),
                };
                var target = empty(shape, compute);
                if (stored == compute) ReadInto(stream, header.DataStart + entry.Begin, entry.End - entry.Begin, target, path, name);
                else
                {
                    using var temporary = empty(shape, stored);
                    ReadInto(stream, header.DataStart + entry.Begin, entry.End - entry.Begin, temporary, path, name);
                    target.copy_(temporary);
                }
                if (device is not null && device.type != DeviceType.CPU)
                {
                    var moved = target.to(device);
                    target.Dispose();
                    target = moved;
                }
                weights[name] = target.DetachFromDisposeScope();
            }
            return weights;
        }
        catch
        {
            foreach (var t in weights.Values) t.Dispose();
            throw;
        }
        finally
        {
            foreach (var s in streams.Values) s.Dispose();
        }
    }

    private static void ReadInto(FileStream stream, long offset, long count, Tensor tensor, string path, string name)
    {
        if (count != tensor.NumberOfElements * tensor.ElementSize)
            throw new LanguageModelFolderException(path, $"tensor {name} holds {count} bytes, its shape and dtype need {tensor.NumberOfElements * tensor.ElementSize}");
        if (count == 0) return;
        if (count > int.MaxValue) throw new LanguageModelFolderException(path, $"tensor {name} is over 2 GiB, which this reader does not support");
        stream.Position = offset;
        var span = tensor.bytes; // a view over the tensor's CPU memory
        var done = 0;
        while (done < count)
        {
            var read = stream.Read(span[done..]);
            if (read == 0) throw new LanguageModelFolderException(path, $"file ends inside tensor {name}");
            done += read;
        }
    }
}
