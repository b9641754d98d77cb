using System.CommandLine;
using System.Text.Json;
using SaeWorkbench.Ml.Lm;

namespace SaeWorkbench.Cli.Commands;

public static partial class LmCommands
{
    /// <summary><c>sae lm run</c>: logits and hook activations of one sequence into a safetensors file (run_with_cache).</summary>
    private static Command Run()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder.", Required = true };
        var textFile = new Option<string?>("--text-file") { Description = "UTF-8 text to tokenize (needs the folder's tokenizer); the tokenizer's BOS is put first." };
        var tokensFile = new Option<string?>("--tokens-file") { Description = "JSON array of token ids, run as given." };
        var hooks = new Option<string>("--hooks") { Description = "Comma-separated hook names (see `sae lm info`).", DefaultValueFactory = _ => "" };
        var output = new Option<string>("--out") { Description = "Output .safetensors: float32 logits [T, vocab] and one [T, width] tensor per hook.", Required = true };
        var dtype = DtypeOption();
        var json = JsonOption();
        var command = new Command("run", "Run a model on a text or token file and save logits and hook activations (safetensors).")
            { model, textFile, tokensFile, hooks, output, dtype, json };
        command.SetAction(parse => Guarded(() =>
        {
            var folder = Path.GetFullPath(parse.GetValue(model)!);
            var text = parse.GetValue(textFile);
            var ids = parse.GetValue(tokensFile);
            if ((text is null) == (ids is null)) throw new ArgumentException("give exactly one of --text-file and --tokens-file");
            var hookNames = parse.GetValue(hooks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var computeDtype = ParseDtype(parse.GetValue(dtype));
            int[] tokens;
            IHookedLanguageModel lm;
            LoadedLanguageModel? loaded = null;
            if (text is not null)
            {
                loaded = HuggingFaceModels.Load(folder, computeDtype);
                lm = loaded.Model;
                tokens = [loaded.Tokenizer.EndOfTextId, .. loaded.Tokenizer.Encode(File.ReadAllText(text))];
            }
            else
            {
                tokens = ReadTokens(ids!);
                lm = HuggingFaceModels.LoadModel(folder, computeDtype);
            }
            try
            {
                var path = Path.GetFullPath(parse.GetValue(output)!);
                RunWithCache.RunToFile(lm, tokens, hookNames, path);
                if (parse.GetValue(json))
                    Console.WriteLine(JsonSerializer.Serialize(new { output = path, family = lm.Family, tokens = tokens.Length, hooks = hookNames }, Json));
                else Console.WriteLine($"{path}: logits [{tokens.Length}, {lm.VocabSize}] and {hookNames.Length} hook(s) of a {lm.Family} model");
            }
            finally
            {
                if (loaded is not null) loaded.Dispose();
                else lm.Dispose();
            }
            return 0;
        }));
        return command;
    }

    private static int[] ReadTokens(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found");
        try
        {
            return JsonSerializer.Deserialize<int[]>(File.ReadAllText(path))
                   ?? throw new ArgumentException($"{path}: expected a JSON array of token ids");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: expected a JSON array of token ids ({e.Message})");
        }
    }
}
