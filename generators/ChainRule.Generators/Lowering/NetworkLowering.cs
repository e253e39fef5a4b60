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

    /// <summary>ReLU's backward needs only where its output is positive, which is where its input is: its output
    /// overwrites the pre-activation, one buffer fewer to write and read back. Identity has nothing to keep.</summary>
    public static bool KeepsPreActivation(ActivationKind activation) => activation is not (ActivationKind.Identity or ActivationKind.ReLU);

    /// <summary>He for the ReLU family (their derivative is 0 on half the inputs), Xavier for symmetric saturating ones.</summary>
    public static InitKind ResolveInit(InitKind declared, ActivationKind activation) =>
        declared != InitKind.Default ? declared : activation switch
        {
            ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.Gelu or ActivationKind.Silu => InitKind.HeNormal,
            _ => InitKind.XavierNormal,
        };

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

    /// <summary>Walks the layers once, handing out parameter offsets, workspace regions and random streams in order.</summary>
    private sealed class Lowerer(NetworkSpec spec, CancellationToken cancellationToken)
    {
        private readonly List<PlanStep> _steps = new();
        private readonly List<string> _names = new();
        private readonly LocalNames _locals = new();
        private readonly string _literalSuffix = spec.Precision == PrecisionKind.Double ? "" : "f";
        private int _parameters;
        private int _perSample;
        private int _fixed;
        private int _statistics;
        private int _streams;

        public NetworkPlan Lower()
        {
            int width = spec.Inputs;
            ActivationBuffer? input = null;
            foreach (LayerSpec layer in spec.Layers)
            {
                cancellationToken.ThrowIfCancellationRequested();
                PlanStep step = layer switch
                {
                    DenseSpec dense => LowerDense(dense.Name, dense.Modifiers, _locals.Layer(dense.Name), AddName(dense.Name), width, dense.Units, dense.Activation, dense.Init, input, dense.HasBias),
                    NormSpec norm => LowerNorm(norm, width, input),
                    ResidualSpec residual => LowerResidual(residual, width, input),
                    _ => throw new System.InvalidOperationException($"Unknown layer {layer.GetType().Name}."),
                };
                _steps.Add(step);
                input = step.Output;
                width = step.Output.Width;
            }

            return new NetworkPlan(
                new HintKey(HintNames.Stem(spec), spec.Identity), spec.Namespace, spec.ContainingTypes, spec.TypeName,
                spec.Precision == PrecisionKind.Double ? "double" : "float",
                spec.Inputs, width, _parameters, _perSample, _fixed, _statistics,
                (int)System.Math.Min(PredictChunk, (NetworkLimits.MaxArrayLength - _fixed) / _perSample), spec.Loss,
                input!, _names.ToEquatableArray(), _steps.ToEquatableArray());
        }

        private DenseStep LowerDense(string name, string modifiers, string variable, int nameIndex, int inputs, int outputs,
            ActivationKind activation, InitKind init, ActivationBuffer? input, bool hasBias = true)
        {
            bool keepsPreActivation = KeepsPreActivation(activation);
            ActivationBuffer pre = PerSample(LocalNames.Of(variable, keepsPreActivation ? Role.PreActivation : Role.Out), outputs);
            ActivationBuffer output = keepsPreActivation ? PerSample(LocalNames.Of(variable, Role.Out), outputs) : pre;
            int weights = Parameters(checked(inputs * outputs));
            int bias = hasBias ? Parameters(outputs) : -1;
            return new DenseStep(_steps.Count, name, modifiers, variable, nameIndex, inputs, outputs, weights, bias,
                activation, ResolveInit(init, activation), _streams++, input, pre, output);
        }

        private NormStep LowerNorm(NormSpec norm, int width, ActivationBuffer? input)
        {
            string variable = _locals.Layer(norm.Name);
            NormPlan plan = LowerNormParameters(AddName(norm.Name), norm.Kind, width, norm.Epsilon, variable);
            ActivationBuffer output = PerSample(LocalNames.Of(variable, Role.Out), width);
            ActivationBuffer? inputGradient = input is null ? PerSample(LocalNames.Of(variable, Role.In), width) : null;
            return new NormStep(_steps.Count, norm.Name, norm.Modifiers, variable, plan, input, output, inputGradient);
        }

        private NormPlan LowerNormParameters(int nameIndex, NormKind kind, int width, double declaredEpsilon, string variable)
        {
            int gamma = Parameters(kind == NormKind.RMSNorm ? width : 2 * width);
            int statistics = -1;
            if (kind == NormKind.BatchNorm)
            {
                statistics = _statistics;
                _statistics = checked(_statistics + 2 * width);
            }
            ActivationBuffer? mean = kind switch
            {
                NormKind.LayerNorm => PerSample(LocalNames.Of(variable, Role.Mean), 1),
                NormKind.BatchNorm => Fixed(LocalNames.Of(variable, Role.Mean), width),
                _ => null,
            };
            ActivationBuffer rstd = kind == NormKind.BatchNorm ? Fixed(LocalNames.Of(variable, Role.Rstd), width) : PerSample(LocalNames.Of(variable, Role.Rstd), 1);
            double epsilon = declaredEpsilon > 0 ? declaredEpsilon : kind == NormKind.RMSNorm ? 1e-6 : 1e-5;
            return new NormPlan(nameIndex, kind, width, epsilon.ToString("R", CultureInfo.InvariantCulture) + _literalSuffix, gamma, statistics, mean, rstd);
        }

        private ResidualStep LowerResidual(ResidualSpec residual, int width, ActivationBuffer? input)
        {
            string stem = _locals.Stack(residual.Name, residual.Repeat);
            int hidden = residual.Hidden > 0 ? residual.Hidden : width;
            int offset = _parameters;
            int statisticsOffset = residual.Norm == NormKind.BatchNorm ? _statistics : -1;
            int firstName = _names.Count;
            bool pre = residual.Placement == NormPlacementKind.Pre;
            var blocks = new List<ResidualBlockPlan>(residual.Repeat);
            ActivationBuffer? stream = input;
            for (int i = 0; i < residual.Repeat; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string variable = LocalNames.Block(stem, i);
                string prefix = $"{residual.Name}.{i.ToString(CultureInfo.InvariantCulture)}";
                NormPlan norm = LowerNormParameters(AddName(prefix + ".norm"), residual.Norm, width, residual.Epsilon, variable);
                ActivationBuffer? normed = pre ? PerSample(LocalNames.Of(variable, Role.Normed), width) : null;
                DenseStep up = LowerDense(prefix + ".up", "", LocalNames.Projection(variable, Role.Up), AddName(prefix + ".up"), width, hidden,
                    residual.Activation, InitKind.Default, pre ? normed : stream);
                DenseStep down = LowerDense(prefix + ".down", "", LocalNames.Projection(variable, Role.Down), AddName(prefix + ".down"), hidden, width,
                    ActivationKind.Identity, InitKind.Default, up.Output);
                int scale = residual.ReZero ? Parameters(1) : -1;
                ActivationBuffer? sum = pre ? null : PerSample(LocalNames.Of(variable, Role.Sum), width);
                ActivationBuffer output = PerSample(i == residual.Repeat - 1 ? LocalNames.Of(stem, Role.Out) : LocalNames.Of(LocalNames.Block(stem, i + 1), Role.In), width);
                blocks.Add(new ResidualBlockPlan(i, variable, norm, up, down, scale, stream, normed, sum, output));
                stream = output;
            }
            return new ResidualStep(_steps.Count, residual.Name, residual.Modifiers, firstName, residual.Norm, residual.Activation,
                residual.Placement, residual.ReZero, width, hidden, offset, statisticsOffset, input, stream!, blocks.ToEquatableArray());
        }

        private int AddName(string name)
        {
            _names.Add(name);
            return _names.Count - 1;
        }

        // Sizes are checked: the parser refuses any beyond NetworkLimits, so an overflow here is a generator bug that
        // must fail loudly rather than wrap into a wrong offset.
        private int Parameters(int count)
        {
            int offset = _parameters;
            _parameters = checked(_parameters + count);
            return offset;
        }

        private ActivationBuffer PerSample(string name, int width)
        {
            var buffer = new ActivationBuffer(name, _perSample, width);
            _perSample = checked(_perSample + width);
            return buffer;
        }

        private ActivationBuffer Fixed(string name, int width)
        {
            var buffer = new ActivationBuffer(name, _fixed, width, PerSample: false);
            _fixed = checked(_fixed + width);
            return buffer;
        }
    }
}
