using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Cli.Commands;

public static partial class LmCommands
{
    private static readonly JsonSerializerOptions TokensJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static Command Tokenize()
    {
        var model = new Option<string>("--model")
            { Description = "Model folder, or a folder with only tokenizer.json (+ tokenizer_config.json) or vocab.json + merges.txt.", Required = true };
        var text = new Option<string?>("--text") { Description = "The text to tokenize." };
        var textFile = new Option<string?>("--text-file") { Description = "A UTF-8 file whose whole content is tokenized." };
        var noSpecial = new Option<bool>("--no-special") { Description = "Do not add the special tokens (BOS, …) the tokenizer adds." };
        var json = JsonOption();
        var command = new Command("tokenize", "Token ids and token strings of a text, as the model's Hugging Face tokenizer gives them.")
            { model, text, textFile, noSpecial, json };
        command.SetAction(parse => Guarded(() =>
        {
            var inline = parse.GetValue(text);
            var file = parse.GetValue(textFile);
            if ((inline is null) == (file is null)) throw new ArgumentException("give exactly one of --text and --text-file");
            var input = inline ?? File.ReadAllText(file!);
            var tokenizer = TokenizerFolder.Load(parse.GetValue(model)!);
            var ids = parse.GetValue(noSpecial) ? tokenizer.Encode(input) : tokenizer.EncodeWithSpecialTokens(input);
            var tokens = ids.Select(tokenizer.TokenString).ToArray();
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(new { ids, tokens }, TokensJson));
            else
                for (var i = 0; i < ids.Length; i++) Console.WriteLine($"{ids[i]}\t{JsonSerializer.Serialize(tokens[i], TokensJson)}");
            return 0;
        }));
        return command;
    }
}
