using System.Buffers.Binary;
using System.Text;
using SaeWorkbench.Ml.Formats;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("st-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Save_then_load_is_bit_exact_for_every_dtype()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 5),
            ["f16"] = randn(4).to_type(ScalarType.Float16),
            ["bf16"] = randn(2, 2).to_type(ScalarType.BFloat16),
            ["i64"] = arange(10),
            ["u8"] = tensor(new byte[] { 1, 2, 255 }),
            ["empty"] = zeros(0, 3),
        };
        var path = Path.Combine(_dir, "a.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var loaded = Safetensors.Load(path);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, loaded[name].dtype);
            Assert.Equal(t.shape, loaded[name].shape);
            Assert.True(t.eq(loaded[name]).all().item<bool>(), name);
        }
        Assert.Equal("pt", Safetensors.ReadHeader(path).Metadata["format"]);
        var again = Path.Combine(_dir, "b.safetensors");
        Safetensors.Save(again, loaded, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Fact]
    public void Truncated_file_is_refused_naming_the_file()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_dir, "t.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = randn(16, 16) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.Contains("t.safetensors", e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", "unknown dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "needs 8 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", "overlap")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "run past")]
    [InlineData("not json", "not valid JSON")]
    public void Bad_headers_are_refused_with_the_problem(string header, string expected)
    {
        var path = Path.Combine(_dir, "bad.safetensors");
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + 8];
        BinaryPrimitives.WriteInt64LittleEndian(file, json.Length);
        json.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_refused()
    {
        var path = Path.Combine(_dir, "len.safetensors");
        var file = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(file, 1000);
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.ReadHeader(path));
        Assert.Contains("past the end", e.Message);
    }
}
