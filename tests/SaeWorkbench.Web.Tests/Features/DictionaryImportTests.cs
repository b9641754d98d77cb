using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Features;

/// <summary>Import and analysis end to end on the real host: import a SAELens folder from disk, analyse it, read its feature page.</summary>
public sealed class DictionaryImportTests
{
    private const string Password = "correct horse battery 42";

    [Fact]
    public async Task An_imported_SAELens_folder_can_be_analysed_and_browsed()
    {
        using var factory = new WorkbenchFactory();
        var (model, corpus) = TinyWorld.Create(Path.Combine(factory.DataDirectory, "world"));
        var saeFolder = Path.Combine(factory.DataDirectory, "world", "sae");
        using (NewDisposeScope())
        {
            using var gen = new Generator().manual_seed(4);
            using var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { 16, 12 }, generator: gen),
                randn(new long[] { 12 }, generator: gen) - 0.2, randn(new long[] { 12, 16 }, generator: gen), zeros(16));
            SaeLensFolder.Save(saeFolder, sae, new SaeLensMetadata { ModelName = "tiny", HookName = "blocks.1.hook_resid_post", ContextSize = 16 });
        }
        await factory.RegisterAsync("ida", Password);
        string userId;
        await using (var scope = factory.Services.CreateAsyncScope())
            userId = (await scope.ServiceProvider.GetRequiredService<UserManager<WorkbenchUser>>().FindByNameAsync("ida"))!.Id;
        var actor = new Actor(userId, "ida", Role.Labeler);
        var importer = factory.Services.GetRequiredService<DictionaryImporter>();

        // Outside the host's roots (content root, data directory) nothing is read.
        var outside = await Assert.ThrowsAsync<ImportValidationException>(() => importer.ImportSaeLensAsync(new("/proc", model), actor));
        Assert.Equal($"SAE folder: {SaeWorkbench.Research.Settings.ServerPathPolicy.Refusal}.", outside.Errors.Single());

        var dictionary = await importer.ImportSaeLensAsync(new(saeFolder, model, "imported tiny"), actor);
        Assert.Equal(12, dictionary.DSae);

        var jobs = factory.Services.GetRequiredService<JobService>();
        var job = await jobs.EnqueueAsync(FeatureAnalysisJob.KindName,
            System.Text.Json.JsonSerializer.Serialize(new { dictionaryId = dictionary.Id, corpus, tokens = 3000 }), userId);
        var sw = Stopwatch.StartNew();
        while (!(await jobs.GetAsync(job.Id))!.IsFinished && sw.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);
        var done = (await jobs.GetAsync(job.Id))!;
        Assert.True(done.State == JobState.Succeeded, done.Message);

        var client = factory.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(client, "ida", Password)).StatusCode);
        var list = await client.GetStringAsync("/dictionaries");
        Assert.Contains("imported tiny", list);
        // The analysis measured what an imported dictionary has no other source for, and the table shows it.
        var registered = (await factory.Services.GetRequiredService<SaeWorkbench.Research.Dictionaries.DictionaryRegistry>().ListAsync())
            .Single(d => d.Id == dictionary.Id);
        using (var metrics = System.Text.Json.JsonDocument.Parse(registered.MetricsJson))
        {
            var m = metrics.RootElement;
            Assert.InRange(m.GetProperty("l0").GetDouble(), 0, 12);
            Assert.True(double.IsFinite(m.GetProperty("explained_variance").GetDouble()));
            Assert.True(double.IsFinite(m.GetProperty("ce_loss_recovered").GetDouble()));
            Assert.True(m.GetProperty(FeatureAnalysisJob.MetricsAnalysisKey).GetInt64() > 0);
            Assert.Matches($"data-testid=\"dictionary-l0\"[^>]*>{System.Text.RegularExpressions.Regex.Escape(m.GetProperty("l0").GetDouble().ToString("F1"))}<", list);
        }
        Assert.DoesNotContain("not measured yet", list);
        Assert.DoesNotContain("not analysed yet", list);
        Assert.Contains("data-testid=\"import-panel\"", list);
        var catalog = factory.Services.GetRequiredService<SaeWorkbench.Research.Features.FeatureCatalog>();
        var top = (await catalog.QueryAsync(dictionary.Id, new() { Dead = false, Sort = SaeWorkbench.Research.Features.FeatureSort.MaxActivation, Descending = true })).Rows[0];
        var page = await client.GetStringAsync($"/dictionaries/{dictionary.Id}/features/{top.Index}");
        Assert.Contains("data-testid=\"top-examples\"", page);
        Assert.Contains("class=\"tok peak\"", page);
    }
}
