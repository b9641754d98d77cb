using System.Net;
using System.Text.Json.Nodes;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Tests.Labelling;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Imports apply the rules for data a person types and for weights: NaN/Inf or integer weights, k outside 1 … d_sae − 1,
/// tags outside the taxonomy, bidirectional overrides and markup in people's names, and a weights file that links out
/// of the import roots are refused with a 400 JSON problem (never a 500 page), changing nothing.
/// </summary>
public sealed class ImportValidationTests : IAsyncLifetime
{
    private const string WeightsPath = "sae/sae_weights.safetensors";
    private readonly SecurityHost _h = new();
    private ApiUser _admin = null!;
    private ApiUser _labeler = null!;

    public async Task InitializeAsync()
    {
        _admin = await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _labeler = await _h.UserAsync("lena", WorkbenchRoles.Labeler);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<string> RefusedAsync(string bundle)
    {
        var before = await _h.FingerprintAsync();
        var response = await _admin.Client.PostAsync("/api/imports", SecurityHost.ZipContent(SecurityHost.Zip(bundle)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await SecurityHost.ProblemTextAsync(response);
        Assert.Equal(before, await _h.FingerprintAsync());
        Assert.Empty(_h.ImportedFiles());
        return text;
    }

    /// <summary>Rewrites the bundle's SAE weights with <paramref name="edit"/> applied to W_enc.</summary>
    private static void EditWeights(string bundle, Func<Tensor, Tensor> edit)
    {
        var path = Path.Combine(bundle, WeightsPath);
        var tensors = Safetensors.Load(path);
        try
        {
            tensors["W_enc"] = edit(tensors["W_enc"]);
            var temp = Path.Combine(Path.GetTempPath(), $"wb-weights-{Guid.NewGuid():N}.safetensors");
            Safetensors.Save(temp, tensors);
            var bytes = File.ReadAllBytes(temp);
            File.Delete(temp);
            SecurityHost.ReplaceFile(bundle, WeightsPath, bytes);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [Theory]
    [InlineData(float.NaN, "1 non-finite values (1 NaN, 0 infinite)")]
    [InlineData(float.PositiveInfinity, "1 non-finite values (0 NaN, 1 infinite)")]
    public async Task Weights_with_NaN_or_infinity_are_refused(float value, string expected)
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        EditWeights(bundle, w =>
        {
            var copy = w.clone();
            copy[0, 0] = tensor(value);
            return copy;
        });
        var text = await RefusedAsync(bundle);
        Assert.Contains("W_enc: holds " + expected, text);
    }

    [Fact]
    public async Task Integer_typed_weights_are_refused()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        EditWeights(bundle, w => (w * 100).to(int32));
        Assert.Contains("W_enc: dtype Int32 is not a floating-point type", await RefusedAsync(bundle));
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(100_000)]
    public async Task A_k_outside_one_to_d_sae_is_a_400_with_a_message_not_a_500(int k)
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler, topK: true);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "sae", "cfg.json")))!.AsObject();
        cfg["k"] = k;
        SecurityHost.ReplaceFile(bundle, "sae/cfg.json", System.Text.Encoding.UTF8.GetBytes(cfg.ToJsonString()));
        Assert.Contains($"cfg.json: k: {k} is outside 1…d_sae (5)", await RefusedAsync(bundle));
    }

    [Fact]
    public async Task A_k_in_the_manifest_outside_one_to_d_sae_is_refused()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler, topK: true);
        SecurityHost.EditManifest(bundle, m => m["dictionary"]!["k"] = -5);
        Assert.Contains("dictionary.k is -5; it must be from 1 to d_sae (5)", await RefusedAsync(bundle));
    }

    [Fact]
    public async Task A_tag_outside_the_workspace_taxonomy_is_refused()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.EditFirstInterpretation(bundle, i => i["tag"] = "made-up-tag");
        Assert.Contains("\"made-up-tag\" is not a tag of this workspace", await RefusedAsync(bundle));
    }

    [Theory]
    [InlineData("mallory\u202Egnp.exe", "author name contains a bidirectional override (U+202E) at position 8")]
    [InlineData("<img src=x onerror=alert(1)>", "author name contains the markup character '<' at position 1")]
    [InlineData("bob\u0007", "author name contains a control character (U+0007) at position 4")]
    public async Task Author_names_with_bidi_overrides_control_characters_or_markup_are_refused(string author, string expected)
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.EditFirstInterpretation(bundle, i => i["author"] = author);
        Assert.Contains(expected, await RefusedAsync(bundle));
    }

    [Fact]
    public async Task A_label_with_a_bidi_override_is_refused_like_a_typed_one()
    {
        var bundle = await _h.ExportBundleFolderAsync(_labeler);
        SecurityHost.EditFirstInterpretation(bundle, i => i["label"] = "harmless\u202Edrow");
        Assert.Contains("The label contains a bidirectional override (U+202E)", await RefusedAsync(bundle));
    }

    [Fact]
    public async Task A_weights_file_that_links_outside_the_import_roots_is_refused()
    {
        // A real model inside the roots and a valid SAE outside them; the SAE folder inside holds only a link to it.
        var (model, _) = TinyWorld.Create(Path.Combine(_h.Roots, "world"));
        var outsideSae = Path.Combine(_h.Outside, "sae");
        using (var g = new Generator(5))
        using (var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn([16, 6], generator: g), zeros(6), randn([6, 16], generator: g), zeros(16)))
            SaeLensFolder.Save(outsideSae, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.0.hook_resid_post" });
        var insideSae = Directory.CreateDirectory(Path.Combine(_h.Roots, "sae")).FullName;
        File.Copy(Path.Combine(outsideSae, SaeLensFolder.ConfigFile), Path.Combine(insideSae, SaeLensFolder.ConfigFile));
        File.CreateSymbolicLink(Path.Combine(insideSae, SaeLensFolder.WeightsFile), Path.Combine(outsideSae, SaeLensFolder.WeightsFile));
        var importer = _h.Get<DictionaryImporter>();
        var actor = new Actor(_labeler.Id, _labeler.Name, Role.Labeler);
        var before = await _h.FingerprintAsync();

        var e = await Assert.ThrowsAsync<ImportValidationException>(() => importer.ImportSaeLensAsync(new SaeImportRequest(insideSae, model), actor));

        Assert.Equal($"SAE folder: '{SaeLensFolder.WeightsFile}' is a link that leads outside the import roots (Workbench:ImportRoots) or nowhere.", Assert.Single(e.Errors));
        Assert.Equal(before, await _h.FingerprintAsync());
        // The same SAE as a plain file inside the roots is imported.
        File.Delete(Path.Combine(insideSae, SaeLensFolder.WeightsFile));
        File.Copy(Path.Combine(outsideSae, SaeLensFolder.WeightsFile), Path.Combine(insideSae, SaeLensFolder.WeightsFile));
        Assert.Equal(6, (await importer.ImportSaeLensAsync(new SaeImportRequest(insideSae, model), actor)).DSae);
    }
}
