using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>A file that is not valid safetensors. The message names the file and the problem.</summary>
public sealed class SafetensorsFormatException(string path, string problem)
    : IOException($"{path}: {problem}")
{
    public string FilePath { get; } = path;
    public string Problem { get; } = problem;
}

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Begin">Start offset relative to the end of the header.</param>
/// <param name="End">End offset (exclusive) relative to the end of the header.</param>
public sealed record SafetensorsEntry(string Name, string Dtype, long[] Shape, long Begin, long End);

/// <summary>A parsed and validated safetensors header.</summary>
public sealed record SafetensorsHeader(
    string Path,
    long HeaderLength,
    IReadOnlyDictionary<string, SafetensorsEntry> Tensors,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Absolute file offset where tensor data starts.</summary>
    public long DataStart => 8 + HeaderLength;
}

/// <summary>
/// Reader and writer for the safetensors format (docs/science.md §8): 8-byte little-endian header length N,
/// N bytes of JSON, then raw little-endian data. Every offset and shape is validated against the file
/// size before anything is read.
/// </summary>
public static class Safetensors
{
    /// <summary>Headers larger than this are refused (the reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, (ScalarType Type, int Size)> Dtypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8),
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2),
        ["I8"] = (ScalarType.Int8, 1),
        ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    /// <summary>The safetensors dtype string for a torch scalar type.</summary>
    public static string DtypeName(ScalarType type) =>
        Dtypes.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new NotSupportedException($"safetensors has no dtype for {type}");

    /// <summary>Reads and validates the header only.</summary>
    public static SafetensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>Loads every tensor (on the CPU, in its stored dtype).</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, _ => true);

    /// <summary>Loads the tensors whose names pass <paramref name="include"/>.</summary>
    public static Dictionary<string, Tensor> Load(string path, Func<string, bool> include)
    {
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Tensors.Values.OrderBy(e => e.Begin))
            {
                if (!include(entry.Name)) continue;
                var tensor = empty(entry.Shape, Dtypes[entry.Dtype].Type);
                result[entry.Name] = tensor;
                stream.Position = header.DataStart + entry.Begin;
                ReadExactly(stream, tensor, entry.End - entry.Begin, path, entry.Name);
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes tensors in name order with optional string metadata. The same tensors and metadata always
    /// give the same bytes. Writes to a temporary file first, then moves it into place.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var contiguous = new List<Tensor>(names.Count);
        using var scope = NewDisposeScope();
        long offset = 0;
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            foreach (var name in names)
            {
                var t = tensors[name].detach().cpu().contiguous();
                contiguous.Add(t);
                var bytes = t.NumberOfElements * t.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", DtypeName(t.dtype));
                json.WriteStartArray("shape");
                foreach (var d in t.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 so the data is aligned, as the reference writer does.
        var headerBytes = buffer.ToArray();
        var padded = (headerBytes.Length + 7) / 8 * 8;
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(len, padded);
                output.Write(len);
                output.Write(headerBytes);
                for (var i = headerBytes.Length; i < padded; i++) output.WriteByte((byte)' ');
                foreach (var t in contiguous) WriteData(output, t);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
    }

    private static SafetensorsHeader ReadHeader(FileStream stream, string path)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw new SafetensorsFormatException(path, $"file is {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
        if (headerLength <= 0) throw new SafetensorsFormatException(path, $"header length {headerLength} is not positive");
        if (headerLength > MaxHeaderBytes) throw new SafetensorsFormatException(path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if (headerLength > fileLength - 8) throw new SafetensorsFormatException(path, $"header length {headerLength} runs past the end of the {fileLength}-byte file (truncated?)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var dataLength = fileLength - 8 - headerLength;

        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw new SafetensorsFormatException(path, "header is not valid UTF-8");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw new SafetensorsFormatException(path, $"header is not valid JSON ({e.Message})"); }
        catch (ArgumentException e) { throw new SafetensorsFormatException(path, $"header is not valid UTF-8 JSON ({e.Message})"); }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SafetensorsFormatException(path, "header is not a JSON object");
            var tensors = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new SafetensorsFormatException(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new SafetensorsFormatException(path, $"__metadata__ value '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (tensors.ContainsKey(prop.Name)) throw new SafetensorsFormatException(path, $"tensor '{prop.Name}' appears twice");
                tensors[prop.Name] = ParseEntry(path, prop, dataLength);
            }
            // Reject overlapping byte ranges.
            SafetensorsEntry? previous = null;
            foreach (var e in tensors.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (previous is not null && e.Begin < previous.End && e.End > e.Begin)
                    throw new SafetensorsFormatException(path, $"tensors '{previous.Name}' and '{e.Name}' overlap (bytes {e.Begin}..{previous.End})");
                if (e.End > e.Begin) previous = e;
            }
            return new SafetensorsHeader(path, headerLength, tensors, metadata);
        }
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty prop, long dataLength)
    {
        var name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new SafetensorsFormatException(path, $"entry '{name}' is not an object");
        if (!v.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has no dtype");
        var dtype = dtypeEl.GetString()!;
        if (!Dtypes.TryGetValue(dtype, out var info))
            throw new SafetensorsFormatException(path, $"tensor '{name}' has unknown dtype '{dtype}' (known: {string.Join(", ", Dtypes.Keys)})");
        if (!v.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has no shape");
        var shape = new List<long>();
        long elements = 1;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw new SafetensorsFormatException(path, $"tensor '{name}' has an invalid shape dimension {d}");
            shape.Add(dim);
            try { elements = checked(elements * dim); }
            catch (OverflowException) { throw new SafetensorsFormatException(path, $"tensor '{name}' shape overflows"); }
        }
        if (!v.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has no [begin, end] data_offsets");
        if (!offEl[0].TryGetInt64(out var begin) || !offEl[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw new SafetensorsFormatException(path, $"tensor '{name}' has invalid data_offsets [{offEl[0]}, {offEl[1]}]");
        if (end > dataLength)
            throw new SafetensorsFormatException(path, $"tensor '{name}' data_offsets [{begin}, {end}] run past the {dataLength} data bytes in the file (truncated?)");
        long expected;
        try { expected = checked(elements * info.Size); }
        catch (OverflowException) { throw new SafetensorsFormatException(path, $"tensor '{name}' byte size overflows"); }
        if (end - begin != expected)
            throw new SafetensorsFormatException(path, $"tensor '{name}' shape [{string.Join(", ", shape)}] of {dtype} needs {expected} bytes but data_offsets span {end - begin}");
        return new SafetensorsEntry(name, dtype, shape.ToArray(), begin, end);
    }

    private static void ReadExactly(Stream stream, Tensor tensor, long count, string path, string name)
    {
        if (count == 0) return;
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian machines are not supported");
        if (count > int.MaxValue) throw new SafetensorsFormatException(path, $"tensor '{name}' is over 2 GiB, which this reader does not support");
        var span = tensor.bytes; // a view over the tensor's CPU memory
        var done = 0;
        while (done < count)
        {
            var read = stream.Read(span[done..]);
            if (read == 0) throw new SafetensorsFormatException(path, $"file ends inside tensor '{name}'");
            done += read;
        }
    }

    private static void WriteData(Stream stream, Tensor t)
    {
        if (t.NumberOfElements == 0) return;
        stream.Write(t.bytes);
    }
}
