using System.Buffers.Binary;
using System.Text;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Tests.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Formats;

public sealed class SafetensorsFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("st-fuzz-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private byte[] ValidFile()
    {
        using var scope = NewDisposeScope();
        var path = Path.Combine(_dir, "valid.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor>
        {
            ["a"] = randn(3, 4), ["b"] = arange(6).to_type(ScalarType.Int32), ["c"] = randn(2).to_type(ScalarType.BFloat16),
        }, new Dictionary<string, string> { ["format"] = "pt" });
        return File.ReadAllBytes(path);
    }

    /// <summary>One random corruption: truncation, flipped bytes, a header-length change or an edited header digit/quote.</summary>
    private static byte[] Corrupt(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        switch (random.Next(5))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                for (var i = random.Next(1, 6); i > 0; i--) bytes[random.Next(Math.Min(bytes.Length, 8 + headerLength))] = (byte)random.Next(256);
                return bytes;
            case 2:
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, random.Next(3) switch
                {
                    0 => (ulong)random.NextInt64(),
                    1 => (ulong)(headerLength + random.Next(-20, 20)),
                    _ => ulong.MaxValue - (ulong)random.Next(100),
                });
                return bytes;
            case 3:
                var header = Encoding.UTF8.GetString(bytes, 8, headerLength).ToCharArray();
                var digits = Enumerable.Range(0, header.Length).Where(i => char.IsDigit(header[i])).ToArray();
                header[digits[random.Next(digits.Length)]] = (char)('0' + random.Next(10));
                if (random.Next(2) == 0) header[digits[random.Next(digits.Length)]] = '-';
                Encoding.UTF8.GetBytes(header).CopyTo(bytes, 8);
                return bytes;
            default:
                var text = Encoding.UTF8.GetString(bytes, 8, headerLength);
                var replaced = random.Next(4) switch
                {
                    0 => text.Replace("F32", "F33"),
                    1 => text.Replace("\"shape\":[3,4]", "\"shape\":[4,4]"),
                    2 => text.Replace("\"data_offsets\":[0,", "\"data_offsets\":[8,"),
                    _ => text.Replace("I32", "BF16"),
                };
                var replacedBytes = Encoding.UTF8.GetBytes(replaced.PadRight(headerLength)[..headerLength]);
                replacedBytes.CopyTo(bytes, 8);
                return bytes;
        }
    }

    [Fact]
    public void Hundreds_of_randomly_corrupted_files_give_only_clean_format_errors()
    {
        var original = ValidFile();
        var random = new Random(20261124);
        var path = Path.Combine(_dir, "corrupt.safetensors");
        var refused = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            File.WriteAllBytes(path, Corrupt(original, random));
            try
            {
                foreach (var t in Safetensors.Load(path).Values) t.Dispose();
            }
            catch (SafetensorsFormatException e)
            {
                Assert.Contains("corrupt.safetensors", e.Message);
                refused++;
            }
        }
        Assert.True(refused > 200, $"only {refused} of 400 corruptions were detected");
    }

    [Fact]
    public void Corrupted_model_weights_give_a_clean_error_naming_the_file()
    {
        using var model = TinyModels.Create();
        var folder = Path.Combine(_dir, "model");
        HuggingFaceGpt2.Save(model, folder);
        var weights = Path.Combine(folder, "model.safetensors");
        var original = File.ReadAllBytes(weights);
        var random = new Random(7);
        for (var trial = 0; trial < 100; trial++)
        {
            File.WriteAllBytes(weights, Corrupt(original, random));
            try
            {
                HuggingFaceGpt2.LoadModel(folder).Dispose();
            }
            catch (Exception e) when (e is SafetensorsFormatException or LanguageModelFolderException)
            {
                Assert.Contains("model.safetensors", e.Message);
            }
        }
    }
}
