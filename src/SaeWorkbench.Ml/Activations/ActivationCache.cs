using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text.Json;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Activations;

/// <summary>One shard file of an activation cache.</summary>
public sealed record ActivationCacheShard(string File, long Tokens, string Sha256);

/// <summary>manifest.json of an activation cache folder.</summary>
public sealed record ActivationCacheManifest(string Model, string Hook, int D, string Dtype, long Tokens, IReadOnlyList<ActivationCacheShard> Shards)
{
    public const string FileName = "manifest.json";
}

/// <summary>
/// Activations cached on disk (docs/science.md §3): shards of raw little-endian float16 or bfloat16 rows [tokens, d] and
/// a manifest (model, hook, d, dtype, token count, shards with SHA-256). Written to a temporary folder, then moved.
/// </summary>
public static class ActivationCache
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new ArgumentException($"activation caches hold float16 or bfloat16, not {t}"),
    };

    public static ScalarType ParseDtype(string name) => name switch
    {
        "float16" => ScalarType.Float16,
        "bfloat16" => ScalarType.BFloat16,
        _ => throw new InvalidDataException($"unknown activation cache dtype '{name}' (float16 or bfloat16)"),
    };

    /// <summary>Reads <paramref name="tokens"/> activations from <paramref name="source"/> into a new cache folder.</summary>
    public static ActivationCacheManifest Write(IActivationSource source, string folder, long tokens, ScalarType dtype,
        long shardTokens = 1 << 20, int batchSize = 4096)
    {
        if (tokens < 1) throw new ArgumentException("a cache needs at least one token");
        var dtypeName = DtypeName(dtype);
        var full = Path.GetFullPath(folder);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"{full} already exists and is not empty");
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            var shards = new List<ActivationCacheShard>();
            for (long written = 0; written < tokens;)
            {
                var inShard = Math.Min(shardTokens, tokens - written);
                var name = $"shard_{shards.Count:D5}.bin";
                using var sha = SHA256.Create();
                using (var file = new FileStream(Path.Combine(temp, name), FileMode.CreateNew))
                using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Write))
                {
                    for (long done = 0; done < inShard;)
                    {
                        using var scope = NewDisposeScope();
                        var n = (int)Math.Min(batchSize, inShard - done);
                        var rows = source.NextBatch(n).to(dtype).contiguous();
                        hashing.Write(rows.bytes);
                        done += n;
                    }
                }
                shards.Add(new ActivationCacheShard(name, inShard, Convert.ToHexStringLower(sha.Hash!)));
                written += inShard;
            }
            var manifest = new ActivationCacheManifest(source.ModelName, source.HookName, source.Width, dtypeName, tokens, shards);
            File.WriteAllText(Path.Combine(temp, ActivationCacheManifest.FileName), JsonSerializer.Serialize(manifest, Json));
            if (Directory.Exists(full)) Directory.Delete(full);
            Directory.Move(temp, full);
            return manifest;
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    public static ActivationCacheManifest ReadManifest(string folder)
    {
        var path = Path.Combine(folder, ActivationCacheManifest.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} is not an activation cache: {ActivationCacheManifest.FileName} is missing", path);
        return JsonSerializer.Deserialize<ActivationCacheManifest>(File.ReadAllText(path), Json)
               ?? throw new InvalidDataException($"{path} is empty");
    }
}

/// <summary>
/// Reads an activation cache through memory-mapped shards, in order, starting again at the first token after the
/// last; rows come back as float32 [B, d].
/// </summary>
public sealed class ActivationCacheSource : IActivationSource
{
    private readonly string _folder;
    private readonly ScalarType _dtype;
    private readonly List<(MemoryMappedFile File, MemoryMappedViewAccessor View, long Tokens)> _shards = new();
    private readonly long _rowBytes;

    public ActivationCacheManifest Manifest { get; }
    public int Width => Manifest.D;
    public string ModelName => Manifest.Model;
    public string HookName => Manifest.Hook;
    public long Position { get; private set; }

    /// <summary>Opens a cache; with <paramref name="verifyHashes"/> every shard's SHA-256 is checked first.</summary>
    public ActivationCacheSource(string folder, bool verifyHashes = true)
    {
        _folder = folder;
        Manifest = ActivationCache.ReadManifest(folder);
        _dtype = ActivationCache.ParseDtype(Manifest.Dtype);
        _rowBytes = Manifest.D * 2L;
        if (Manifest.Shards.Sum(s => s.Tokens) != Manifest.Tokens)
            throw new InvalidDataException($"{folder}: shard token counts do not add up to {Manifest.Tokens}");
        try
        {
            foreach (var s in Manifest.Shards)
            {
                var path = Path.Combine(folder, s.File);
                if (Path.GetFileName(s.File) != s.File) throw new InvalidDataException($"{folder}: shard name '{s.File}' is not a plain file name");
                var info = new FileInfo(path);
                if (!info.Exists) throw new FileNotFoundException($"{folder}: shard {s.File} is missing", path);
                if (info.Length != s.Tokens * _rowBytes)
                    throw new InvalidDataException($"{folder}: shard {s.File} has {info.Length} bytes, expected {s.Tokens} × {_rowBytes}");
                if (verifyHashes)
                {
                    using var stream = File.OpenRead(path);
                    var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
                    if (hash != s.Sha256) throw new InvalidDataException($"{folder}: shard {s.File} SHA-256 is {hash}, the manifest says {s.Sha256}");
                }
                var mm = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
                _shards.Add((mm, mm.CreateViewAccessor(0, info.Length, MemoryMappedFileAccess.Read), s.Tokens));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public unsafe Tensor NextBatch(int batchSize)
    {
        var half = empty(new long[] { batchSize, Width }, dtype: _dtype);
        var target = half.bytes;
        var filled = 0L;
        while (filled < batchSize)
        {
            var (shard, row) = Locate(Position % Manifest.Tokens);
            var (_, view, tokens) = _shards[shard];
            var n = Math.Min(batchSize - filled, tokens - row);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            try
            {
                new ReadOnlySpan<byte>(p + view.PointerOffset + row * _rowBytes, checked((int)(n * _rowBytes)))
                    .CopyTo(target.Slice(checked((int)(filled * _rowBytes))));
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
            filled += n;
            Position += n;
        }
        GC.KeepAlive(half);                 // its memory was written through the span above
        var result = half.to(float32);
        half.Dispose();
        return result;
    }

    private (int Shard, long Row) Locate(long token)
    {
        for (var i = 0; i < _shards.Count; i++)
        {
            if (token < _shards[i].Tokens) return (i, token);
            token -= _shards[i].Tokens;
        }
        throw new InvalidOperationException($"token {token} is past the end of {_folder}");
    }

    public void Seek(long position) => Position = position;

    public void Dispose()
    {
        foreach (var (file, view, _) in _shards)
        {
            view.Dispose();
            file.Dispose();
        }
        _shards.Clear();
    }
}
