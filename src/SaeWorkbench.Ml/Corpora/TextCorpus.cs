using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SaeWorkbench.Ml.Corpora;

/// <summary>Which part of a corpus to read.</summary>
public enum CorpusSplit { Train, Validation, All }

/// <summary>One document: a whole .txt file or one line of a .jsonl file.</summary>
public sealed record CorpusDocument(string RelativePath, int Line, string Text);

/// <summary>A file left out of the corpus, and why.</summary>
public sealed record SkippedFile(string RelativePath, string Reason);

/// <summary>
/// A folder of UTF-8 <c>.txt</c> files (one document each) and <c>.jsonl</c> files (one document per line,
/// field "text"), read file by file and line by line. Files are assigned to train or validation by a
/// hash of their relative path, so the split never changes when files are added.
/// </summary>
public sealed class TextCorpus
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly List<SkippedFile> _skipped = [];

    public TextCorpus(string folder, double validationFraction = 0.1)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Corpus folder not found: {folder}");
        if (validationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationFraction));
        Folder = folder;
        ValidationFraction = validationFraction;
        Files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public string Folder { get; }
    public double ValidationFraction { get; }

    /// <summary>Relative paths of the .txt and .jsonl files, in ordinal order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Files (or .jsonl lines, as "file:line") skipped so far by <see cref="Documents"/>, with reasons.</summary>
    public IReadOnlyList<SkippedFile> Skipped
    {
        get { lock (_skipped) return [.. _skipped]; }
    }

    /// <summary>The split a file belongs to: the first 8 bytes of SHA-256(relative path) against the fraction.</summary>
    public CorpusSplit SplitOf(string relativePath)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(relativePath));
        var unit = BitConverter.ToUInt64(hash, 0) / (double)ulong.MaxValue;
        return unit < ValidationFraction ? CorpusSplit.Validation : CorpusSplit.Train;
    }

    /// <summary>Streams the documents of <paramref name="split"/>; bad files are recorded in <see cref="Skipped"/>.</summary>
    public IEnumerable<CorpusDocument> Documents(CorpusSplit split)
    {
        foreach (var file in Files)
        {
            if (split != CorpusSplit.All && SplitOf(file) != split) continue;
            var path = Path.Combine(Folder, file);
            if (new FileInfo(path).Length == 0)
            {
                Skip(file, "empty file");
                continue;
            }
            if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var document in JsonLines(file, path)) yield return document;
                continue;
            }
            string text;
            try
            {
                text = File.ReadAllText(path, StrictUtf8);
            }
            catch (DecoderFallbackException e)
            {
                Skip(file, $"not valid UTF-8 (byte {e.Index})");
                continue;
            }
            if (string.IsNullOrWhiteSpace(text))
            {
                Skip(file, "only whitespace");
                continue;
            }
            yield return new CorpusDocument(file, 0, text.TrimStart('\uFEFF'));
        }
    }

    private IEnumerable<CorpusDocument> JsonLines(string file, string path)
    {
        if (!IsValidUtf8(path))
        {
            Skip(file, "not valid UTF-8");
            yield break;
        }
        using var reader = new StreamReader(path, StrictUtf8);
        var lineNumber = 0;
        var any = false;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? text;
            try
            {
                using var json = JsonDocument.Parse(line);
                text = json.RootElement.ValueKind == JsonValueKind.Object &&
                       json.RootElement.TryGetProperty("text", out var field) && field.ValueKind == JsonValueKind.String
                    ? field.GetString()
                    : null;
            }
            catch (JsonException e)
            {
                Skip($"{file}:{lineNumber}", $"invalid JSON: {e.Message}");
                continue;
            }
            if (string.IsNullOrWhiteSpace(text))
            {
                Skip($"{file}:{lineNumber}", "no non-empty string field \"text\"");
                continue;
            }
            any = true;
            yield return new CorpusDocument(file, lineNumber, text);
        }
        if (!any && lineNumber == 0) Skip(file, "empty file");
    }

    /// <summary>Checks a file's bytes in chunks without holding it in memory.</summary>
    private static bool IsValidUtf8(string path)
    {
        using var reader = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: false);
        var buffer = new char[1 << 16];
        try
        {
            while (reader.Read(buffer, 0, buffer.Length) > 0) { }
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private void Skip(string file, string reason)
    {
        lock (_skipped)
            if (!_skipped.Any(s => s.RelativePath == file)) _skipped.Add(new SkippedFile(file, reason));
    }
}
