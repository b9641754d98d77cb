namespace SaeWorkbench.Ml.Activations;

/// <summary>Which (input hook, output hook) pairs a transcoder can read and write (docs/science.md §12).</summary>
public static class TranscoderHooks
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the reason when <paramref name="outputHook"/> cannot be the output
    /// of a transcoder reading <paramref name="inputHook"/> of a model with <paramref name="hookNames"/> (in forward
    /// order): both must be hooks, and the output must come later in the forward pass, because its activations are
    /// collected, replaced (CE splice) and edited (ablation, steering) from latents computed at the input hook in the
    /// same pass.
    /// </summary>
    public static void Check(IReadOnlyList<string> hookNames, string inputHook, string outputHook)
    {
        var input = IndexOf(hookNames, inputHook);
        if (input < 0) throw new ArgumentException($"unknown input hook '{inputHook}'; valid hooks: {string.Join(", ", hookNames)}");
        var output = IndexOf(hookNames, outputHook);
        if (output < 0) throw new ArgumentException($"unknown output hook '{outputHook}'; valid hooks: {string.Join(", ", hookNames)}");
        if (output <= input)
            throw new ArgumentException($"the output hook '{outputHook}' does not come after the input hook '{inputHook}' in the forward pass; " +
                                        "a transcoder's latents are computed at its input hook and written at its output hook in the same pass. " +
                                        $"Hooks after '{inputHook}': {string.Join(", ", hookNames.Skip(input + 1).Take(12))}{(hookNames.Count - input - 1 > 12 ? ", …" : "")}");
    }

    /// <summary>
    /// Whether what a transcoder writes at <paramref name="outputHook"/> is (part of) the residual stream, so that a
    /// decoder row is a residual direction whose logit effect W_dec,i·W_U means something (docs/science.md §6, §12): the
    /// sublayer outputs added to it (hook_attn_out, hook_mlp_out, after any post-norm) and the stream itself
    /// (hook_resid_pre/mid/post). An MLP's hidden activations or a normalised input are not.
    /// </summary>
    public static bool WritesResidualStream(string outputHook) =>
        outputHook.StartsWith("blocks.", StringComparison.Ordinal)
        && (outputHook.EndsWith(".hook_mlp_out", StringComparison.Ordinal) || outputHook.EndsWith(".hook_attn_out", StringComparison.Ordinal)
            || outputHook.EndsWith(".hook_resid_pre", StringComparison.Ordinal) || outputHook.EndsWith(".hook_resid_mid", StringComparison.Ordinal)
            || outputHook.EndsWith(".hook_resid_post", StringComparison.Ordinal));

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }
}
