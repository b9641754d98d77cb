using System.Net;
using System.Net.Http.Json;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Jobs that would exhaust a runner are refused before they are queued, with the numbers: training and analysis
/// parameters have upper bounds, memory and work are estimated from the model's sizes, and the stored parameter blob
/// has a size cap. Attacks by a Labeler through POST /api/jobs.
/// </summary>
public sealed class TrainingBoundsTests : IAsyncLifetime
{
    // A fixed memory limit, so the test does not depend on the machine it runs on.
    private readonly SecurityHost _h = new(("Workbench:Jobs:Limits:MaxMemoryGiB", "8"));
    private ApiUser _labeler = null!;
    private string _model = "";
    private string _corpus = "";

    public async Task InitializeAsync()
    {
        await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _labeler = await _h.UserAsync("lena", WorkbenchRoles.Labeler);
        (_model, _corpus) = TinyWorld.Create(Path.Combine(_h.Roots, "world"));
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<string> RefusedAsync(string kind, object parameters)
    {
        var before = await _h.FingerprintAsync();
        var response = await _labeler.Client.PostAsJsonAsync("/api/jobs", new { kind, parameters });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await SecurityHost.ProblemTextAsync(response);
        Assert.Equal(before, await _h.FingerprintAsync());
        return text;
    }

    private object Training(int bufferTokens = 1024, long tokens = 4096, int latents = 16, int batchSize = 256) => new
    {
        model = _model, corpus = _corpus, hook = "blocks.0.hook_resid_post", latents, k = 2, tokens, batchSize, bufferTokens,
    };

    [Fact]
    public async Task A_two_billion_token_buffer_is_refused_with_the_memory_it_would_need()
    {
        var text = await RefusedAsync("sae-train", Training(bufferTokens: int.MaxValue));
        // 2,147,483,647 tokens × d_in 16 × 4 bytes ≈ 137 GB for the buffer alone.
        Assert.Contains("bufferTokens: bufferTokens 2,147,483,647", text);
        Assert.Contains("needs ~137.", text);
        Assert.Contains("GB of memory, more than the limit of 8.6 GB", text);
    }

    [Fact]
    public async Task A_quadrillion_training_tokens_are_refused_with_the_work_and_time_they_would_need()
    {
        var text = await RefusedAsync("sae-train", Training(tokens: 1_000_000_000_000_000));
        Assert.Contains("tokens: 1,000,000,000,000,000 is more than the limit of 10,000,000,000", text);
        // ≈ 17,000 FLOP per token of this tiny model (2 per weight but the token embedding) and SAE: 1.7e19 FLOP, about 200 days at 1 TFLOP/s.
        Assert.Contains("tokens: training 1,000,000,000,000,000 tokens with 16 latents needs ~1.7e19 FLOP (about 200 days at 1 TFLOP/s), " +
                        "more than the limit of 1.0e18 FLOP", text);
    }

    [Fact]
    public async Task Huge_latent_counts_and_batches_are_refused_by_their_memory()
    {
        var text = await RefusedAsync("sae-train", Training(latents: 1 << 20, batchSize: 1 << 20, tokens: 1 << 20));
        Assert.Contains("latents: training 1,048,576 latents on d_in 16 with batchSize 1,048,576 needs ~", text);
        Assert.Contains("TB of memory", text);
    }

    [Fact]
    public async Task An_analysis_whose_batches_would_not_fit_in_memory_is_refused()
    {
        long dictionaryId;
        await using (var db = _h.Db())
        {
            var d = new SaeDictionary
            {
                Name = "wide", ModelName = "tiny", HookName = "blocks.0.hook_resid_post", Architecture = "relu", DIn = 16, DSae = 1 << 20,
                SaePath = Path.Combine(_h.Roots, "none"), ModelPath = _model,
            };
            db.Dictionaries.Add(d);
            await db.SaveChangesAsync();
            dictionaryId = d.Id;
        }
        var text = await RefusedAsync("sae-analyze", new { dictionaryId, corpus = _corpus, tokens = 1000, windowsPerBatch = 4096 });
        Assert.Contains("windowsPerBatch: 4096 windows of 32 tokens × 1,048,576 latents needs ~", text);
        var tooMany = await RefusedAsync("sae-analyze", new { dictionaryId, corpus = _corpus, tokens = 100_000_000_000L });
        Assert.Contains("tokens: must be from 1 to 10,000,000,000", tooMany);
    }

    [Fact]
    public async Task A_ten_megabyte_parameter_blob_is_refused_and_not_stored()
    {
        var text = await RefusedAsync("self-check", new { size = 128, padding = new string('x', 10_000_000) });
        Assert.Contains("parameters: 10.0 MB is more than the limit of 65.5 kB", text);
    }

    [Fact]
    public void A_small_training_run_passes_every_estimate()
    {
        var training = _h.Get<IEnumerable<SaeWorkbench.Research.Jobs.IJobKind>>().Single(k => k.Name == "sae-train");
        Assert.Empty(training.Validate(System.Text.Json.JsonSerializer.SerializeToElement(Training())));
    }
}
