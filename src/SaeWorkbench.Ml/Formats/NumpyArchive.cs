using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// Reads NumPy <c>.npz</c> archives of plain little-endian float arrays (Gemma Scope 1's <c>params.npz</c>,
/// docs/science.md §11): a zip of <c>.npy</c> files, each a magic string, a version, a header length, a Python-literal
/// header <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (d, m), }</c> and the raw data. Object arrays (which
/// need pickle) and anything else are refused; every length is checked against the entry's size.
/// </summary>
public static partial class NumpyArchive
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> Dtypes = new()
    {
        ["<f4"] = (ScalarType.Float32, 4),
        ["<f2"] = (ScalarType.Float16, 2),
        ["<f8"] = (ScalarType.Float64, 8),
    };

    /// <summary>Every array in the archive by name (without <c>.npy</c>); the caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            ZipArchive zip;
            try { zip = ZipFile.OpenRead(path); }
            catch (InvalidDataException e) { throw new SaeFormatException(path, "(file)", $"not a zip (.npz) archive ({e.Message})"); }
            using (zip)
            {
                foreach (var entry in zip.Entries)
                {
                    if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                        throw new SaeFormatException(path, entry.FullName, "is not a .npy array");
                    var name = entry.FullName[..^4];
                    if (result.ContainsKey(name)) throw new SaeFormatException(path, name, "appears twice");
                    if (entry.Length > int.MaxValue) throw new SaeFormatException(path, name, "is over 2 GiB, which this reader does not support");
                    var bytes = new byte[entry.Length];
                    using (var s = entry.Open()) s.ReadExactly(bytes);
                    result[name] = ReadNpy(bytes, path, name);
                }
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    private static Tensor ReadNpy(byte[] bytes, string path, string name)
    {
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic)) throw new SaeFormatException(path, name, "is not a .npy array (bad magic)");
        var major = bytes[6];
        int headerLength, start;
        switch (major)
        {
            case 1: headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); start = 10; break;
            case 2 or 3:
                if (bytes.Length < 12) throw new SaeFormatException(path, name, "is truncated");
                var len = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
                if (len > int.MaxValue) throw new SaeFormatException(path, name, $"header length {len} runs past the end of the array");
                headerLength = (int)len; start = 12; break;
            default: throw new SaeFormatException(path, name, $".npy version {major} is not 1, 2 or 3");
        }
        if (headerLength > bytes.Length - start) throw new SaeFormatException(path, name, $"header length {headerLength} runs past the end of the {bytes.Length}-byte array");
        var header = Encoding.Latin1.GetString(bytes, start, headerLength);
        var descr = Descr().Match(header);
        var fortran = Fortran().Match(header);
        var shapeMatch = ShapeRegex().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success) throw new SaeFormatException(path, name, $"header '{header.Trim()}' is not a plain array header");
        if (!Dtypes.TryGetValue(descr.Groups[1].Value, out var info))
            throw new SaeFormatException(path, name, $"dtype '{descr.Groups[1].Value}' is not a little-endian float (<f2, <f4, <f8)");
        if (fortran.Groups[1].Value != "False") throw new SaeFormatException(path, name, "is stored in Fortran order, which this reader does not support");
        var shape = new List<long>();
        long elements = 1;
        foreach (var part in shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, out var dim) || dim < 0) throw new SaeFormatException(path, name, $"shape dimension '{part}' is not a size");
            shape.Add(dim);
            try { elements = checked(elements * dim); }
            catch (OverflowException) { throw new SaeFormatException(path, name, "shape overflows"); }
        }
        var dataStart = start + headerLength;
        long expected;
        try { expected = checked(elements * info.Size); }
        catch (OverflowException) { throw new SaeFormatException(path, name, "byte size overflows"); }
        if (bytes.Length - dataStart != expected)
            throw new SaeFormatException(path, name, $"shape [{string.Join(", ", shape)}] needs {expected} bytes but the array holds {bytes.Length - dataStart}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian machines are not supported");
        var tensor = empty(shape.ToArray(), info.Type);
        bytes.AsSpan(dataStart).CopyTo(tensor.bytes);
        return tensor;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex Fortran();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
