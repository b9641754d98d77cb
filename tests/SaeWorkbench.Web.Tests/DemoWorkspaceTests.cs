using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Research.Demo;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Jobs;

namespace SaeWorkbench.Web.Tests;

public sealed class DemoWorkspaceTests
{
    private sealed class SeedingFactory(string dataDirectory, string demoModel) : WorkbenchFactory(dataDirectory)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Workbench:SeedDemo", "true");
            builder.UseSetting("Workbench:DemoModel", demoModel);
            builder.UseSetting("Workbench:Jobs:RunnerEnabled", "false");
        }
    }

    [Fact]
    public async Task First_start_queues_the_demo_dictionary_once()
    {
        var data = Directory.CreateTempSubdirectory("wb-demo-").FullName;
        try
        {
            var (model, corpus) = TinyWorld.Create(Path.Combine(data, "world"));
            var sotu = DemoCorpus.FolderUnder(data);
            Directory.CreateDirectory(sotu);
            foreach (var f in Directory.GetFiles(corpus)) File.Copy(f, Path.Combine(sotu, Path.GetFileName(f)));
            File.WriteAllText(Path.Combine(sotu, DemoCorpus.SourceFile), JsonSerializer.Serialize(
                new DemoCorpusSource(DemoCorpus.Package, DemoCorpus.Version, "test", Directory.GetFiles(sotu, "*.txt").Length, DateTimeOffset.UtcNow)));

            using (var first = new SeedingFactory(data, model))
            {
                var jobs = await first.Services.GetRequiredService<JobService>().ListAsync();
                var job = Assert.Single(jobs);
                Assert.Equal(SaeTrainingJob.KindName, job.Kind);
                using var p = JsonDocument.Parse(job.ParametersJson);
                Assert.Equal("blocks.1.hook_resid_post", p.RootElement.GetProperty("hook").GetString());
                Assert.Equal(4096, p.RootElement.GetProperty("latents").GetInt32());
                Assert.Equal(32, p.RootElement.GetProperty("k").GetInt32());
                Assert.Equal(DemoWorkspace.DictionaryName, p.RootElement.GetProperty("name").GetString());
            }
            using var second = new SeedingFactory(data, model);
            Assert.Single(await second.Services.GetRequiredService<JobService>().ListAsync());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, true);
        }
    }

    [Fact]
    public async Task While_the_demo_trains_the_pages_link_its_job_and_once_ready_the_home_page_says_what_to_do_next()
    {
        var data = Directory.CreateTempSubdirectory("wb-demo-").FullName;
        try
        {
            var (model, corpus) = TinyWorld.Create(Path.Combine(data, "world"));
            SeedCorpus(data, corpus);
            using var factory = new SeedingFactory(data, model);
            var job = Assert.Single(await factory.Services.GetRequiredService<JobService>().ListAsync());
            await factory.RegisterAsync("grace", "correct horse battery 42");
            var client = factory.CreateBrowserlikeClient();
            await WorkbenchFactory.LoginAsync(client, "grace", "correct horse battery 42");

            var dictionaries = await client.GetStringAsync("/dictionaries");
            Assert.Contains("data-testid=\"demo-training\"", dictionaries);
            Assert.Contains($"href=\"jobs/{job.Id}\"", dictionaries);
            Assert.DoesNotContain("No dictionaries yet", dictionaries);
            Assert.Contains("The demo dictionary is training", await client.GetStringAsync("/"));

            // The job finished and registered dictionary 7 (its analysis done too): the home page lists the next steps.
            await using (var scope = factory.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<SaeWorkbench.Data.WorkbenchDbContext>();
                var row = await db.Jobs.FindAsync(job.Id);
                row!.State = SaeWorkbench.Data.Jobs.JobState.Succeeded;
                row.ResultJson = "{\"dictionaryId\":7,\"analysisJobId\":null}";
                await db.SaveChangesAsync();
            }
            var status = await factory.Services.GetRequiredService<DemoWorkspace>().StatusAsync();
            Assert.Equal(new DemoStatus(DemoStage.Ready, job.Id, 1, 7), status);
            var home = await client.GetStringAsync("/");
            Assert.Contains("data-testid=\"demo-next-steps\"", home);
            Assert.Contains("href=\"dictionaries/7/features?sort=density&amp;desc=true&amp;dead=false\"", home);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, true);
        }
    }

    private static void SeedCorpus(string data, string corpus)
    {
        var sotu = DemoCorpus.FolderUnder(data);
        Directory.CreateDirectory(sotu);
        foreach (var f in Directory.GetFiles(corpus)) File.Copy(f, Path.Combine(sotu, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(sotu, DemoCorpus.SourceFile), JsonSerializer.Serialize(
            new DemoCorpusSource(DemoCorpus.Package, DemoCorpus.Version, "test", Directory.GetFiles(sotu, "*.txt").Length, DateTimeOffset.UtcNow)));
    }

    [Fact]
    public async Task Without_the_demo_model_nothing_is_seeded()
    {
        var data = Directory.CreateTempSubdirectory("wb-demo-").FullName;
        try
        {
            using var factory = new SeedingFactory(data, Path.Combine(data, "no-model"));
            Assert.Empty(await factory.Services.GetRequiredService<JobService>().ListAsync());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, true);
        }
    }
}
