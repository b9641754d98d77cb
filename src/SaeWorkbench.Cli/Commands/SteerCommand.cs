using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae steer</c>: baseline and intervened continuations of a prompt, sampled in one batch with the same
/// seed, checked by the same rules as the web app (<see cref="SteeringRules"/>) before anything runs.
/// </summary>
public static class SteerCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, Converters = { new JsonStringEnumConverter() },
    };

    public static void AddTo(RootCommand root) => root.Subcommands.Add(Create());

    private static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face GPT-2 folder", Required = true };
        var sae = new Option<string>("--sae") { Description = "SAELens folder (its hook must exist in the model)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text", Required = true };
        var latents = new Option<int[]>("--latent") { Description = "Latent index; repeat to intervene on several", Required = true };
        var strengths = new Option<double[]>("--strength")
            { Description = "Strength α (add, orthogonal) or value c (clamp): one for all latents or one per --latent", DefaultValueFactory = _ => [0] };
        var kind = new Option<InterventionKind>("--kind") { Description = "add | ablate | clamp | orthogonal", DefaultValueFactory = _ => InterventionKind.Add };
        var unit = new Option<bool>("--unit") { Description = "Add along the unit-normalised decoder direction" };
        var scope = new Option<PositionScope>("--positions") { Description = "all | prompt | generated", DefaultValueFactory = _ => PositionScope.All };
        var includeBos = new Option<bool>("--include-bos") { Description = "Also intervene at position 0 (BOS), which is left alone by default: the SAE never saw it" };
        var seed = new Option<long>("--seed") { Description = "Sampling seed (sample s uses seed + s on both sides)", DefaultValueFactory = _ => 0 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "New tokens per continuation", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.5 };
        var topP = new Option<double>("--top-p") { DefaultValueFactory = _ => 1.0 };
        var samples = new Option<int>("--samples") { Description = "Pairs of continuations", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Write both continuations, per-position KL and settings as JSON" };
        var command = new Command("steer", "Generate a prompt's continuation with and without an intervention on SAE latents (same seed, one batch).")
        {
            model, sae, prompt, latents, strengths, kind, unit, scope, includeBos, seed, maxTokens, temperature, topP, samples, json,
        };
        command.SetAction((parse, ct) =>
        {
            try
            {
                var ids = parse.GetValue(latents) ?? [];
                var values = parse.GetValue(strengths) ?? [0];
                if (values.Length != 1 && values.Length != ids.Length)
                    throw new ArgumentException($"give one --strength for all latents or one per --latent ({ids.Length})");
                var request = new SteeringRequest
                {
                    Prompt = parse.GetValue(prompt)!, Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP),
                    MaxNewTokens = parse.GetValue(maxTokens), Seed = parse.GetValue(seed), Samples = parse.GetValue(samples), Scope = parse.GetValue(scope),
                    IncludeBos = parse.GetValue(includeBos),
                    Interventions = ids.Select((l, i) => new LatentIntervention(l, parse.GetValue(kind), values.Length == 1 ? values[0] : values[i],
                        parse.GetValue(unit))).ToList(),
                };
                if (request.Scope == PositionScope.Listed) throw new ArgumentException("--positions takes all, prompt or generated");
                using var loaded = HuggingFaceModels.Load(Path.GetFullPath(parse.GetValue(model)!), device: TorchRuntime.BestDevice());
                using var folder = SaeLensFolder.Load(Path.GetFullPath(parse.GetValue(sae)!), loaded.Model);
                SteeringRules.Validate(request, new SteeringLimits(), folder.Autoencoder.DSae);
                var promptTokens = SteeringGenerator.EncodePrompt(loaded.Tokenizer, request.Prompt).Length;
                var maxNew = SteeringGenerator.FitNewTokens(promptTokens, loaded.Model.ContextLength, request.MaxNewTokens);
                var result = SteeringGenerator.Run(loaded.Model, loaded.Tokenizer, folder.Autoencoder, folder.Metadata.HookName, request.Prompt,
                    request.InterventionSet, request.Options(maxNew), cancellation: ct,
                    outputHookName: folder.Autoencoder.IsTranscoder ? folder.Metadata.HookNameOut : null);   // a transcoder acts where it writes
                if (parse.GetValue(json))
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        request.Prompt, Hook = folder.Metadata.HookName, request.Seed, request.Temperature, request.TopP, MaxNewTokens = maxNew,
                        request.Interventions, request.Scope, request.IncludeBos,
                        Samples = result.Samples.Select(s => new
                        {
                            s.Sample, s.Seed,
                            Baseline = new { s.Baseline.Text, Tokens = s.Baseline.TokenIds, s.Baseline.Finish },
                            Steered = new { s.Steered.Text, Tokens = s.Steered.TokenIds, s.Steered.Finish },
                            Kl = s.Steps.Select(x => x.Kl),
                        }),
                    }, Json));
                else
                    foreach (var s in result.Samples)
                    {
                        Console.WriteLine($"--- sample {s.Sample} (seed {s.Seed}) baseline ---");
                        Console.WriteLine(request.Prompt + s.Baseline.Text);
                        Console.WriteLine($"--- sample {s.Sample} (seed {s.Seed}) intervened ---");
                        Console.WriteLine(request.Prompt + s.Steered.Text);
                    }
                return Task.FromResult(0);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("cancelled");
                return Task.FromResult(130);
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or LanguageModelFolderException or JsonException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Task.FromResult(1);
            }
        });
        return command;
    }
}
