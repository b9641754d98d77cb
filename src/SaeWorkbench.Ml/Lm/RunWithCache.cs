using SaeWorkbench.Ml.Formats;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// The analogue of TransformerLens' <c>run_with_cache</c> for one sequence: logits and the activations at the
/// requested hooks, as float32 CPU tensors [T, width] named by the hook (written by <c>sae lm run</c>).
/// </summary>
public static class RunWithCache
{
    /// <summary>Runs <paramref name="tokens"/> and returns "logits" [T, vocab] plus one [T, width] tensor per hook.</summary>
    public static Dictionary<string, Tensor> Run(IHookedLanguageModel model, IReadOnlyList<int> tokens, IReadOnlyList<string> hooks)
    {
        if (tokens.Count == 0) throw new ArgumentException("no tokens to run");
        if (tokens.Count > model.ContextLength)
            throw new ArgumentException($"{tokens.Count} tokens are more than the model's context of {model.ContextLength}");
        var bad = tokens.Where(t => t < 0 || t >= model.VocabSize).Distinct().Take(5).ToList();
        if (bad.Count > 0)
            throw new ArgumentException($"token ids outside the vocabulary of {model.VocabSize}: {string.Join(", ", bad)}");
        foreach (var hook in hooks) HookPoints.RequireKnown(model.HookNames, hook);
        if (hooks.Distinct().Count() != hooks.Count || hooks.Contains("logits"))
            throw new ArgumentException("hook names must be distinct (and \"logits\" is the logits tensor's name)");

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var handles = new List<IDisposable>();
        try
        {
            using var scope = NewDisposeScope();
            foreach (var hook in hooks)
                handles.Add(model.AddHook(hook, a =>
                {
                    result[hook] = a[0].detach().to(ScalarType.Float32).cpu().clone().DetachFromDisposeScope(); // [T, width]
                    return a;
                }));
            var input = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Count], device: model.Device); // [1, T]
            result["logits"] = model.Forward(input)[0].to(ScalarType.Float32).cpu().contiguous().DetachFromDisposeScope(); // [T, vocab]
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        finally
        {
            handles.ForEach(h => h.Dispose());
        }
    }

    /// <summary>Runs and writes the tensors to a safetensors file.</summary>
    public static void RunToFile(IHookedLanguageModel model, IReadOnlyList<int> tokens, IReadOnlyList<string> hooks, string path)
    {
        var tensors = Run(model, tokens, hooks);
        try
        {
            Safetensors.Save(path, tensors, new Dictionary<string, string> { ["family"] = model.Family, ["tokens"] = string.Join(",", tokens) });
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
