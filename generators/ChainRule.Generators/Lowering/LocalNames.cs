using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace ChainRule.Generators.Lowering;

/// <summary>
/// The roles a layer's locals play. Every local of generated code that belongs to a layer is named
/// <c>{stem}_{role}</c> with one of these (<see cref="LocalNames.Of"/>), or is the gradient twin <c>d{stem}_{role}</c>
/// of one (<see cref="LocalNames.Gradient"/>): llm.c's <c>hidden_out</c> and <c>dhidden_out</c>.
/// </summary>
internal static class Role
{
    public const string Weight = "weight";
    public const string Bias = "bias";
    public const string Random = "random";
    public const string Dead = "dead";
    public const string WeightGradientSquares = "dweight_squares";
    public const string BiasGradientSquares = "dbias_squares";
    public const string Gamma = "gamma";
    public const string Beta = "beta";
    public const string RunningMean = "running_mean";
    public const string RunningVariance = "running_variance";
    public const string GammaGradientSquares = "dgamma_squares";
    public const string BetaGradientSquares = "dbeta_squares";
    public const string Scale = "scale";
    public const string PreActivation = "pre";
    public const string Out = "out";
    public const string In = "in";
    public const string Mean = "mean";
    public const string Rstd = "rstd";
    public const string Normed = "norm";
    public const string Sum = "sum";
    public const string Up = "up";
    public const string Down = "down";
    public const string WeightIH = "weight_ih";
    public const string WeightHH = "weight_hh";
    public const string BiasIH = "bias_ih";
    public const string BiasHH = "bias_hh";
    public const string Cache = "cache";
    public const string HiddenGradientNorms = "hidden_norms";

    /// <summary>Every role above; a stem is handed out only when all of them are free for it.</summary>
    public static readonly string[] All =
    [
        Weight, Bias, Random, Dead, WeightGradientSquares, BiasGradientSquares, Gamma, Beta, RunningMean, RunningVariance,
        GammaGradientSquares, BetaGradientSquares, Scale, PreActivation, Out, In, Mean, Rstd, Normed, Sum, Up, Down,
        WeightIH, WeightHH, BiasIH, BiasHH, Cache, HiddenGradientNorms,
    ];
}

/// <summary>
/// Hands out the stems of one network's locals so that no two generated identifiers can be equal, whatever the user
/// named the layers. A layer's stem is its name in snake_case (<c>Hidden</c> → <c>hidden</c>), numbered
/// (<c>hidden2</c>, <c>hidden3</c>, …) until every name it can form — each role of <see cref="Role.All"/>, plain and
/// gradient twin, for the layer and for every stem its kind forms from it (a residual stack's blocks) — is free: not formed by an earlier layer, not
/// one of the fixed names the generated methods use, not a keyword. Generated code names a layer's locals only
/// through <see cref="Of"/> and <see cref="Gradient"/>, so uniqueness holds by construction, not by luck of naming:
/// a dense layer <c>Body0Up</c> beside a stack <c>Body</c> (whose block 0 forms <c>body0_up_weight</c>) becomes
/// <c>body0_up2</c>, and <c>Dlogits</c> beside <c>Logits</c> (whose gradient is <c>dlogits_out</c>) becomes <c>dlogits2</c>.
/// </summary>
internal sealed class LocalNames
{
    /// <summary>Parameters and locals of the generated methods that belong to no layer, and the members their bodies use unqualified.</summary>
    private static readonly string[] Fixed =
    [
        "inputs", "input", "outputs", "output", "acts", "dacts", "parameters", "gradients", "statistics", "training", "B", "report",
        "squares", "seed", "batch", "start", "labels", "targets", "loss", "totalNorm", "applied", "layer", "lambda", "epsilon",
        "options", "model", "_parameters", "_gradients", "_statistics", "_predictWorkspaces", "_weightNorms", "_model", "_state",
        "_clipAdaptive", "_acts", "_dacts", "_split", "part", "parts", "first",
    ];

    private readonly HashSet<string> _taken = new(Fixed, StringComparer.Ordinal);

    /// <summary>The local of <paramref name="stem"/> playing <paramref name="role"/>: <c>hidden_out</c>.</summary>
    public static string Of(string stem, string role) => stem + "_" + role;

    /// <summary>The gradient of the local <paramref name="name"/>: <c>dhidden_out</c>.</summary>
    public static string Gradient(string name) => "d" + name;

    /// <summary>A stem for a dense or norm layer named <paramref name="name"/>.</summary>
    public string Layer(string name) => Allocate(name, stem => [stem]);

    /// <summary>
    /// A stem for a layer named <paramref name="name"/> whose locals use the stems <paramref name="family"/> forms from
    /// it (a residual stack's blocks and their projections): the first numbering of the name for which every one is free.
    /// </summary>
    public string Allocate(string name, Func<string, List<string>> family)
    {
        string preferred = NetworkLowering.ToSnakeCase(name);
        var names = new List<string>();
        for (int number = 1; ; number++)
        {
            string stem = number == 1 ? preferred : preferred + number.ToString(CultureInfo.InvariantCulture);
            names.Clear();
            foreach (string member in family(stem))
            {
                foreach (string role in Role.All)
                {
                    names.Add(Of(member, role));
                    names.Add(Gradient(Of(member, role)));
                }
            }
            if (AllFree(names))
            {
                _taken.UnionWith(names);
                return stem;
            }
        }
    }

    private bool AllFree(List<string> names)
    {
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (_taken.Contains(name) || !distinct.Add(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
                return false;
        }
        return true;
    }
}
