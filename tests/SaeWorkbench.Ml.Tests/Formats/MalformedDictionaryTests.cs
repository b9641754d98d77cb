using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

/// <summary>Malformed published dictionaries are refused with a message naming the file and the field.</summary>
public sealed class MalformedDictionaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("malformed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Copy(string fixture)
    {
        var source = PublishedFormatTests.FolderOf(fixture);
        var target = Path.Combine(_dir, Path.GetFileName(source));
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    private static void EditCfg(string folder, Action<JsonObject> edit, string file = "cfg.json")
    {
        var path = Path.Combine(folder, file);
        var cfg = (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        edit(cfg);
        File.WriteAllText(path, cfg.ToJsonString());
    }

    private static void EditWeights(string folder, Action<Dictionary<string, Tensor>> edit, string file = "sae_weights.safetensors")
    {
        var path = Path.Combine(folder, file);
        var tensors = Safetensors.Load(path);
        edit(tensors);
        Safetensors.Save(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
    }

    private static T Refused<T>(string folder, params string[] mentions) where T : Exception
    {
        var e = Assert.ThrowsAny<T>(() => SaeFolders.Load(folder).Dispose());
        foreach (var m in mentions) Assert.Contains(m, e.Message);
        return e;
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_is_refused_by_file_and_name()
    {
        var folder = Copy("saelens-standard");
        EditWeights(folder, t => t["W_enc"] = zeros(13, 32));
        Refused<SaeFormatException>(folder, "sae_weights.safetensors", "W_enc", "[13, 32]", "[12, 32]");
    }

    [Fact]
    public void A_safetensors_header_longer_than_the_file_is_refused()
    {
        var folder = Copy("saelens-standard");
        var path = Path.Combine(folder, "sae_weights.safetensors");
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt64LittleEndian(bytes, bytes.Length + 100);
        File.WriteAllBytes(path, bytes);
        Refused<SafetensorsFormatException>(folder, "sae_weights.safetensors", "header length", "runs past the end");
    }

    [Fact]
    public void Overlapping_tensor_offsets_and_unknown_dtypes_are_refused()
    {
        var folder = Copy("saelens-standard");
        var path = Path.Combine(folder, "sae_weights.safetensors");
        WriteRawSafetensors(path, """{"W_enc":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b_enc":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
        Refused<SafetensorsFormatException>(folder, "sae_weights.safetensors", "overlap");
        WriteRawSafetensors(path, """{"W_enc":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", 2);
        Refused<SafetensorsFormatException>(folder, "sae_weights.safetensors", "W_enc", "unknown dtype 'F8_E4M3'");
    }

    private static void WriteRawSafetensors(string path, string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, h.Length);
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void An_unknown_architecture_is_refused_by_field()
    {
        var folder = Copy("saelens-standard");
        EditCfg(folder, c => c["architecture"] = "crosscoder");
        Refused<SaeFormatException>(folder, "cfg.json", "architecture", "'crosscoder'");
    }

    [Fact]
    public void NaN_or_infinite_weights_are_refused_by_tensor()
    {
        var folder = Copy("saelens-standard");
        EditWeights(folder, t => t["b_enc"] = t["b_enc"].clone().index_put_(float.NaN, 3));
        Refused<SaeFormatException>(folder, "sae_weights.safetensors", "b_enc", "non-finite values (1 NaN, 0 infinite)");
        var npz = Copy("gemma-scope-1");
        // Gemma Scope's params.npz: rewrite the threshold with an infinity.
        var path = Path.Combine(npz, "params.npz");
        var arrays = NumpyArchive.Load(path);
        arrays["threshold"][0] = float.PositiveInfinity;
        WriteNpz(path, arrays);
        Refused<SaeFormatException>(npz, "params.npz", "threshold", "non-finite values (0 NaN, 1 infinite)");
    }

    [Fact]
    public void Integer_weights_are_refused_as_not_floating_point()
    {
        var folder = Copy("saelens-standard");
        EditWeights(folder, t => t["b_dec"] = t["b_dec"].to(int32));
        Refused<SaeFormatException>(folder, "b_dec", "not a floating-point type");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void A_k_outside_one_to_d_sae_is_refused(int k)
    {
        var folder = Copy("saelens-topk-rescaled");
        EditCfg(folder, c => c["k"] = k);
        Refused<SaeFormatException>(folder, "cfg.json", "k", "outside 1…d_sae (32)");
        var sparsify = Copy("sparsify-sae");
        EditCfg(sparsify, c => c["k"] = k);
        Refused<SaeFormatException>(sparsify, "cfg.json", "k");
    }

    [Fact]
    public void A_transcoder_that_subtracts_b_dec_from_its_input_is_refused()
    {
        var folder = Copy("saelens-skip-transcoder");
        EditCfg(folder, c => c["apply_b_dec_to_input"] = true);
        Refused<SaeFormatException>(folder, "apply_b_dec_to_input");
    }

    [Fact]
    public void A_dataset_norm_scale_kept_outside_the_folder_is_refused_unless_given_and_then_folded()
    {
        var folder = Copy("saelens-standard");
        EditCfg(folder, c => c["normalize_activations"] = "expected_average_only_in");
        Refused<SaeFormatException>(folder, "normalize_activations", "scaling factor");
        using var plain = SaeFolders.Load(PublishedFormatTests.FolderOf("saelens-standard"));
        using var folded = SaeFolders.Load(folder, new SaeLoadOptions { NormScalingFactor = 2.5 });
        using var scope = NewDisposeScope();
        var x = randn(4, 12);
        // Trained on 2.5·x: the folded dictionary on x gives the plain one's latents on 2.5·x, its reconstruction ÷ 2.5.
        PublishedFormatTests.AssertClose(plain.Autoencoder.Encode(x * 2.5), folded.Autoencoder.Encode(x), "latents");
        PublishedFormatTests.AssertClose(plain.Autoencoder.Reconstruct(x * 2.5) / 2.5, folded.Autoencoder.Reconstruct(x), "reconstruction");
        Assert.Contains(folded.Transforms, t => t.Contains("expected_average_only_in", StringComparison.Ordinal));
    }

    [Fact]
    public void A_pickle_that_names_any_other_global_is_refused_without_running_it()
    {
        var folder = Copy("dictionary-learning-topk");
        var marker = Path.Combine(_dir, "ran");
        // GLOBAL os.system, the argument, TUPLE1, REDUCE: what a malicious ae.pt does.
        var command = $"touch {marker}";
        var pickle = new List<byte> { 0x80, 2 };
        pickle.AddRange(Encoding.ASCII.GetBytes("cos\nsystem\n"));
        pickle.Add((byte)'X');
        pickle.AddRange(BitConverter.GetBytes(command.Length));
        pickle.AddRange(Encoding.ASCII.GetBytes(command));
        pickle.AddRange([0x85, (byte)'R', (byte)'.']);
        var path = Path.Combine(folder, "ae.pt");
        File.Delete(path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("ae/data.pkl").Open())
            s.Write(pickle.ToArray());
        Refused<SaeFormatException>(folder, "ae.pt", "os.system", "refusing");
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void A_legacy_non_zip_torch_file_is_refused_with_the_conversion_command()
    {
        var folder = Copy("dictionary-learning-topk");
        File.WriteAllBytes(Path.Combine(folder, "ae.pt"), [0x80, 2, (byte)'N', (byte)'.']);
        Refused<SaeFormatException>(folder, "ae.pt", "safetensors");
    }

    [Fact]
    public void A_torch_view_past_its_storage_is_refused()
    {
        var folder = Copy("dictionary-learning-topk");
        var path = Path.Combine(folder, "ae.pt");
        // Shrink storage 0 so the tensors that use it run past its end.
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("ae/data/0")!;
            entry.Delete();
            using var s = zip.CreateEntry("ae/data/0").Open();
            s.Write(new byte[4]);
        }
        Refused<SaeFormatException>(folder, "ae.pt", "storage data/0");
    }

    [Fact]
    public void A_dictionary_learning_class_that_is_not_known_is_refused_by_field()
    {
        var folder = Copy("dictionary-learning-topk");
        EditCfg(folder, c => c["trainer"]!["dict_class"] = "CrossCoder", "config.json");
        Refused<SaeFormatException>(folder, "config.json", "trainer.dict_class", "'CrossCoder'");
    }

    [Fact]
    public void A_folder_in_no_known_layout_is_refused_with_the_layouts_it_could_be()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SaeFolders.Load(_dir));
        Assert.Contains("Gemma Scope", e.Message);
        Assert.Contains("dictionary_learning", e.Message);
    }

    private static void WriteNpz(string path, Dictionary<string, Tensor> arrays)
    {
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, t) in arrays)
        {
            var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({string.Join(", ", t.shape)}{(t.dim() == 1 ? "," : "")}), }}";
            header = header.PadRight(118) + "\n";
            using var s = zip.CreateEntry(name + ".npy").Open();
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            s.Write(BitConverter.GetBytes((ushort)header.Length));
            s.Write(Encoding.Latin1.GetBytes(header));
            s.Write(t.to(float32).contiguous().bytes);
            t.Dispose();
        }
    }
}
