using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Web.Tests.Labelling;
using static TorchSharp.torch;

namespace SaeWorkbench.Web.Tests.Export;

/// <summary>Bundles over HTTP: who may export, download and import, and the export job end to end.</summary>
public sealed class ExportApiTests : IAsyncLifetime
{
    private readonly LabellingHarness _h = new();
    private ApiUser _admin = null!, _reviewer = null!, _labeler = null!, _viewer = null!;
    private long _dictionaryId;
    private readonly string _saes = Directory.CreateTempSubdirectory("wb-export-api-").FullName;

    public async Task InitializeAsync()
    {
        _admin = await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _reviewer = await _h.UserAsync("rita", WorkbenchRoles.Reviewer);
        _labeler = await _h.UserAsync("ann", WorkbenchRoles.Labeler);
        _viewer = await _h.UserAsync("vic", WorkbenchRoles.Viewer);
        var folder = Path.Combine(_saes, "sae");
        using (var g = new TorchSharp.torch.Generator(3))
        using (var sae = new SparseAutoencoder(SaeArchitecture.Relu, 0, randn([4, 5], generator: g), zeros(5), randn([5, 4], generator: g), zeros(4), null))
            SaeLensFolder.Save(folder, sae, new SaeLensMetadata { ModelName = "m", HookName = "blocks.0.hook_resid_post" });
        _dictionaryId = (await _h.Host.Services.GetRequiredService<DictionaryRegistry>().RegisterAsync(folder, "api-sae", null, "{}", "{}", 10, null, _admin.Id)).Id;
    }

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        try { Directory.Delete(_saes, true); } catch (IOException) { }
    }

    private async Task<string> FingerprintAsync()
    {
        await using var db = _h.Db();
        return await _h.FingerprintAsync() + $"#{db.Dictionaries.Count()}:{db.Latents.Count()}:{db.Users.Count()}";
    }

    private async Task<JobSnapshot> FinishedAsync(long jobId)
    {
        var jobs = _h.Host.Services.GetRequiredService<JobService>();
        for (var i = 0; i < 300; i++)
        {
            var job = await jobs.GetAsync(jobId);
            if (job!.IsFinished) return job;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {jobId} did not finish");
    }

    [Fact]
    public async Task Reviewers_export_and_download_admins_import_idempotently_and_the_others_are_refused()
    {
        // Labelers and Viewers cannot export — not through /api/exports, and not by queueing an "export" job directly.
        Assert.Equal(HttpStatusCode.Forbidden, (await _labeler.Client.PostAsJsonAsync("/api/exports", new { dictionaryId = _dictionaryId })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _viewer.Client.PostAsJsonAsync("/api/exports", new { dictionaryId = _dictionaryId })).StatusCode);
        var sneaky = await _labeler.Client.PostAsJsonAsync("/api/jobs", new { kind = "export", parameters = new { dictionaryId = _dictionaryId } });
        Assert.Equal(HttpStatusCode.Created, sneaky.StatusCode);
        var refused = await FinishedAsync((await sneaky.Content.ReadFromJsonAsync<JobSnapshot>())!.Id);
        Assert.Equal(SaeWorkbench.Data.Jobs.JobState.Failed, refused.State);
        Assert.Contains("cannot export", refused.Message);
        Assert.Equal(HttpStatusCode.Conflict, (await _reviewer.Client.GetAsync($"/api/exports/{refused.Id}/download")).StatusCode);

        // Bad parameters are refused before a job exists.
        Assert.Equal(HttpStatusCode.BadRequest, (await _reviewer.Client.PostAsJsonAsync("/api/exports", new { dictionaryId = _dictionaryId, only = "some" })).StatusCode);

        var created = await _reviewer.Client.PostAsJsonAsync("/api/exports", new { dictionaryId = _dictionaryId, only = "all", pseudonymise = true });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var job = await FinishedAsync((await created.Content.ReadFromJsonAsync<JobSnapshot>())!.Id);
        Assert.Equal(SaeWorkbench.Data.Jobs.JobState.Succeeded, job.State);
        Assert.Equal(5, JsonDocument.Parse(job.ResultJson!).RootElement.GetProperty("latents").GetInt32());

        Assert.Equal(HttpStatusCode.Forbidden, (await _viewer.Client.GetAsync($"/api/exports/{job.Id}/download")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _labeler.Client.GetAsync($"/api/exports/{job.Id}/download")).StatusCode);
        var download = await _reviewer.Client.GetAsync($"/api/exports/{job.Id}/download");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/zip", download.Content.Headers.ContentType!.MediaType);
        var zip = await download.Content.ReadAsByteArrayAsync();
        var listed = await _reviewer.Client.GetFromJsonAsync<List<JobSnapshot>>("/api/exports");
        Assert.All(listed!, j => Assert.Equal("export", j.Kind));

        static ByteArrayContent Zip(byte[] bytes)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            return content;
        }
        Assert.Equal(HttpStatusCode.Forbidden, (await _reviewer.Client.PostAsync("/api/imports", Zip(zip))).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _admin.Client.PostAsync("/api/imports", new ByteArrayContent(zip))).StatusCode);
        var before = await FingerprintAsync();
        var truncated = await _admin.Client.PostAsync("/api/imports", Zip(zip[..(zip.Length / 2)]));
        Assert.Equal(HttpStatusCode.BadRequest, truncated.StatusCode);
        Assert.Contains("truncated or corrupt", await truncated.Content.ReadAsStringAsync());
        Assert.Equal(before, await FingerprintAsync());

        var imported = await _admin.Client.PostAsync("/api/imports", Zip(zip));
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var again = await _admin.Client.PostAsync("/api/imports", Zip(zip));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var first = JsonDocument.Parse(await imported.Content.ReadAsStringAsync()).RootElement;
        var second = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(first.GetProperty("dictionaryId").GetInt64(), second.GetProperty("dictionaryId").GetInt64());
        Assert.False(second.GetProperty("created").GetBoolean());
    }
}
