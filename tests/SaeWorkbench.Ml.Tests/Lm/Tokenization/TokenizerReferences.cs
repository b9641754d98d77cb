using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using SaeWorkbench.Ml.Lm.Tokenization;

namespace SaeWorkbench.Ml.Tests.Lm.Tokenization;

/// <summary>
/// The expected outputs of Hugging Face's JavaScript tokenizers and Jinja on real tokenizer files, written by
/// scripts/tokenizer-references.sh (which the test command runs first) into the git-ignored data folder. Missing or
/// stale references fail the tests with the command to run; they are never skipped.
/// </summary>
public static class TokenizerReferences
{
    public const string TextsFile = "TokenizerReferenceTexts.json";

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SaeWorkbench.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (SaeWorkbench.sln) not found above " + AppContext.BaseDirectory);
    }

    public static string Folder
    {
        get
        {
            var data = Environment.GetEnvironmentVariable("Workbench__DataDirectory") is { Length: > 0 } d ? d : "data";
            return Path.Combine(RepoRoot(), data, "tokenizer-references");
        }
    }

    public static string TextsPath => Path.Combine(RepoRoot(), "tests", "SaeWorkbench.Ml.Tests", "Lm", "Tokenization", TextsFile);

    private static readonly Lazy<JsonDocument> ExpectedDocument = new(() =>
    {
        var path = Path.Combine(Folder, "expected.json");
        if (!File.Exists(path))
            throw new InvalidOperationException(
                $"Tokenizer references are missing ({path}). Run scripts/tokenizer-references.sh (needs npm; scripts/test.sh runs it).");
        var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var textsSha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TextsPath)));
        if (document.RootElement.GetProperty("texts_sha256").GetString() != textsSha)
            throw new InvalidOperationException(
                $"Tokenizer references in {path} were made for another {TextsFile}. Run scripts/tokenizer-references.sh again.");
        return document;
    });

    public static JsonElement Expected(string tokenizer) => ExpectedDocument.Value.RootElement.GetProperty("tokenizers").GetProperty(tokenizer);

    public static IReadOnlyList<(string Name, string Text)> Texts() =>
        JsonDocument.Parse(File.ReadAllBytes(TextsPath)).RootElement.GetProperty("texts").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("text").GetString()!)).ToList();

    public static JsonElement Chats() => JsonDocument.Parse(File.ReadAllBytes(TextsPath)).RootElement.GetProperty("chats");

    private static readonly ConcurrentDictionary<string, Lazy<HuggingFaceTokenizer>> Loaded = new();

    /// <summary>A reference tokenizer, loaded once per test run (Gemma's tokenizer.json is 33 MB).</summary>
    public static HuggingFaceTokenizer Tokenizer(string name)
    {
        _ = ExpectedDocument.Value; // Fail first with the set-up message when the references are missing.
        return Loaded.GetOrAdd(name, n => new Lazy<HuggingFaceTokenizer>(() => HuggingFaceTokenizer.Load(Path.Combine(Folder, n)))).Value;
    }

    public static int[] Ids(JsonElement element) => element.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
