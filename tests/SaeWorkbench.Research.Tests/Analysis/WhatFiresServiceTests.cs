using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Tests.Crowd;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Analysis;

/// <summary>"Which latents fire on this text" on a tiny real GPT-2 folder and a random SAE registered in a crowd database.</summary>
public sealed class WhatFiresServiceTests
{
    private const string Hook = "blocks.0.hook_resid_post";

    /// <summary>The crowd database with a runnable dictionary whose every latent carries the consensus label "label {index}".</summary>
    private static async Task<(CrowdDatabase Crowd, long DictionaryId)> ArrangeAsync()
    {
        var s = await CrowdDatabase.StartAsync();
        var root = Directory.CreateTempSubdirectory("wb-whatfires-").FullName;
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran in the park"], 280);
        manual_seed(3);
        using (var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId)))
            HuggingFaceGpt2.Save(model, Path.Combine(root, "model"), tokenizer);
        using (NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(4);
            // A positive bias: every latent fires somewhere on any text.
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 8, 6 }, generator: gen),
                rand(new long[] { 6 }, generator: gen) + 0.5, randn(new long[] { 6, 8 }, generator: gen), zeros(8));
            SaeLensFolder.Save(Path.Combine(root, "sae"), sae, new SaeLensMetadata { ModelName = "tiny", HookName = Hook, ContextSize = 16 });
        }
        var dictionary = await new DictionaryRegistry(s.Factory).RegisterAsync(Path.Combine(root, "sae"), "tiny", Path.Combine(root, "model"), "{}", "{}", 0, null, null);
        await using var db = s.Db();
        foreach (var latent in db.Latents.Where(l => l.DictionaryId == dictionary.Id))
        {
            latent.ConsensusLabel = $"label {latent.Index}";
            latent.LabelStatus = SaeWorkbench.Data.Dictionaries.LabelStatus.Accepted;
        }
        await db.SaveChangesAsync();
        return (s, dictionary.Id);
    }

    [Fact]
    public async Task Each_token_lists_its_strongest_latents_with_their_labels()
    {
        var (s, dictionaryId) = await ArrangeAsync();
        await using var _ = s;

        var result = await s.Get<WhatFiresService>().RunAsync(s.Viewer, dictionaryId, "the cat sat", perToken: 3);

        Assert.Equal("tiny", result.DictionaryName);
        Assert.Equal("⟨bos⟩", result.Tokens[0].Text);
        Assert.Equal("the·cat·sat", string.Concat(result.Tokens.Skip(1).Select(t => t.Text)));
        Assert.All(result.Tokens.Skip(1), t =>
        {
            Assert.InRange(t.Latents.Count, 1, 3);
            Assert.Equal(t.Latents.OrderByDescending(l => l.Activation).Select(l => l.Index), t.Latents.Select(l => l.Index));
            Assert.All(t.Latents, l => Assert.Equal($"label {l.Index}", l.Label));
        });
        Assert.NotEmpty(result.OverText);
    }

    [Fact]
    public async Task Blind_mode_hides_the_labels_a_labeller_may_not_see_and_shows_them_to_a_reviewer()
    {
        var (s, dictionaryId) = await ArrangeAsync();
        await using var _ = s;
        var blind = await s.Queue.CreateScopeAsync(s.Reviewer, new ScopeRequest(dictionaryId, "blind", "Dictionary", null, true, 1, 15));
        Assert.True(blind.Succeeded);
        var ann = s.Labellers[0];
        var service = s.Get<WhatFiresService>();
        var first = await service.RunAsync(ann, dictionaryId, "the cat sat", perToken: 6);
        var own = first.OverText[0].Index;
        await using (var db = s.Db())
        {
            var latentId = db.Latents.Single(l => l.DictionaryId == dictionaryId && l.Index == own).Id;
            await s.Labelling.CreateInterpretationAsync(ann, latentId, new InterpretationDraft("my own", "", 3, "entity"));
        }

        var labeller = await service.RunAsync(ann, dictionaryId, "the cat sat", perToken: 6);
        var reviewer = await service.RunAsync(s.Reviewer, dictionaryId, "the cat sat", perToken: 6);

        // Writing an interpretation recomputes that latent's consensus: the labeller now sees whatever the reviewer sees there.
        var ownLabel = reviewer.OverText.Single(l => l.Index == own).Label;
        Assert.All(first.Tokens.SelectMany(t => t.Latents), l => Assert.Null(l.Label));
        Assert.All(labeller.Tokens.SelectMany(t => t.Latents), l => Assert.Equal(l.Index == own ? ownLabel : null, l.Label));
        Assert.All(reviewer.Tokens.SelectMany(t => t.Latents).Where(l => l.Index != own), l => Assert.Equal($"label {l.Index}", l.Label));
        Assert.Contains(labeller.OverText, l => l.Index == own && l.Status == reviewer.OverText.Single(r => r.Index == own).Status);
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_the_field_before_the_model_runs()
    {
        var (s, dictionaryId) = await ArrangeAsync();
        await using var _ = s;
        var service = s.Get<WhatFiresService>();

        Assert.StartsWith("text:", (await Assert.ThrowsAsync<ArgumentException>(() => service.RunAsync(s.Viewer, dictionaryId, "  "))).Message);
        Assert.StartsWith("text:", (await Assert.ThrowsAsync<ArgumentException>(() => service.RunAsync(s.Viewer, dictionaryId, new string('a', WhatFiresService.MaxTextLength + 1)))).Message);
        Assert.StartsWith("perToken:", (await Assert.ThrowsAsync<ArgumentException>(() => service.RunAsync(s.Viewer, dictionaryId, "the", perToken: 0))).Message);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => service.RunAsync(s.Viewer, dictionaryId + 100, "the"));
    }
}
