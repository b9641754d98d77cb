using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Models;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Inference;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Models;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Research.Tests.Crowd;
using SaeWorkbench.Tests.Shared;
using ChatMessage = SaeWorkbench.Research.Explanations.ChatMessage;

namespace SaeWorkbench.Research.Tests.Explanations;

/// <summary>Three tiny instruct model folders shared by the tests of this class (built once: each trains a tokenizer).</summary>
public sealed class TinyInstructModels : IDisposable
{
    public const string Explanation = "[EXPLANATION]: Common words in speeches about the nation.";

    public string Root { get; } = Directory.CreateTempSubdirectory("wb-local-chat-").FullName;
    public string Explainer { get; }
    public string Yes { get; }
    public string Random { get; }
    public ModelHost Host { get; } = new(SaeWorkbench.Research.Models.FixedComputeDtype.Float32);

    public TinyInstructModels()
    {
        Explainer = TinyInstructModel.Create(Path.Combine(Root, "tiny-explainer"), answer: Explanation);
        // After "[" the model prefers "1" to "0" by one logit: P(1) / (P(0) + P(1)) = 1 / (1 + e^-1).
        Yes = TinyInstructModel.Create(Path.Combine(Root, "tiny-yes"), answer: "[1]", rivals: [("[", "0", TinyInstructModel.ChainLogit - 1)]);
        Random = TinyInstructModel.Create(Path.Combine(Root, "tiny-random"), new TinyInstructShape(Context: 4096), seed: 4);
    }

    public void Dispose()
    {
        Host.Dispose();
        Directory.Delete(Root, true);
    }
}

public sealed class LocalChatModelTests(TinyInstructModels models) : IClassFixture<TinyInstructModels>
{
    private static readonly IReadOnlyList<ChatMessage> ExplainerMessages = ExplainerPrompt.Build(
    [
        new(["the", " nation", " and", " the", " peace"], [0f, 4f, 0f, 0f, 2f]),
        new(["we", " must", " defend", " the", " union"], [0f, 0f, 1f, 0f, 3f]),
    ]);

    private LocalChatModel Model(string folder, int maxNewTokens = 64, double temperature = 0, long seed = 0) =>
        new(models.Host, new LocalChatOptions { ModelFolder = folder, MaxNewTokens = maxNewTokens, Temperature = temperature, Seed = seed });

    [Fact]
    public async Task The_prompt_is_rendered_with_the_folders_chat_template_and_the_answer_ends_at_the_end_of_turn_token()
    {
        var reply = await Model(models.Explainer).CompleteAsync(new ChatRequest(ExplainerMessages, 400));

        var tokenizer = (HuggingFaceTokenizer)TokenizerFolder.Load(models.Explainer);
        var rendered = tokenizer.ChatTemplate!.Render(ExplainerMessages.Select(m => new SaeWorkbench.Ml.Lm.Tokenization.ChatMessage(m.Role, m.Content)).ToList());
        Assert.StartsWith("<|im_start|>system\n", rendered);
        Assert.EndsWith("<|im_start|>assistant\n", rendered);
        Assert.Equal(TinyInstructModels.Explanation, reply.Text);
        Assert.Equal("stop", reply.FinishReason);
        Assert.Equal(tokenizer.Encode(rendered).Length, reply.PromptTokens);
        Assert.Equal(tokenizer.Encode(TinyInstructModels.Explanation).Length + 1, reply.CompletionTokens);
        Assert.Equal("Common words in speeches about the nation.", ExplainerPrompt.Parse(reply.Text).Explanation);
        Assert.Equal("tiny-explainer", Model(models.Explainer).ModelName);
    }

