using System.Text.Json;
using System.Text.Json.Serialization;
using SaeWorkbench.Ml.Formats;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>What a checkpoint holds besides tensors; <paramref name="OutputActivationScale"/> is a transcoder's s_out (null for an SAE).</summary>
public sealed record SaeCheckpointInfo(long Step, long SourcePosition, double ActivationScale, int DIn, SaeTrainingConfig Config,
    double? OutputActivationScale = null);

/// <summary>
/// Training checkpoints: <c>&lt;dir&gt;/checkpoint/{state.safetensors, state.json}</c> with the parameters, Adam
/// moments, dead-latent counters, step, data position, activation scale and config. A new checkpoint is
/// written to a temporary folder and moved into place, so a kill never leaves a half-written one.
/// The run uses no random numbers after initialisation (data order is a function of the position), so the
/// step and data position are the whole RNG state.
/// </summary>
public static class SaeCheckpoint
{
    public const string FolderName = "checkpoint";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static void Save(string directory, SaeTrainingState state, SaeCheckpointInfo info)
    {
        Directory.CreateDirectory(directory);
        var final = Path.Combine(directory, FolderName);
        var temp = Path.Combine(directory, $".{FolderName}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        Safetensors.Save(Path.Combine(temp, "state.safetensors"), state.CheckpointTensors());
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(info, Json));
        var old = final + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(final)) Directory.Move(final, old);
        Directory.Move(temp, final);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>Loads the checkpoint in <paramref name="directory"/>, or null when there is none.</summary>
    public static (SaeTrainingState State, SaeCheckpointInfo Info)? TryLoad(string directory)
    {
        var folder = Path.Combine(directory, FolderName);
        // A kill between the two moves of Save leaves only the previous checkpoint, under ".old".
        if (!File.Exists(Path.Combine(folder, "state.json"))) folder += ".old";
        if (!File.Exists(Path.Combine(folder, "state.json"))) return null;
        var info = JsonSerializer.Deserialize<SaeCheckpointInfo>(File.ReadAllText(Path.Combine(folder, "state.json")), Json)
                   ?? throw new InvalidDataException($"{folder}/state.json is empty");
        var tensors = Safetensors.Load(Path.Combine(folder, "state.safetensors"));
        foreach (var t in tensors.Values) t.DetachFromDisposeScope();
        var state = SaeTrainingState.FromCheckpointTensors(info.Config, info.DIn, info.Step, tensors);
        return (state, info);
    }
}
