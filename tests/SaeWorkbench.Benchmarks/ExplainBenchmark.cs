using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Tests.Shared;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Benchmarks;

/// <summary>
/// Latents explained and scored per minute through the local-model path, and the share of the jobs' wall time the
/// explainer model is idle (sampling contexts, verifying non-activating ones with the subject model, building prompts,
/// parsing, the database). The real host runs the jobs: it first trains a small SAE on the demo model and corpus, then
/// a random Llama-family instruct model (Qwen 3's chat template; wired to answer one short explanation, so replies
/// have a realistic length) explains and scores the latents. The explainer's busy time is its inference queue's.
/// Arguments: [latents = 12] [concurrency = 1] [d_model = 256] [layers = 4] [--model folder]: with --model, a real
/// instruct model folder (Hugging Face layout, with a chat template) explains and scores instead of the random one.
/// </summary>
public sealed class ExplainBenchmark : IBenchmark
{
    public string Name => "explain";
    public string Description => "latents explained and scored per minute with a local random d=256 4-layer Llama (chat template) or --model folder, and the share of time outside the model";

    public void Run(TextWriter output, IReadOnlyList<string> args)
    {
        var at = args.ToList().IndexOf("--model");
        if (at >= 0 && at + 1 >= args.Count) throw new ArgumentException("--model: give an instruct model folder");
        var folder = at < 0 ? null : Path.GetFullPath(args[at + 1]);
        var positional = at < 0 ? args : args.Where((_, i) => i != at && i != at + 1).ToList();
        RunAsync(output, positional, folder).GetAwaiter().GetResult();
    }

    private static int Arg(IReadOnlyList<string> args, int i, int fallback) => args.Count > i && int.TryParse(args[i], out var v) ? v : fallback;

    private static async Task RunAsync(TextWriter output, IReadOnlyList<string> args, string? realModel)
    {
        var count = Arg(args, 0, 12);
        var concurrency = Arg(args, 1, 1);
        var shape = new TinyInstructShape(DModel: Arg(args, 2, 256), Layers: Arg(args, 3, 4), Heads: 8, KvHeads: 4, Mlp: 688, Context: 8192, Vocab: 2048);
        var dir = Directory.CreateTempSubdirectory("wb-explain-bench-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                ContentRootPath = ContentRootLocator.Find(), EnvironmentName = "Production",
                ApplicationName = typeof(SaeWorkbench.Web.Components.App).Assembly.GetName().Name,
            });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Workbench:DataDirectory"] = dir, ["Workbench:SeedDemo"] = "false", ["Workbench:Jobs:PollSeconds"] = "0.1",
                ["Workbench:Jobs:MaxConcurrent"] = "1", ["Logging:LogLevel:Default"] = "Warning",
                // The provider settings read their single row with FirstOrDefault, which EF Core warns about on every
                // read; the warning is about that query, not about what is measured here.
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Query"] = "Error",
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.AddWorkbench();
            await using var app = builder.Build();
            await app.PrepareWorkbenchAsync();
            app.UseWorkbench();
            await app.StartAsync();
            var jobs = app.Services.GetRequiredService<JobService>();

            var clock = Stopwatch.StartNew();
            var training = await jobs.EnqueueAsync(SaeWorkbench.Research.Dictionaries.SaeTrainingJob.KindName, JsonSerializer.Serialize(new
            {
                model = "models/demo-gpt2", corpus = "data/corpora/sotu", hook = "blocks.2.hook_resid_post", arch = "topk", latents = 256, k = 8,
                tokens = 256 * 60, batchSize = 256, bufferTokens = 4096, evalTokens = 1024, learningRate = 3e-3, analyzeTokens = 20_000,
            }), null);
            await FinishedAsync(jobs, training.Id);
            while ((await jobs.ListAsync()).Any(j => !j.IsFinished)) await Task.Delay(100); // the analysis job the training queues
            output.WriteLine($"demo dictionary (256 latents, top-k 8 on demo-gpt2 blocks.2) trained and analysed in {clock.Elapsed.TotalSeconds:F0} s");

