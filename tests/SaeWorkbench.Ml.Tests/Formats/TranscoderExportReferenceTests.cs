using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

/// <summary>
/// Transcoders trained and exported by this workbench (Formats/TranscoderExports; see the README there) load in SAELens
/// as its transcoder classes and encode there exactly as our reader encodes them, and our exporter writes those folders
/// byte for byte again from what our reader reads.
/// </summary>
public sealed class TranscoderExportReferenceTests : IDisposable
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Formats", "TranscoderExports");
    private readonly string _dir = Directory.CreateTempSubdirectory("saetcx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonArray Manifest => (JsonArray)JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "manifest.json")))!;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var e in Manifest) data.Add(e!["name"]!.GetValue<string>());
        return data;
    }

    private static JsonObject Entry(string name) => (JsonObject)Manifest.First(e => e!["name"]!.GetValue<string>() == name)!;

    [Theory]
    [MemberData(nameof(Names))]
    public void An_exported_transcoder_encodes_in_our_reader_as_saelens_encodes_it(string name)
    {
        var entry = Entry(name);
        using var loaded = SaeFolders.Load(Path.Combine(Root, entry["folder"]!.GetValue<string>()));
        Assert.Equal(SaeFormatNames.SaeLens, loaded.Format);
        Assert.Equal(entry["architecture"]!.GetValue<string>(), loaded.SourceArchitecture);
        Assert.True(loaded.Autoencoder.IsTranscoder);
        Assert.Equal("blocks.1.ln2.hook_normalized", loaded.Metadata.HookName);
        Assert.Equal("blocks.1.hook_mlp_out", loaded.Metadata.HookNameOut);
        var expected = Safetensors.Load(Path.Combine(Root, entry["expected"]!.GetValue<string>()));
        try
        {
            using var scope = NewDisposeScope();
            var x = expected["activations"];
            var f = loaded.Autoencoder.Encode(x);
            PublishedFormatTests.AssertClose(expected["feature_acts"], f, $"{name} feature_acts");
            PublishedFormatTests.AssertClose(expected["reconstruction"], loaded.Autoencoder.Reconstruct(x), $"{name} reconstruction");
            Assert.True(expected["feature_acts"].gt(0).eq(f.gt(0)).all().item<bool>(), $"{name}: a different set of latents fires");
            Assert.True(f.gt(0).any().item<bool>(), $"{name}: no latent fires, so the comparison would prove little");
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Our_exporter_writes_the_committed_transcoder_folder_again_byte_for_byte(string name)
    {
        var folder = Path.Combine(Root, Entry(name)["folder"]!.GetValue<string>());
        using var loaded = SaeFolders.Load(folder);
        var again = Path.Combine(_dir, name);
        SaeLensFolder.Save(again, loaded.Autoencoder, loaded.Metadata, loaded.Log10Density);
        foreach (var file in new[] { SaeLensFolder.ConfigFile, SaeLensFolder.WeightsFile, SaeLensFolder.SparsityFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(folder, file)), File.ReadAllBytes(Path.Combine(again, file)));
    }
}
