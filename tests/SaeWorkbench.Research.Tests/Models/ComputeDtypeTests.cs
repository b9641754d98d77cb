using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Models;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Tests.Models;

/// <summary>Compute dtypes on this machine's device, and the memory check before a model is loaded.</summary>
public sealed class ComputeDtypeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("wb-dtype-").FullName;

    public void Dispose() => Directory.Delete(_folder, true);

    private string SaveTinyModel()
    {
        var tokenizer = BpeTrainer.Train(["the cat sat on the mat", "a dog ran"], 270);
        manual_seed(3);
        using var model = new Gpt2Model(new Gpt2Config(tokenizer.VocabSize, 16, 8, 1, 2, BosTokenId: tokenizer.EndOfTextId));
        var folder = Path.Combine(_folder, "tiny");
        HuggingFaceGpt2.Save(model, folder, tokenizer);
        return folder;
    }

    [Theory]
    [InlineData("bfloat16", ScalarType.BFloat16)]
    [InlineData("float16", ScalarType.Float16)]
    public void A_half_precision_dtype_the_device_accepts_runs_a_whole_forward_pass_close_to_float32(string name, ScalarType dtype)
    {
        var folder = SaveTinyModel();
        var why = ComputeDtypes.Unsupported(name, CPU);
        if (why is not null)
        {
            // Refused: then the device must really fail at it (the probe does not refuse what works).
            Assert.Contains(name, why);
            return;
        }
        using var scope = NewDisposeScope();
        using var full = HuggingFaceModels.Load(folder);
        using var half = HuggingFaceModels.Load(folder, dtype);
        var tokens = tensor(new long[] { 1, 5, 9, 2, 7 }).unsqueeze(0);                 // [1, 5]
        var expected = full.Model.Forward(tokens).to(ScalarType.Float32);              // [1, 5, vocab]
        var actual = half.Model.Forward(tokens);
        Assert.Equal(dtype, half.Model.RunToHook(tokens, "blocks.0.hook_resid_post").dtype);
        // Compared in C#: tensor − tensor in TorchSharp 0.107 leaks an implicit Scalar (see TorchScalars).
        var want = expected.contiguous().data<float>().ToArray();
        var got = actual.to(ScalarType.Float32).contiguous().data<float>().ToArray();
        var error = want.Zip(got, (w, g) => Math.Abs(w - g)).Max();
        // bfloat16 keeps 8 bits of mantissa (float16 11): a few per cent of the logits' spread, far below what a wrong
        // model gives (errors as large as the spread itself).
        var spread = want.Max() - want.Min();
        Assert.True(error < 0.05f * spread, $"{name} logits differ from float32 by {error} (spread {spread})");
    }

    [Theory]
    [InlineData("f32", "float32")]
    [InlineData("BF16", "bfloat16")]
    [InlineData(" fp16 ", "float16")]
    [InlineData("float64", null)]
    [InlineData("int8", null)]
    public void Dtype_names_are_read_as_PyTorch_spells_them(string given, string? expected) =>
        Assert.Equal(expected, ComputeDtypes.Normalize(given));

    [Fact]
    public void A_model_that_does_not_fit_is_refused_with_the_estimate_and_the_memory_available()
    {
        var folder = SaveTinyModel();
        var estimate = ModelMemory.Estimate(folder, "float32", CPU) with { AvailableBytes = 1000 };
        var e = Assert.Throws<ModelMemoryException>(() => ModelMemory.Require(estimate, "tiny", CPU));
        Assert.Equal(
            $"Not enough memory to load tiny in float32 on cpu: it needs about {MemoryEstimate.Gib(estimate.TotalBytes)} " +
            $"({MemoryEstimate.Gib(estimate.WeightBytes)} weights + {MemoryEstimate.Gib(estimate.WorkingBytes)} for a {estimate.Tokens}-token forward pass) " +
            "and 0.0 MiB is available. Choose bfloat16 on the Models page, or a machine with more memory.", e.Message);
    }

    [Fact]
    public void The_estimate_halves_the_weights_in_bfloat16_and_reads_the_memory_this_machine_has()
    {
        var folder = SaveTinyModel();
        var f32 = ModelMemory.Estimate(folder, "float32", CPU);
        var bf16 = ModelMemory.Estimate(folder, "bfloat16", CPU);
        Assert.Equal(f32.WeightBytes, 2 * bf16.WeightBytes);
        Assert.True(f32.AvailableBytes > 0);
        Assert.True(ModelMemory.Check(folder, "float32", CPU).Fits);
    }
}
