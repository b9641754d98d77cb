using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests;

public class TorchSmokeTests
{
    [Fact]
    public void Native_library_loads_and_multiplies_matrices()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });
        var b = eye(2);
        var c = matmul(a, b);
        Assert.Equal(4f, c[1, 1].item<float>());
    }
}
