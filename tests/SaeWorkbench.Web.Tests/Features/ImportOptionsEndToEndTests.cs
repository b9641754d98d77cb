extern alias cli;

using System.Net;
using System.Text.Json.Nodes;
using cli::SaeWorkbench.Cli;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary>
/// A dictionary that needs the import options of <c>sae encode</c>, imported on the real host: refused without them,
/// and with them every later load (here the test-text service on the model host) computes what <c>sae encode</c>
/// computes with the same options; the model-name override is recorded and shown on the Dictionaries page.
/// </summary>
public sealed class ImportOptionsEndToEndTests
{
    private const string Password = "correct horse battery 42";
    private const string Hook = "blocks.1.hook_resid_post";

    [Fact]
    public async Task A_dictionary_imported_with_options_tests_text_as_sae_encode_computes_with_the_same_options()
    {
        using var factory = new WorkbenchFactory();
        var world = Path.Combine(factory.DataDirectory, "world");
        var (model, _) = TinyWorld.Create(world);
        // The model folder records the id it was saved from, so the dictionary's model name ("tiny") is checked against it.
        var configPath = Path.Combine(model, HuggingFaceModels.ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["_name_or_path"] = "acme/tiny-world";
        File.WriteAllText(configPath, config.ToJsonString());
        var saeFolder = Path.Combine(world, "sae");
        using (NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(4);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 12 }, generator: gen),
                randn(new long[] { 12 }, generator: gen) - 0.2, randn(new long[] { 12, 16 }, generator: gen), randn(new long[] { 16 }, generator: gen));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = Hook, ContextSize = 16 });
        }
        var cfgPath = Path.Combine(saeFolder, SaeLensFolder.ConfigFile);
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath))!.AsObject();
        cfg["normalize_activations"] = "expected_average_only_in";
        File.WriteAllText(cfgPath, cfg.ToJsonString());

        await factory.RegisterAsync("ida", Password);
        string userId;
        await using (var scope = factory.Services.CreateAsyncScope())
            userId = (await scope.ServiceProvider.GetRequiredService<UserManager<WorkbenchUser>>().FindByNameAsync("ida"))!.Id;
        var actor = new Actor(userId, "ida", Role.Labeler);
        var importer = factory.Services.GetRequiredService<DictionaryImporter>();

        var noFactor = await Assert.ThrowsAsync<ImportValidationException>(() => importer.ImportSaeLensAsync(new(saeFolder, model), actor));
        Assert.Contains(noFactor.Errors, e => e.Contains("normScalingFactor"));
        var otherModel = await Assert.ThrowsAsync<ImportValidationException>(() =>
            importer.ImportSaeLensAsync(new(saeFolder, model, NormScalingFactor: 2.5), actor));
        Assert.Contains(otherModel.Errors, e => e.Contains("trained on model 'tiny'") && e.Contains("'acme/tiny-world'"));

        var dictionary = await importer.ImportSaeLensAsync(
            new(saeFolder, model, "scaled", CentreWritingWeights: true, NormScalingFactor: 2.5, ImportDespiteModelMismatch: true), actor);

        // What the host computes for a text, latent by latent.
        const string text = "the president spoke to the nation about the budget";
        var service = factory.Services.GetRequiredService<TestTextService>();
        var hosted = new List<TestTextToken>[12];
        for (var l = 0; l < 12; l++)
            hosted[l] = [.. (await service.RunAsync(dictionary.Id, text, new TestTextOptions { Latent = l, Count = 1, IgnoreBos = false })).Tokens];

        // What `sae encode` computes with the same options on the model's activations at the hook for the same tokens.
        var dir = Path.Combine(factory.DataDirectory, "encode");
        Directory.CreateDirectory(dir);
        var input = Path.Combine(dir, "in.safetensors");
        var output = Path.Combine(dir, "out.safetensors");
        using (var lm = HuggingFaceModels.Load(model))
        using (NewDisposeScope())
        using (no_grad())
        {
            long[] ids = [lm.Model.BosTokenId, .. lm.Tokenizer.Encode(text).Select(i => (long)i)];
            var acts = lm.Model.RunToHook(tensor(ids, new long[] { 1, ids.Length }), Hook)[0].to(ScalarType.Float32).contiguous();
            Safetensors.Save(input, new Dictionary<string, Tensor> { ["activations"] = acts });
        }
        Assert.NotEqual(0, SaeCommandLine.Build().Parse(["encode", "--sae", saeFolder, "--activations", input, "--out", Path.Combine(dir, "x.safetensors")]).Invoke());
        Assert.Equal(0, SaeCommandLine.Build().Parse(["encode", "--sae", saeFolder, "--activations", input, "--out", output,
            "--norm-scaling-factor", "2.5", "--center-writing-weights", "true"]).Invoke());
        var encoded = Safetensors.Load(output);
        try
        {
            var want = encoded["feature_acts"];
            Assert.Equal(hosted[0].Count, (int)want.shape[0]);
            var fired = 0;
            for (var l = 0; l < 12; l++)
                foreach (var token in hosted[l])
                {
                    var w = want[token.Position, l].item<float>();
                    if (w > 0) fired++;
                    Assert.True(Math.Abs(w - token.LatentActivation!.Value) <= 1e-4f * Math.Max(1f, Math.Abs(w)),
                        $"latent {l} at position {token.Position}: sae encode {w}, host {token.LatentActivation}");
                }
            Assert.True(fired > 0, "no latent fired, so the comparison proves little");
        }
        finally
        {
            foreach (var t in encoded.Values) t.Dispose();
        }

        // The Dictionaries page lists the options and the override among what was folded or transformed.
        var client = factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "ida", Password)).StatusCode);
        var list = WebUtility.HtmlDecode(await client.GetStringAsync("/dictionaries"));
        Assert.Contains("Import options: center_writing_weights on, norm scaling factor 2.5", list);
        Assert.Contains("Imported anyway: the model differs. The dictionary's config names model 'tiny'", list);
        Assert.Contains("data-testid=\"import-norm-scaling-factor\"", list);
        Assert.Contains("data-testid=\"import-despite-model\"", list);
    }
}
