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