    [Fact]
    public async Task The_token_limit_cuts_the_answer_and_the_cut_answer_is_reported_not_thrown()
    {
        var admin = await Model(models.Explainer, maxNewTokens: 2).CompleteAsync(new ChatRequest(ExplainerMessages, 400));
        var request = await Model(models.Explainer).CompleteAsync(new ChatRequest(ExplainerMessages, 3));

        Assert.Equal(("length", 2), (admin.FinishReason, admin.CompletionTokens));
        Assert.Equal(("length", 3), (request.FinishReason, request.CompletionTokens));
        Assert.StartsWith(request.Text, TinyInstructModels.Explanation);
        Assert.False(ExplainerPrompt.Parse(admin.Text).Succeeded);
    }

    [Fact]
    public async Task Answer_probabilities_are_read_from_the_next_token_logits_of_the_answer_tokens()
    {
        var messages = ClassifierPrompt.Detection("Words about the nation.", ["we must defend the nation"]);
        var reply = await Model(models.Yes).CompleteAsync(new ChatRequest(messages, 60, Logprobs: true));
        var parsed = ClassifierPrompt.Parse(reply.Text, 1, reply.Logprobs);

        Assert.Equal("[1]", reply.Text);
        Assert.Equal([true], parsed.Answers);
        Assert.Equal(1 / (1 + Math.Exp(-1)), parsed.Probabilities[0]!.Value, 4);
        Assert.All(reply.Logprobs!, step => Assert.Equal(LocalChatModel.TopAlternatives, step.Top.Count));
        Assert.Null(parsed.Problem);
    }

    [Fact]
    public async Task Greedy_answers_repeat_and_sampled_answers_repeat_with_their_seed()
    {
        var request = new ChatRequest(ExplainerMessages, 8);
        var greedy = await Model(models.Random).CompleteAsync(request);
        var greedyAgain = await Model(models.Random).CompleteAsync(request);
        var sampled = await Model(models.Random, temperature: 1, seed: 5).CompleteAsync(request);
        var sampledAgain = await Model(models.Random, temperature: 1, seed: 5).CompleteAsync(request);
        var otherSeed = await Model(models.Random, temperature: 1, seed: 6).CompleteAsync(request);

        Assert.Equal(greedy.Text, greedyAgain.Text);
        Assert.Equal(sampled.Text, sampledAgain.Text);
        Assert.NotEqual(sampled.Text, otherSeed.Text);
        Assert.Equal(8, greedy.CompletionTokens);
    }

