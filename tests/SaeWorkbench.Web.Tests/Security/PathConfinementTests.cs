using System.Net;
using System.Net.Http.Json;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Tests.Labelling;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Every path a user names through the server (job parameters, model folders) must resolve, links followed, inside
/// Workbench:ImportRoots; anything else is refused with one sentence that does not say whether the path exists, and
/// nothing is queued. Attacks by a Labeler through POST /api/jobs.
/// </summary>
public sealed class PathConfinementTests : IAsyncLifetime
{
    private readonly SecurityHost _h = new();
    private ApiUser _labeler = null!;
    private string _corpus = "";
    private string _model = "";
    private string _outsideCorpus = "";
    private string _outsideModel = "";

    public async Task InitializeAsync()
    {
        await _h.UserAsync("admin", WorkbenchRoles.Admin);
        _labeler = await _h.UserAsync("lena", WorkbenchRoles.Labeler);
        (_model, _corpus) = TinyWorld.Create(Path.Combine(_h.Roots, "world"));
        (_outsideModel, _outsideCorpus) = TinyWorld.Create(Path.Combine(_h.Outside, "world"));
        File.WriteAllText(Path.Combine(_outsideCorpus, "secret.txt"), "the launch code is 0000");
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Errors)> QueueAsync(string kind, object parameters)
    {
        var response = await _labeler.Client.PostAsJsonAsync("/api/jobs", new { kind, parameters });
        var text = response.StatusCode == HttpStatusCode.BadRequest ? await SecurityHost.ProblemTextAsync(response) : await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text);
    }

    private Task<(HttpStatusCode Status, string Errors)> AnalyzeAsync(string corpus) =>
        QueueAsync("sae-analyze", new { dictionaryId = 1, corpus, tokens = 1000 });

    private Task<(HttpStatusCode Status, string Errors)> TrainAsync(string model, string corpus) =>
        QueueAsync("sae-train", new { model, corpus, hook = "blocks.0.hook_resid_post", latents = 16, k = 2, tokens = 4096, batchSize = 256, bufferTokens = 1024 });

    [Fact]
    public async Task A_corpus_outside_the_roots_is_refused_with_the_same_words_as_a_missing_one_and_nothing_is_queued()
    {
        var before = await _h.FingerprintAsync();
        var existing = await AnalyzeAsync(_outsideCorpus);
        var missing = await AnalyzeAsync(Path.Combine(_h.Outside, "no-such-folder"));
        var etc = await AnalyzeAsync("/etc");
        var noEtc = await AnalyzeAsync("/etc-there-is-no-such-folder");
        var climbing = await AnalyzeAsync(Path.Combine(_h.Roots, "..", "outside", "world", "corpus"));
        var missingInside = await AnalyzeAsync(Path.Combine(_h.Roots, "no-such-folder"));

        var expected = $"job: corpus: {ServerPathPolicy.Refusal}";
        foreach (var answer in new[] { existing, missing, etc, noEtc, climbing, missingInside })
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.Equal(expected, answer.Errors);
        }
        Assert.Equal(before, await _h.FingerprintAsync());
    }

    [Fact]
    public async Task A_link_inside_the_roots_that_leads_outside_is_refused_for_folders_and_for_files_under_them()
    {
        var linkedFolder = Path.Combine(_h.Roots, "linked-corpus");
        Directory.CreateSymbolicLink(linkedFolder, _outsideCorpus);
        var linkedModel = Path.Combine(_h.Roots, "linked-model");
        Directory.CreateSymbolicLink(linkedModel, _outsideModel);
        // A real folder inside the roots holding one file that links out.
        var mixed = Directory.CreateDirectory(Path.Combine(_h.Roots, "mixed")).FullName;
        File.WriteAllText(Path.Combine(mixed, "fine.txt"), "the president spoke");
        File.CreateSymbolicLink(Path.Combine(mixed, "leak.txt"), Path.Combine(_outsideCorpus, "secret.txt"));
        // A link to a folder inside the roots whose path climbs back out (a/../../outside).
        Directory.CreateDirectory(Path.Combine(_h.Roots, "a"));
        Directory.CreateSymbolicLink(Path.Combine(_h.Roots, "hop"), Path.Combine("a", "..", "..", "outside", "world", "corpus"));
        var before = await _h.FingerprintAsync();

        Assert.Equal((HttpStatusCode.BadRequest, $"job: corpus: {ServerPathPolicy.Refusal}"), await AnalyzeAsync(linkedFolder));
        Assert.Equal((HttpStatusCode.BadRequest, $"job: corpus: {ServerPathPolicy.Refusal}"), await AnalyzeAsync(Path.Combine(_h.Roots, "hop")));
        var leak = await AnalyzeAsync(mixed);
        Assert.Equal(HttpStatusCode.BadRequest, leak.Status);
        Assert.Contains("'leak.txt' is a link that leads outside the import roots", leak.Errors);

        var model = await TrainAsync(linkedModel, _corpus);
        Assert.Equal(HttpStatusCode.BadRequest, model.Status);
        Assert.Equal($"job: model: {ServerPathPolicy.Refusal}", model.Errors);
        var both = await TrainAsync("/etc", "/etc");
        Assert.Equal($"job: model: {ServerPathPolicy.Refusal}\njob: corpus: {ServerPathPolicy.Refusal}", both.Errors);
        Assert.Equal(both, await TrainAsync("/no/such/model", "/no/such/corpus"));
        Assert.Equal(before, await _h.FingerprintAsync());
    }

    [Fact]
    public async Task Folders_inside_the_roots_are_accepted_and_a_link_that_stays_inside_is_followed()
    {
        Directory.CreateSymbolicLink(Path.Combine(_h.Roots, "corpus-alias"), _corpus);
        var training = _h.Get<IEnumerable<SaeWorkbench.Research.Jobs.IJobKind>>().Single(k => k.Name == SaeTrainingJob.KindName);
        var parameters = System.Text.Json.JsonSerializer.SerializeToElement(new
        {
            model = _model, corpus = Path.Combine(_h.Roots, "corpus-alias"), hook = "blocks.0.hook_resid_post", latents = 16, k = 2,
            tokens = 4096, batchSize = 256, bufferTokens = 1024,
        });
        Assert.Empty(training.Validate(parameters));
        // Through the API a valid corpus is queued; the job then fails at run time (there is no dictionary 1), and the
        // test waits for it so that no job thread outlives the host.
        var queued = await _labeler.Client.PostAsJsonAsync("/api/jobs", new { kind = "sae-analyze", parameters = new { dictionaryId = 1, corpus = _corpus, tokens = 1000 } });
        Assert.Equal(HttpStatusCode.Created, queued.StatusCode);
        var id = (await queued.Content.ReadFromJsonAsync<SaeWorkbench.Research.Events.JobSnapshot>())!.Id;
        var jobs = _h.Get<SaeWorkbench.Research.Jobs.JobService>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(await jobs.GetAsync(id))!.IsFinished && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.Contains("there is no dictionary #1", (await jobs.GetAsync(id))!.Message);
    }

    [Fact]
    public void The_model_folder_check_of_the_training_form_answers_the_same_for_etc_and_for_a_missing_folder()
    {
        var models = _h.Get<ModelFolders>();
        var etc = models.Describe("/etc");
        var missing = models.Describe("/etc-there-is-no-such-folder");
        Assert.Equal($"Model folder: {ServerPathPolicy.Refusal}.", etc.Error);
        Assert.Equal(etc.Error, missing.Error);
        Assert.Equal(etc.Error, models.Describe(_outsideModel).Error);
        Assert.Null(models.Describe(_model).Error);
    }
}
