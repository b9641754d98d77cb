using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// Loads a registered dictionary's folder the way it was imported: with the import options stored in its import record
/// (centring, norm scaling factor; docs/science.md §11). Every service that reads a registered dictionary's weights goes
/// through here, so none can load a folder that needs an option without it (which would refuse, or for centring silently
/// compute other activations).
/// </summary>
public static class RegisteredSae
{
    /// <summary>The options the dictionary was imported with; the defaults for one trained here or imported without any.</summary>
    public static SaeLoadOptions OptionsOf(SaeDictionary dictionary) =>
        ImportInfo.Parse(dictionary.TrainingConfigJson)?.Options ?? new SaeLoadOptions();

    /// <summary>Reads <paramref name="dictionary"/> from <paramref name="folder"/> (its <c>SaePath</c>, resolved) with its stored options.</summary>
    public static SaeLensSae Load(SaeDictionary dictionary, string folder) => SaeFolders.Load(folder, OptionsOf(dictionary));

    /// <summary>As <see cref="Load(SaeDictionary, string)"/>, and checked against <paramref name="model"/>'s hooks and widths.</summary>
    public static SaeLensSae Load(SaeDictionary dictionary, string folder, IHookedLanguageModel model) =>
        SaeFolders.Load(folder, model, OptionsOf(dictionary));
}
