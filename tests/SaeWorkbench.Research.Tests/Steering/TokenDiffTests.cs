using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Research.Tests.Steering;

public class TokenDiffTests
{
    [Fact]
    public void Only_tokens_outside_the_longest_common_subsequence_are_marked()
    {
        Assert.Equal([false, false, false], TokenDiff.Changed([1, 2, 3], [1, 2, 3]));
        // An inserted token is marked alone; the rest realigns.
        Assert.Equal([false, true, false, false], TokenDiff.Changed([1, 2, 3], [1, 9, 2, 3]));
        Assert.Equal([true, true], TokenDiff.Changed([1, 2], [7, 8]));
        Assert.Equal([true], TokenDiff.Changed([], [5]));
        Assert.Empty(TokenDiff.Changed([1], []));
    }

    [Fact]
    public void The_first_difference_is_where_the_continuations_part()
    {
        Assert.Null(TokenDiff.FirstDifference([1, 2], [1, 2]));
        Assert.Equal(1, TokenDiff.FirstDifference([1, 2, 3], [1, 4, 3]));
        Assert.Equal(2, TokenDiff.FirstDifference([1, 2], [1, 2, 3]));
    }
}
