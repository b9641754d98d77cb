using SaeWorkbench.Ml.Lm;

namespace SaeWorkbench.Ml.Tests.Lm;

/// <summary>The one check for a hook name the model does not have.</summary>
public class HookPointsTests
{
    [Fact]
    public void An_unknown_hook_is_refused_with_its_name_and_every_valid_hook()
    {
        string[] hooks = ["hook_embed", "blocks.0.hook_resid_post"];
        var e = Assert.Throws<ArgumentException>(() => HookPoints.RequireKnown(hooks, "blocks.7.hook_resid_post"));
        Assert.Equal("unknown hook 'blocks.7.hook_resid_post'; valid hooks: hook_embed, blocks.0.hook_resid_post", e.Message);
        HookPoints.RequireKnown(hooks, "hook_embed");
    }
}
