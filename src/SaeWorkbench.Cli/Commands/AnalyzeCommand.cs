using System.CommandLine;
using System.Text;
using System.Text.Json;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;

namespace SaeWorkbench.Cli.Commands;

/// <summary>
/// <c>sae analyze</c>: every latent's dashboard (docs/science.md §6) for an SAE on a model and corpus, headless, as one JSON
/// line per latent — the same computation the web app's analysis job stores.
/// </summary>
public static class AnalyzeCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void AddTo(RootCommand root) => root.Subcommands.Add(Create());

    private static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face GPT-2 folder", Required = true };
        var sae = new Option<string>("--sae") { Description = "SAELens folder", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "Folder of .txt / .jsonl files", Required = true };
        var tokens = new Option<long>("--tokens") { Description = "Tokens to analyse (BOS included)", DefaultValueFactory = _ => 1_000_000L };
        var output = new Option<string>("--out") { Description = "JSON Lines file, one latent per line", Required = true };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary instead of text" };
        var command = new Command("analyze", "Compute every latent's dashboard (density, max, mean, histogram, top contexts, interval samples, logit effects, neighbours; dead latents flagged).")
        {
            model, sae, corpus, tokens, output, json,
        };
        command.SetAction((parse, ct) =>
        {
            try
            {
                using var loaded = HuggingFaceModels.Load(Path.GetFullPath(parse.GetValue(model)!), device: TorchRuntime.BestDevice());
                using var folder = SaeLensFolder.Load(Path.GetFullPath(parse.GetValue(sae)!), loaded.Model);
                var hook = folder.Metadata.HookName;
                var context = folder.Metadata.ContextSize > 0 ? Math.Min(folder.Metadata.ContextSize, loaded.Model.ContextLength) : loaded.Model.ContextLength;
                var textCorpus = new TextCorpus(Path.GetFullPath(parse.GetValue(corpus)!));
                IEnumerable<long[]> Windows() => TokenWindows.Enumerate(textCorpus, loaded.Tokenizer, CorpusSplit.All, context).Select(w => Array.ConvertAll(w, t => (long)t));
                var quiet = parse.GetValue(json);
                var progress = quiet ? null : new Progress<double>(p => Console.Error.Write($"\ranalysing: {p:P0}   "));
                var builder = FeatureDashboardRun.Compute(loaded.Model, hook, folder.Autoencoder, Windows, parse.GetValue(tokens), progress: progress, ct: ct);
                using var unembedding = Unembedding.Of(loaded.Model);
                var logits = LogitEffects.Compute(folder.Autoencoder.WDec, unembedding.WU, unembedding.LnScale, ct: ct, finalNorm: unembedding.NormKind);
                var neighbours = DecoderNeighbours.Compute(folder.Autoencoder.WDec, ct: ct);
                var path = Path.GetFullPath(parse.GetValue(output)!);
                var dead = 0;
                using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
                {
                    for (var i = 0; i < builder.Latents; i++)
                    {
                        var d = builder.Dashboard(i);
                        if (d.Statistics.IsDead) dead++;
                        string Text(DashboardExample e) => string.Concat(e.TokenIds.Select((t, j) =>
                            j == e.PeakOffset ? $"[[{loaded.Tokenizer.Decode([t])}]]" : loaded.Tokenizer.Decode([t])));
                        writer.WriteLine(JsonSerializer.Serialize(new
                        {
                            index = i,
                            density = d.Statistics.Density,
                            maxActivation = d.Statistics.MaxActivation,
                            meanActivation = d.Statistics.MeanActivation,
                            dead = d.Statistics.IsDead,
                            histogram = d.Histogram,
                            topContexts = d.TopExamples.Select(e => new { text = Text(e), peak = e.Activations[e.PeakOffset] }),
                            intervals = d.Intervals.Select(b => new { b.BinMin, b.BinMax, b.Share, examples = b.Examples.Select(Text) }),
                            positiveLogits = logits[i].Positive.Select(t => new { token = loaded.Tokenizer.Decode([t.TokenId]), t.Effect }),
                            negativeLogits = logits[i].Negative.Select(t => new { token = loaded.Tokenizer.Decode([t.TokenId]), t.Effect }),
                            neighbours = neighbours[i].Neighbours.Zip(neighbours[i].Cosines, (n, c) => new { index = n, cosine = c }),
                        }, Json));
                    }
                }
                if (quiet) Console.WriteLine(JsonSerializer.Serialize(new { output = path, latents = builder.Latents, dead, tokens = builder.Tokens }, Json));
                else Console.WriteLine($"\n{builder.Latents} latents ({dead} dead) over {builder.Tokens:N0} tokens written to {path}");
                return Task.FromResult(0);
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or InvalidOperationException
                                           or LanguageModelFolderException or SafetensorsFormatException or OperationCanceledException)
            {
                Console.Error.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(new { error = e.Message }) : $"error: {e.Message}");
                return Task.FromResult(1);
            }
        });
        return command;
    }
}
