using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Lowering;

/// <summary>Resolves a <see cref="NetworkSpec"/> into a <see cref="NetworkPlan"/>: widths, offsets, buffers, defaults.</summary>
internal static class NetworkLowering
{
    /// <summary>Rows of a model's own prediction workspace, unless so many would not fit one array.</summary>
    public const int PredictChunk = 16;

    /// <summary>The plan of <paramref name="spec"/>, with its gradient-flow estimate unless <paramref name="estimate"/> is false.</summary>
    public static NetworkPlan Lower(NetworkSpec spec, CancellationToken cancellationToken = default, bool estimate = true)
    {
        NetworkPlan plan = new Lowerer(spec, cancellationToken).Lower();
        return estimate ? plan with { PredictedDecades = GradientFlowEstimate.RelativeDecades(plan).ToEquatableArray() } : plan;
    }

    /// <summary><c>HiddenLayer2</c> → <c>hidden_layer2</c>, <c>MLPHead</c> → <c>mlp_head</c>.</summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool wordStart = i > 0 && name[i - 1] != '_'
                    && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (wordStart)
                    builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}

/// <summary>
/// Walks a network's layers once, handing out parameter offsets, workspace regions, names, locals and random streams
/// in order; each layer kind's lowering takes what it needs from here.
/// </summary>
internal sealed class Lowerer(NetworkSpec spec, CancellationToken cancellationToken)
{
    private readonly List<PlanStep> _steps = new();
    private readonly List<string> _names = new();
    private int _perSample;
    private int _fixed;
    private int _streams;
    private int _batchesTracked;

    /// <summary>The stems of the network's locals, unique by construction.</summary>
    public LocalNames Locals { get; } = new();

    /// <summary>The suffix of the element type's literals: <c>f</c> for float, none for double.</summary>
    public string LiteralSuffix { get; } = spec.Precision == PrecisionKind.Double ? "" : "f";

    /// <summary>The index of the step being lowered.</summary>
    public int StepIndex => _steps.Count;

    /// <summary>Parameters handed out so far: the offset of the next one.</summary>
    public int ParameterCount { get; private set; }

    /// <summary>Running statistics handed out so far: the offset of the next one.</summary>
    public int StatisticsCount { get; private set; }

    /// <summary>Layer names added so far: the index of the next one.</summary>
    public int NameCount => _names.Count;

    /// <summary>
    /// Rows per sample of the layer being lowered: the sequence length while the layers read a sequence (a dense layer
    /// then applies to <c>B·Steps</c> rows), else 1.
    /// </summary>
    public int Steps { get; private set; } = 1;

    public NetworkPlan Lower()
    {
        // A layer's width is per row: per step of a sequence, else per sample.
        int width = spec.Inputs;
        Steps = spec.Steps > 0 ? spec.Steps : 1;
        ActivationBuffer? input = null;
        foreach (LayerSpec layer in spec.Layers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PlanStep step = layer.LayerKind.Lower(layer, this, width, input);
            _steps.Add(step);
            input = step.Output;
            width = layer.LayerKind.OutputWidth(layer, width);
            if (layer.LayerKind.IsRecurrent && !layer.LayerKind.ReturnsSequence(layer))
                Steps = 1;
        }
        int inputs = checked(spec.Inputs * (spec.Steps > 0 ? spec.Steps : 1));
        width = checked(width * Steps);

        return new NetworkPlan(
            new HintKey(HintNames.Stem(spec), spec.Identity), spec.Namespace, spec.ContainingTypes, spec.TypeName,
            spec.Precision == PrecisionKind.Double ? "double" : "float",
            inputs, width, ParameterCount, _perSample, _fixed, StatisticsCount,
            (int)System.Math.Min(NetworkLowering.PredictChunk, (NetworkLimits.MaxArrayLength - _fixed) / _perSample), spec.Loss,
            input!, _names.ToEquatableArray(), _steps.ToEquatableArray())
        {
            HiddenGradientNormCount = HiddenGradientNormCount,
        };
    }

    /// <summary>Adds a name to <see cref="NetworkPlan.LayerNames"/>; its index.</summary>
    public int AddName(string name)
    {
        _names.Add(name);
        return _names.Count - 1;
    }

    /// <summary>The next random stream, so that each layer draws its weights from its own.</summary>
    public int NextStream() => _streams++;

    /// <summary>The next BatchNorm's index among the model's <c>num_batches_tracked</c> counters.</summary>
    public int TrackBatches() => _batchesTracked++;

    // Sizes are checked: the parser refuses any beyond NetworkLimits, so an overflow here is a generator bug that
    // must fail loudly rather than wrap into a wrong offset.
    public int Parameters(int count)
    {
        int offset = ParameterCount;
        ParameterCount = checked(ParameterCount + count);
        return offset;
    }

    public int Statistics(int count)
    {
        int offset = StatisticsCount;
        StatisticsCount = checked(StatisticsCount + count);
        return offset;
    }

    /// <summary>Values of <c>‖∂L/∂h_t‖</c> handed out so far, <c>T</c> per recurrent layer: the offset of the next layer's.</summary>
    public int HiddenGradientNormCount { get; private set; }

    public int HiddenGradientNorms(int steps)
    {
        int offset = HiddenGradientNormCount;
        HiddenGradientNormCount = checked(HiddenGradientNormCount + steps);
        return offset;
    }

    public ActivationBuffer PerSample(string name, int width)
    {
        var buffer = new ActivationBuffer(name, _perSample, width);
        _perSample = checked(_perSample + width);
        return buffer;
    }

    public ActivationBuffer Fixed(string name, int width)
    {
        var buffer = new ActivationBuffer(name, _fixed, width, PerSample: false);
        _fixed = checked(_fixed + width);
        return buffer;
    }
}