            clock.Restart();
            var folder = realModel ?? TinyInstructModel.Create(Path.Combine(dir, "models", "bench-instruct"), shape, answer: "[EXPLANATION]: Common words in speeches about the nation.");
            // The wired random model's answer is a dozen tokens; a real model may think aloud before its answer line.
            var maxNewTokens = realModel is null ? 64 : 512;
            var providers = app.Services.GetRequiredService<ProviderSettingsService>();
            // The local explainer is a registered model, picked by its id as on the Admin page; a registration records
            // its registrant, so the benchmark's Admin is an account.
            var benchAdmin = new Actor("bench", "bench", Role.Admin);
            await using (var accountsDb = await app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<SaeWorkbench.Data.WorkbenchDbContext>>().CreateDbContextAsync())
            {
                accountsDb.Users.Add(new SaeWorkbench.Data.Accounts.WorkbenchUser { Id = "bench", UserName = "bench", NormalizedUserName = "BENCH" });
                await accountsDb.SaveChangesAsync();
            }
            var registeredModel = await app.Services.GetRequiredService<SaeWorkbench.Research.Models.ModelRegistry>()
                .RegisterAsync(new SaeWorkbench.Research.Models.ModelRegistration(folder), benchAdmin);
            var saved = await providers.UpdateAsync(benchAdmin, new ProviderSettingsInput(null, null, null,
                MaxConcurrency: concurrency, Kind: ExplanationProviderSettings.LocalKind, MaxNewTokens: maxNewTokens, RegisteredModelId: registeredModel.Id));
            if (!saved.Succeeded) throw new InvalidOperationException(saved.Validation.ToString());
            var model = (LocalChatModel)await providers.CreateChatModelAsync();
            var warm = await model.CompleteAsync(new ChatRequest([ChatMessage.User("hello")], 4));
            var queue = app.Services.GetRequiredService<ModelHost>().QueueOf(folder);
            output.WriteLine((realModel is null
                                 ? $"instruct model: random llama d={shape.DModel}, {shape.Layers} layers, {shape.Heads} heads ({shape.KvHeads} KV), mlp {shape.Mlp}, vocab {shape.Vocab}; built"
                                 : $"instruct model: {realModel}; set up") +
                             $" in {clock.Elapsed.TotalSeconds:F1} s, first request (load + {warm.PromptTokens} tokens) {queue.BusyTime.TotalSeconds:F2} s");

            var dbFactory = app.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
            await using var db = await dbFactory.CreateDbContextAsync();
            var dictionaryId = await db.Dictionaries.Select(d => d.Id).SingleAsync();
            var withIntervals = await db.Set<FeatureExample>().Where(e => e.Kind == FeatureExampleKind.Interval).Select(e => e.LatentId).Distinct().ToListAsync();
            var indices = await db.Latents.Where(l => withIntervals.Contains(l.Id) && !l.IsDead).OrderBy(l => l.Index).Take(count).Select(l => l.Index).ToListAsync();
            var list = string.Join(",", indices);
            var subjectQueue = app.Services.GetRequiredService<ModelHost>().QueueOf(app.Services.GetRequiredService<SaeWorkbench.Research.Settings.WorkbenchPaths>().Resolve("models/demo-gpt2"));
            output.WriteLine($"{indices.Count} latents with interval samples; max {concurrency} requests at once; replies up to {maxNewTokens} tokens, greedy");

            var process = Process.GetCurrentProcess();
            double totalSeconds = 0;
            foreach (var kind in new[] { ExplainJob.KindName, ScoreJob.KindName })
            {
                output.WriteLine($"{kind}: {Measure.LoadAverage()} before");
                var busy = queue.BusyTime;
                var subjectBusy = subjectQueue.BusyTime;
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                var job = await jobs.EnqueueAsync(kind, JsonSerializer.Serialize(new { dictionaryId, indices = list }), null);
                var done = await FinishedAsync(jobs, job.Id);
                var result = JsonSerializer.Deserialize<ExplanationJobResult>(done.ResultJson!, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
                process.Refresh();
                var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
                var inJob = (done.FinishedAt - done.StartedAt)?.TotalSeconds ?? wall.Elapsed.TotalSeconds;
                totalSeconds += inJob;
                var modelSeconds = (queue.BusyTime - busy).TotalSeconds;
                var subjectSeconds = (subjectQueue.BusyTime - subjectBusy).TotalSeconds;
                output.WriteLine($"{kind}: {result.Items} items ({result.Done} done, {result.Problems} problems) in {inJob:F1} s " +
                                 $"= {indices.Count / inJob * 60:F1} latents/min; {result.Calls} requests, {result.Tokens / Math.Max(1, result.Calls):N0} tokens per request, " +
                                 $"{modelSeconds / Math.Max(1, result.Calls) * 1000:F0} ms of model time per request; process CPU {cpuSeconds:F1} s");
                var outside = Math.Max(0, inJob - modelSeconds);
                output.WriteLine($"  explainer model busy {modelSeconds:F1} s; outside the explainer {outside:F1} s = {outside / inJob:P1} of the job's wall time, " +
                                 $"of which the subject model verifying silent contexts {subjectSeconds:F1} s; outside both models " +
                                 $"{Math.Max(0, outside - subjectSeconds):F1} s = {Math.Max(0, outside - subjectSeconds) / inJob:P1} (prompts, parsing, database, job bookkeeping)");
                output.WriteLine($"{kind}: {Measure.LoadAverage()} after");
            }
            output.WriteLine($"explained and scored (detection and fuzzing): {indices.Count / totalSeconds * 60:F1} latents/min ({totalSeconds:F1} s for {indices.Count})");
            await app.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    private static async Task<JobSnapshot> FinishedAsync(JobService jobs, long id)
    {
        while (true)
        {
            var job = (await jobs.GetAsync(id))!;
            if (job.IsFinished)
                return job.State == JobState.Succeeded ? job : throw new InvalidOperationException($"job {id} ({job.Kind}) {job.State}: {job.Message}");
            await Task.Delay(50);
        }
    }
}
