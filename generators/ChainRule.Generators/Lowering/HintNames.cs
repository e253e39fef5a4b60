using System;
using System.Collections.Generic;
using System.Text;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>One model's key for choosing file names: the stem its file would have and the type's unique identity.</summary>
internal sealed record HintKey(string Stem, string Identity);

/// <summary>
/// File names of generated sources, <c>{Namespace}.{Containing}.{Type}.g.cs</c>, unique even where file names ignore case
/// (Roslyn rejects hint names that differ only in case, and so would the file systems of Windows and macOS).
/// Models whose stems are equal ignoring case (<c>Net</c> and <c>NET</c>) are ordered by identity, ordinally; the
/// first keeps the plain name and the others are numbered, <c>Models.Net.2.g.cs</c>. A number can never be a stem's
/// own segment, since every segment comes from an identifier, which does not start with a digit.
/// </summary>
internal static class HintNames
{
    /// <summary>The stem from the model's names: characters a hint name may not hold (anything but letters, digits and <c>_</c>) become <c>_</c>.</summary>
    public static string Stem(NetworkSpec spec)
    {
        var parts = new List<string>();
        if (spec.Namespace.Length > 0)
            parts.Add(spec.Namespace);
        foreach (ContainingTypeSpec outer in spec.ContainingTypes)
            parts.Add(outer.Name);
        parts.Add(spec.TypeName);
        var stem = new StringBuilder(string.Join(".", parts));
        for (int i = 0; i < stem.Length; i++)
        {
            if (!char.IsLetterOrDigit(stem[i]) && stem[i] is not ('_' or '.'))
                stem[i] = '_';
        }
        return stem.ToString();
    }

    /// <summary>The file name of the model keyed <paramref name="key"/>, among the models of the compilation, <paramref name="all"/>.</summary>
    public static string For(HintKey key, EquatableArray<HintKey> all)
    {
        var earlier = new HashSet<string>(StringComparer.Ordinal);
        foreach (HintKey other in all)
        {
            if (string.Equals(other.Stem, key.Stem, StringComparison.OrdinalIgnoreCase)
                && string.CompareOrdinal(other.Identity, key.Identity) < 0)
                earlier.Add(other.Identity);
        }
        return earlier.Count == 0 ? key.Stem + ".g.cs" : $"{key.Stem}.{earlier.Count + 1}.g.cs";
    }
}