    [Fact]
    public async Task A_request_cancelled_while_it_waits_on_the_models_queue_never_runs()
    {
        using var gate = new ManualResetEventSlim();
        var blocker = models.Host.RunAsync(models.Random, (_, _) => gate.Wait(TimeSpan.FromMinutes(1)));
        using var cancel = new CancellationTokenSource();
        var waiting = Model(models.Random).CompleteAsync(new ChatRequest(ExplainerMessages, 8), cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        gate.Set();
        Assert.True(await blocker);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_refused_with_the_numbers()
    {
        var folder = TinyInstructModel.Create(Path.Combine(models.Root, "tiny-short"), new TinyInstructShape(Context: 64));
        var e = await Assert.ThrowsAsync<ChatProviderException>(() => Model(folder).CompleteAsync(new ChatRequest(ExplainerMessages, 8)));
        Assert.Matches(@"^tiny-short: The prompt has [\d,]+ tokens; the model's context holds 64\.$", e.Message);
    }

    /// <summary>A tiny instruct model inside the import roots and a copy without its chat template (a base model), both registered.</summary>
    private static async Task<(string Judge, RegisteredModel JudgeModel, RegisteredModel BaseModel)> RegisterTwoAsync(CrowdDatabase s, Actor admin)
    {
        var data = s.Get<WorkbenchPaths>().DataDirectory;
        var judge = TinyInstructModel.Create(Path.Combine(data, "models", "tiny-judge"), new TinyInstructShape(Context: 4096));
        var plain = Directory.CreateDirectory(Path.Combine(data, "models", "base")).FullName;
        foreach (var file in new[] { "config.json", "tokenizer.json", "model.safetensors" }) File.Copy(Path.Combine(judge, file), Path.Combine(plain, file));
        var registry = s.Get<ModelRegistry>();
        return (judge, await registry.RegisterAsync(new ModelRegistration(judge, "judge-small"), admin), await registry.RegisterAsync(new ModelRegistration(plain), admin));
    }

    /// <summary>An existing account acting as Admin (a registration records who registered the model).</summary>
    private static Actor AdminOf(CrowdDatabase s) => new(s.Reviewer.UserId, s.Reviewer.UserName, Role.Admin);

    private static ProviderSettingsInput Local(long? id = null, string? path = null) =>
        new(null, null, null, Kind: ExplanationProviderSettings.LocalKind, ModelPath: path, MaxNewTokens: 32, RegisteredModelId: id);

    [Fact]
    public async Task An_Admin_picks_a_registered_instruct_model_and_jobs_get_a_local_model_named_after_its_registration()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var admin = AdminOf(s);
        var (judge, judgeModel, baseModel) = await RegisterTwoAsync(s, admin);
        var providers = s.Get<ProviderSettingsService>();

        var options = await providers.LocalModelsAsync();
        var nothing = await providers.UpdateAsync(admin, Local());
        var unknown = await providers.UpdateAsync(admin, Local(id: 999));
        var noTemplate = await providers.UpdateAsync(admin, Local(id: baseModel.Id));
        var outside = await providers.UpdateAsync(admin, Local(path: models.Explainer));
        var both = await providers.UpdateAsync(admin, Local(judgeModel.Id, judge));
        var badLimits = await providers.UpdateAsync(admin, Local(judgeModel.Id) with { MaxNewTokens = 0, TopP = 0, Temperature = double.NaN });
        var unknownKind = await providers.UpdateAsync(admin, Local(judgeModel.Id) with { Kind = "gguf" });
        var byLabeller = await providers.UpdateAsync(s.Labellers[0], Local(judgeModel.Id));
        var saved = await providers.UpdateAsync(admin, Local(judgeModel.Id));

        // The picker lists every registered model; the one without a chat template is there, disabled, with the reason.
        Assert.Equal([("base", false), ("judge-small", true)], options.Select(o => (o.Name, o.CanExplain)));
        Assert.Equal("The model has no chat template (tokenizer_config.json or chat_template.jinja): choose an instruct model.", options[0].Problem);
        Assert.Contains("Pick the instruct model from the registered models", nothing.Validation.Errors["registeredModelId"]);
        Assert.Equal("There is no registered model #999; pick one of the registered models.", unknown.Validation.Errors["registeredModelId"]);
        Assert.Equal("'base' cannot explain: The model has no chat template (tokenizer_config.json or chat_template.jinja): choose an instruct model.",
            noTemplate.Validation.Errors["registeredModelId"]);
        Assert.Equal($"The model folder cannot be used: {ServerPathPolicy.Refusal}.", outside.Validation.Errors["modelPath"]);
        Assert.Contains("not both", both.Validation.Errors["modelPath"]);
        Assert.Equal(["maxNewTokens", "temperature", "topP"], badLimits.Validation.Errors.Keys.Order());
        Assert.Contains("\"local\"", unknownKind.Validation.Errors["kind"]);
        Assert.Equal(OutcomeKind.Forbidden, byLabeller.Kind);
        Assert.Equal(Permissions.Refusal(Role.Labeler, WorkbenchAction.ManageExplanationProvider), byLabeller.Message);
        Assert.True(saved.Succeeded, saved.Validation.ToString());
        await using (var db = s.Db())
        {
            var row = await db.ExplanationProviderSettings.AsNoTracking().SingleAsync();
            Assert.Equal(((long?)judgeModel.Id, (string?)judgeModel.FolderPath), (row.RegisteredModelId, row.ModelPath));
        }
        var view = await providers.GetAsync();
        Assert.Equal(("local", "judge-small", judgeModel.Id, true, true, 32), (view.Kind, view.ModelName, view.RegisteredModelId, view.IsConfigured, view.UsesLogprobs, view.MaxNewTokens));
        var model = Assert.IsType<LocalChatModel>(await providers.CreateChatModelAsync());
        Assert.Equal(("judge-small", judgeModel.FolderPath, 32), (model.ModelName, model.Options.ModelFolder, model.Options.MaxNewTokens));

        // A caller that names a registered folder gets it stored as that registration.
        var byFolder = await providers.UpdateAsync(admin, Local(path: judge));
        Assert.Equal((judgeModel.Id, "judge-small"), (byFolder.Value!.RegisteredModelId, byFolder.Value.ModelName));

        // Switching back to the endpoint keeps the local choice for later, and jobs then get the endpoint's client.
        var endpoint = await providers.UpdateAsync(admin, new ProviderSettingsInput("http://127.0.0.1:9/v1", "judge-8b", null));
        Assert.True(endpoint.Succeeded, endpoint.Validation.ToString());
        Assert.Equal(("endpoint", "judge-8b", judgeModel.Id), (endpoint.Value!.Kind, endpoint.Value.ModelName, endpoint.Value.RegisteredModelId));
        using var client = Assert.IsType<OpenAiChatClient>(await providers.CreateChatModelAsync());
    }

    [Fact]
    public async Task A_picked_model_that_is_unregistered_later_is_named_as_missing_and_jobs_get_that_sentence_instead_of_a_crash()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var admin = AdminOf(s);
        var (_, judgeModel, _) = await RegisterTwoAsync(s, admin);
        var providers = s.Get<ProviderSettingsService>();
        Assert.True((await providers.UpdateAsync(admin, Local(judgeModel.Id))).Succeeded);

        await s.Get<ModelRegistry>().UnregisterAsync(judgeModel.Id, admin);

        var view = await providers.GetAsync();
        var expected = $"The explanation model 'tiny-judge' (registered model #{judgeModel.Id}) is no longer registered: an Admin picks another registered model on the Admin page (Explanation model).";
        Assert.Equal((false, "", expected), (view.IsConfigured, view.ModelName, view.LocalProblem));
        var e = await Assert.ThrowsAsync<ChatProviderException>(() => providers.CreateChatModelAsync());
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public async Task A_folder_path_saved_before_models_were_picked_keeps_working_and_becomes_its_registration_once_registered()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var data = s.Get<WorkbenchPaths>().DataDirectory;
        var folder = TinyInstructModel.Create(Path.Combine(data, "models", "old-judge"), new TinyInstructShape(Context: 4096));
        await using (var db = s.Db())
        {
            db.ExplanationProviderSettings.Add(new ExplanationProviderSettings { Kind = ExplanationProviderSettings.LocalKind, ModelPath = folder, MaxNewTokens = 16 });
            await db.SaveChangesAsync();
        }
        var providers = s.Get<ProviderSettingsService>();

        var before = await providers.GetAsync();
        var asFolder = Assert.IsType<LocalChatModel>(await providers.CreateChatModelAsync());
        var registered = await s.Get<ModelRegistry>().RegisterAsync(new ModelRegistration(folder, "judge-registered"), AdminOf(s));
        var after = await providers.GetAsync();
        var asRegistered = Assert.IsType<LocalChatModel>(await providers.CreateChatModelAsync());

        Assert.Equal((true, true, "old-judge", (long?)null), (before.IsFolderFromBefore, before.IsConfigured, before.ModelName, before.RegisteredModelId));
        Assert.Equal(("old-judge", 16), (asFolder.ModelName, asFolder.Options.MaxNewTokens));
        Assert.Equal((false, true, "judge-registered", (long?)registered.Id), (after.IsFolderFromBefore && after.RegisteredModelName is null, after.IsConfigured, after.ModelName, after.RegisteredModelId));
        Assert.Equal(("judge-registered", registered.FolderPath), (asRegistered.ModelName, asRegistered.Options.ModelFolder));
    }
}
