using System.Collections.Generic;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    private static void WriteForward(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        string training = plan.HasBatchNorm ? ", bool training" : "";
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Runs every layer on a batch of <paramref name=\"B\"/> rows, storing each layer's values in <paramref name=\"acts\"/>;");
        writer.WriteLine("/// ReLU layers count their dead units into <paramref name=\"report\"/> when there is one, and dense layers store their");
        writer.WriteLine("/// <c>‖W‖</c> into <paramref name=\"weightNorms\"/> unless it is empty.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void Forward({ReadOnlySpan}<{t}> inputs, {Span}<{t}> acts, int B{training}, {Report}? report, {Span}<double> weightNorms)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            if (plan.HasBatchNorm)
                writer.WriteLine($"{Span}<{t}> statistics = _statistics;");
            var pass = new Pass(writer, plan);
            foreach (PlanStep step in plan.Steps)
            {
                writer.WriteLine();
                switch (step)
                {
                    case DenseStep dense:
                        writer.WriteLine(DenseBanner(dense, $"layer {dense.Index}: {dense.Name}"));
                        WriteDenseForward(pass, dense);
                        break;
                    case NormStep norm:
                        writer.WriteLine($"// ---- layer {norm.Index}: {norm.Name}, {norm.Norm.Kind} over {norm.Norm.Features} ----");
                        WriteNormForward(pass, norm.Norm, norm.Variable, norm.Output, norm.Input);
                        break;
                    case ResidualStep residual:
                        WriteResidualForward(pass, residual);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Writes the backward pass: the forward steps in exact reverse order. On entry the workspace gradient of the
    /// network's output holds ∂loss/∂output (written by the loss); parameter gradients accumulate with +=.
    /// </summary>
    private static void WriteBackward(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Back-propagates the output gradient in <paramref name=\"dacts\"/> through every layer in reverse, adding each");
        writer.WriteLine("/// layer's parameter gradients into <paramref name=\"gradients\"/> (laid out like <see cref=\"Gradients\"/>) and its gradient");
        writer.WriteLine("/// norms into <paramref name=\"report\"/>.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <returns>The sum of squares of every parameter gradient, from the kernels that wrote them.</returns>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private double Backward({ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{t}> acts, {Span}<{t}> dacts, int B, {Span}<{t}> gradients, {Report}? report)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{t}> parameters = _parameters;");
            writer.WriteLine("double squares = 0;");
            var pass = new Pass(writer, plan);
            DenseStep? reluBelow = null;
            for (int i = plan.Steps.Count - 1; i >= 0; i--)
            {
                writer.WriteLine();
                switch (plan.Steps[i])
                {
                    case DenseStep dense:
                        writer.WriteLine(DenseBanner(dense, $"layer {dense.Index}: {dense.Name}"));
                        // The layer above may already have carried this layer's gradient through its ReLU.
                        bool reluApplied = ReferenceEquals(reluBelow, dense);
                        reluBelow = i > 0 ? ReluBelow(dense, plan.Steps[i - 1]) : null;
                        WriteDenseBackward(pass, dense, accumulateInputGradient: false, reluBelow: reluBelow, reluApplied: reluApplied);
                        break;
                    case NormStep norm:
                        writer.WriteLine($"// ---- layer {norm.Index}: {norm.Name}, {norm.Norm.Kind} over {norm.Norm.Features} ----");
                        WriteNormBackward(pass, norm);
                        break;
                    case ResidualStep residual:
                        WriteResidualBackward(pass, residual);
                        break;
                }
            }
            writer.WriteLine();
            writer.WriteLine("return squares;");
        }
    }

    /// <summary>
    /// Where the first NaN or ∞ of a training forward pass appeared: layer outputs (and BatchNorm's new running
    /// statistics) checked in forward order, run only once the loss or the statistics are not finite.
    /// </summary>
    private static void WriteFirstNonFiniteLayer(SourceWriter writer, NetworkPlan plan)
    {
        writer.WriteLine(plan.HasBatchNorm
            ? "/// <summary>The index in <see cref=\"LayerNames\"/> of the first layer whose output or running statistics hold NaN or ∞, or −1.</summary>"
            : "/// <summary>The index in <see cref=\"LayerNames\"/> of the first layer whose output holds NaN or ∞, or −1.</summary>");
        writer.WriteLine(GeneratedCode);
        string statistics = plan.HasBatchNorm ? $", {ReadOnlySpan}<{plan.ElementType}> statistics" : "";
        using (writer.Open($"private static int FirstNonFiniteLayer({ReadOnlySpan}<{plan.ElementType}> acts{statistics}, int B)"))
        {
            foreach (PlanStep step in plan.Steps)
            {
                switch (step)
                {
                    case DenseStep dense:
                        WriteFiniteCheck(writer, plan, dense.NameIndex, dense.Output);
                        break;
                    case NormStep norm:
                        WriteFiniteCheck(writer, plan, norm.Norm.NameIndex, norm.Output);
                        WriteStatisticsCheck(writer, plan, norm.Norm);
                        break;
                    case ResidualStep residual:
                        foreach (ResidualBlockPlan block in residual.Blocks)
                        {
                            if (block.Normed is { } normed)
                            {
                                WriteFiniteCheck(writer, plan, block.Norm.NameIndex, normed);
                                WriteStatisticsCheck(writer, plan, block.Norm);
                            }
                            WriteFiniteCheck(writer, plan, block.Up.NameIndex, block.Up.Output);
                            WriteFiniteCheck(writer, plan, block.Down.NameIndex, block.Down.Output);
                            WriteFiniteCheck(writer, plan, block.Normed is null ? block.Norm.NameIndex : block.Down.NameIndex, block.Output);
                            if (block.Normed is null)
                                WriteStatisticsCheck(writer, plan, block.Norm);
                        }
                        break;
                }
            }
            writer.WriteLine("return -1;");
        }
    }

    private static void WriteStatisticsCheck(SourceWriter writer, NetworkPlan plan, NormPlan norm)
    {
        if (norm.StatisticsOffset >= 0)
            writer.WriteLine($"if (!global::System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(statistics.Slice({norm.StatisticsOffset}, {2 * norm.Features}))) return {norm.NameIndex}; // {plan.LayerNames[norm.NameIndex]} running statistics");
    }

    private static void WriteFiniteCheck(SourceWriter writer, NetworkPlan plan, int nameIndex, ActivationBuffer buffer) =>
        writer.WriteLine($"if (!global::System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(acts.Slice({(buffer.Offset == 0 ? "0" : $"{buffer.Offset} * B")}, {buffer.Width} * B))) return {nameIndex}; // {plan.LayerNames[nameIndex]}");

    /// <summary>The locals one pass has declared, so each workspace slice is declared once, where first used.</summary>
    private sealed class Pass(SourceWriter writer, NetworkPlan plan)
    {
        private readonly HashSet<string> _declared = new();

        public SourceWriter Writer { get; } = writer;

        public NetworkPlan Plan { get; } = plan;

        public string One => Plan.ElementType == "double" ? "1.0" : "1f";

        /// <summary>The activation (<paramref name="gradient"/> false) or its gradient, declared on first use; the network input is <c>inputs</c>.</summary>
        public string Use(ActivationBuffer? buffer, bool gradient = false)
        {
            if (buffer is null)
                return "inputs";
            string name = gradient ? LocalNames.Gradient(buffer.Name) : buffer.Name;
            if (_declared.Add(name))
            {
                string workspace = gradient ? "dacts" : "acts";
                string start = !buffer.PerSample
                    ? $"{Plan.ActivationsPerSample} * B + {buffer.Offset}"
                    : buffer.Offset == 0 ? "0" : $"{buffer.Offset} * B";
                string length = buffer.PerSample ? (buffer.Width == 1 ? "B" : $"{buffer.Width} * B") : $"{buffer.Width}";
                string shape = buffer.PerSample ? (buffer.Width == 1 ? "(B)" : $"(B, {buffer.Width})") : $"({buffer.Width})";
                Writer.WriteLine($"var {name} = {workspace}.Slice({start}, {length}); // {shape}");
            }
            return name;
        }

        /// <summary>A slice of the parameter (or gradient) buffer, declared on first use.</summary>
        public string Parameter(string name, int offset, int length, string shape, bool gradient = false)
        {
            string local = gradient ? LocalNames.Gradient(name) : name;
            if (_declared.Add(local))
                Writer.WriteLine($"var {local} = {(gradient ? "gradients" : "parameters")}.Slice({offset}, {length}); // {shape}");
            return local;
        }

        /// <summary>One parameter read as a value, declared on first use.</summary>
        public string Scalar(string name, int offset, string comment)
        {
            if (_declared.Add(name))
                Writer.WriteLine($"var {name} = parameters[{offset}]; // {comment}");
            return name;
        }

        /// <summary>BatchNorm's running mean or variance, declared on first use.</summary>
        public string Statistic(string name, int offset, int length)
        {
            if (_declared.Add(name))
                Writer.WriteLine($"var {name} = statistics.Slice({offset}, {length}); // ({length})");
            return name;
        }
    }

    private static string DenseBanner(DenseStep dense, string label) =>
        $"// ---- {label}, Dense {dense.Inputs} → {dense.Outputs}{(dense.HasActivation ? ", " + dense.Activation : "")}{(dense.HasBias ? "" : ", no bias")} ----";

    private static void WriteDenseForward(Pass pass, DenseStep dense)
    {
        string weight = pass.Parameter(LocalNames.Of(dense.Variable, Role.Weight), dense.WeightOffset, dense.WeightCount, $"({dense.Outputs}, {dense.Inputs})");
        // An empty span is the kernels' "no bias" (Bias = false).
        string bias = dense.HasBias ? pass.Parameter(LocalNames.Of(dense.Variable, Role.Bias), dense.BiasOffset, dense.Outputs, $"({dense.Outputs})") : "bias: default";
        string input = pass.Use(dense.Input);
        string pre = pass.Use(dense.PreActivation);
        string output = pass.Use(dense.Output);
        // The report's ‖W‖ is summed as the product packs the weights, block by block in L2, not in a pass of its own.
        string weightNorm = $"WeightNormOf({dense.NameIndex}, weightNorms)";
        if (dense.Activation == ActivationKind.ReLU)
        {
            // The ReLU is applied in the product's epilogue, over the pre-activation in place (the plan keeps no
            // separate one for ReLU): no second pass, no second buffer.
            string dead = LocalNames.Of(dense.Variable, Role.Dead);
            pass.Writer.WriteLine($"int {dead} = {Kernels}.Dense.ForwardRelu({output}, {input}, {weight}, {bias}, B, {dense.Inputs}, {dense.Outputs}, {weightNorm});");
            pass.Writer.WriteLine($"report?.RecordDeadUnits({dense.NameIndex}, {dead}, {dense.Outputs} * B);");
        }
        else
        {
            pass.Writer.WriteLine($"{Kernels}.Dense.Forward({pre}, {input}, {weight}, {bias}, B, {dense.Inputs}, {dense.Outputs}, {weightNorm});");
            if (dense.HasActivation)
                pass.Writer.WriteLine($"{Kernels}.{ActivationKernel(dense.Activation)}.Forward({output}, {pre});");
        }
    }

    /// <summary>
    /// Activation backward, then ∂W and ∂b, then the input gradient: written over the input's gradient, or added to
    /// it (<paramref name="accumulateInputGradient"/>) when the input also feeds a residual skip path. When the input
    /// is the output of <paramref name="reluBelow"/>, a ReLU dense layer, the input gradient is carried on through that
    /// ReLU in the product's epilogue, straight into its ∂pre; that layer is then written with
    /// <paramref name="reluApplied"/> and skips its activation backward.
    /// </summary>
    private static void WriteDenseBackward(Pass pass, DenseStep dense, bool accumulateInputGradient, string? outputGradient = null, string? inputGradient = null,
        DenseStep? reluBelow = null, bool reluApplied = false)
    {
        bool activationBackward = dense.HasActivation && !reluApplied;
        string doutput = dense.HasActivation && reluApplied ? "" : outputGradient ?? pass.Use(dense.Output, gradient: true);
        string dpre = dense.HasActivation ? pass.Use(dense.PreActivation, gradient: true) : doutput;
        string pre = activationBackward ? pass.Use(dense.PreActivation) : "";
        string output = activationBackward ? pass.Use(dense.Output) : "";
        string input = pass.Use(dense.Input);
        string dweight = pass.Parameter(LocalNames.Of(dense.Variable, Role.Weight), dense.WeightOffset, dense.WeightCount, $"({dense.Outputs}, {dense.Inputs})", gradient: true);
        string dbias = dense.HasBias ? pass.Parameter(LocalNames.Of(dense.Variable, Role.Bias), dense.BiasOffset, dense.Outputs, $"({dense.Outputs})", gradient: true) : "dbias: default";
        bool needsInputGradient = dense.Input is not null;
        string weight = needsInputGradient ? pass.Parameter(LocalNames.Of(dense.Variable, Role.Weight), dense.WeightOffset, dense.WeightCount, $"({dense.Outputs}, {dense.Inputs})") : "";
        string dinput = !needsInputGradient ? ""
            : reluBelow is not null ? pass.Use(reluBelow.PreActivation, gradient: true)
            : inputGradient ?? pass.Use(dense.Input, gradient: true);

        if (activationBackward)
            pass.Writer.WriteLine($"{Kernels}.{ActivationKernel(dense.Activation)}.Backward({dpre}, {doutput}, {pre}, {output});");
        else if (dense.HasActivation)
            pass.Writer.WriteLine($"// {dpre} came through the ReLU with the input gradient of the layer above.");
        string dweightSquares = LocalNames.Of(dense.Variable, Role.WeightGradientSquares);
        string dbiasSquares = LocalNames.Of(dense.Variable, Role.BiasGradientSquares);
        // Each dense layer's gradients are written once per backward pass: overwritten, so the trainer need not clear them.
        // Typed, so that `out double _` stays a discard even when the model has a member named _.
        pass.Writer.WriteLine($"{Kernels}.Dense.BackwardParameters({dweight}, {dbias}, {dpre}, {input}, B, {dense.Inputs}, {dense.Outputs}, accumulate: false, out double {dweightSquares}, out double {(dense.HasBias ? dbiasSquares : "_")});");
        pass.Writer.WriteLine(dense.HasBias ? $"squares += {dweightSquares} + {dbiasSquares};" : $"squares += {dweightSquares};");
        // The report's bias norm is NaN for a layer without bias, as for RMSNorm's missing β.
        string biasNorm = dense.HasBias ? $"global::System.Math.Sqrt({dbiasSquares})" : "double.NaN";
        pass.Writer.WriteLine($"report?.Record({dense.NameIndex}, global::System.Math.Sqrt({dweightSquares}), {biasNorm}, _weightNorms[{dense.NameIndex}]);");
        if (!needsInputGradient)
            pass.Writer.WriteLine("// The network input needs no gradient.");
        else if (reluBelow is not null)
            pass.Writer.WriteLine($"{Kernels}.Dense.BackwardInputRelu({dinput}, {dpre}, {weight}, {pass.Use(reluBelow.PreActivation)}, B, {dense.Inputs}, {dense.Outputs});");
        else
            pass.Writer.WriteLine($"{Kernels}.Dense.{(accumulateInputGradient ? "BackwardInputAdd" : "BackwardInput")}({dinput}, {dpre}, {weight}, B, {dense.Inputs}, {dense.Outputs});");
    }

    /// <summary>
    /// <paramref name="below"/> when it is a ReLU dense layer whose output is <paramref name="dense"/>'s input, so that
    /// <paramref name="dense"/>'s input gradient can go straight through the ReLU; else null. Callers pass only layers
    /// whose input feeds nothing else, so that input gradient is written, not added to.
    /// </summary>
    private static DenseStep? ReluBelow(DenseStep dense, PlanStep below) =>
        below is DenseStep { Activation: ActivationKind.ReLU } relu && relu.Output == dense.Input ? relu : null;

    private static string Gamma(Pass pass, NormPlan norm, string variable) =>
        pass.Parameter(LocalNames.Of(variable, Role.Gamma), norm.GammaOffset, norm.Features, $"({norm.Features})");

    private static (string Gamma, string? Beta) NormParameters(Pass pass, NormPlan norm, string variable, bool gradient)
    {
        string gamma = pass.Parameter(LocalNames.Of(variable, Role.Gamma), norm.GammaOffset, norm.Features, $"({norm.Features})", gradient);
        string? beta = norm.HasBeta ? pass.Parameter(LocalNames.Of(variable, Role.Beta), norm.GammaOffset + norm.Features, norm.Features, $"({norm.Features})", gradient) : null;
        return (gamma, beta);
    }

    private static (string Mean, string Variance) RunningStatistics(Pass pass, NormPlan norm, string variable) =>
        (pass.Statistic(LocalNames.Of(variable, Role.RunningMean), norm.StatisticsOffset, norm.Features),
         pass.Statistic(LocalNames.Of(variable, Role.RunningVariance), norm.StatisticsOffset + norm.Features, norm.Features));

    /// <summary>The cached statistics arguments in kernel order: <c>mean, rstd</c>, or <c>rstd</c> alone for RMSNorm.</summary>
    private static string Cache(Pass pass, NormPlan norm) =>
        norm.Mean is { } mean ? $"{pass.Use(mean)}, {pass.Use(norm.Rstd)}" : pass.Use(norm.Rstd);

    private static string Affine(string gamma, string? beta) => beta is null ? gamma : $"{gamma}, {beta}";

    private static void WriteNormForward(Pass pass, NormPlan norm, string variable, ActivationBuffer output, ActivationBuffer? input)
    {
        var (gamma, beta) = NormParameters(pass, norm, variable, gradient: false);
        string x = pass.Use(input);
        string y = pass.Use(output);
        string sizes = $"B, {norm.Features}, {norm.Epsilon}";
        if (norm.Kind != NormKind.BatchNorm)
        {
            pass.Writer.WriteLine($"{Kernels}.{NormKernel(norm.Kind)}.Forward({y}, {Cache(pass, norm)}, {x}, {Affine(gamma, beta)}, {sizes});");
            return;
        }
        var (runningMean, runningVariance) = RunningStatistics(pass, norm, variable);
        string cache = Cache(pass, norm);
        pass.Writer.WriteLine("if (training)");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.ForwardTraining({y}, {cache}, {runningMean}, {runningVariance}, {x}, {Affine(gamma, beta)}, {sizes}, {Momentum(pass)});");
        pass.Writer.WriteLine("else");
        pass.Writer.WriteLine($"    {Kernels}.BatchNorm.ForwardInference({y}, {x}, {runningMean}, {runningVariance}, {Affine(gamma, beta)}, {sizes});");
    }

    private static void WriteNormBackward(Pass pass, NormStep step)
    {
        NormPlan norm = step.Norm;
        string gamma = Gamma(pass, norm, step.Variable);
        var (dgamma, dbeta) = NormParameters(pass, norm, step.Variable, gradient: true);
        string dx = step.Input is null ? pass.Use(step.InputGradient, gradient: true) : pass.Use(step.Input, gradient: true);
        if (step.Input is null)
            pass.Writer.WriteLine("// The network input needs no gradient, but the kernel computes it on its way to ∂γ and ∂β.");
        pass.Writer.WriteLine($"{Kernels}.{NormKernel(norm.Kind)}.Backward({dx}, {Affine(dgamma, dbeta)}, {pass.Use(step.Output, gradient: true)}, {pass.Use(step.Input)}, {Cache(pass, norm)}, {gamma}, B, {norm.Features});");
        WriteNormGradientNorms(pass, norm, step.Variable, gamma, dgamma, dbeta);
    }

    /// <summary>∂γ and ∂β are vectors of one row's width, so their norms cost a pass over a few hundred values.</summary>
    private static void WriteNormGradientNorms(Pass pass, NormPlan norm, string variable, string gamma, string dgamma, string? dbeta)
    {
        string t = pass.Plan.ElementType;
        string dgammaSquares = LocalNames.Of(variable, Role.GammaGradientSquares);
        string dbetaSquares = LocalNames.Of(variable, Role.BetaGradientSquares);
        pass.Writer.WriteLine($"double {dgammaSquares} = {Kernels}.Norms.SumOfSquares<{t}>({dgamma});");
        if (dbeta is not null)
            pass.Writer.WriteLine($"double {dbetaSquares} = {Kernels}.Norms.SumOfSquares<{t}>({dbeta});");
        string betaSquares = dbeta is null ? "" : $" + {dbetaSquares}";
        string betaNorm = dbeta is null ? "double.NaN" : $"global::System.Math.Sqrt({dbetaSquares})";
        pass.Writer.WriteLine($"squares += {dgammaSquares}{betaSquares};");
        pass.Writer.WriteLine($"report?.Record({norm.NameIndex}, global::System.Math.Sqrt({dgammaSquares}), {betaNorm}, {Kernels}.Norms.L2({gamma}));");
    }

    private static string Momentum(Pass pass) => pass.Plan.ElementType == "double" ? "0.1" : "0.1f";

    private static string NormKernel(NormKind kind) => kind switch
    {
        NormKind.LayerNorm => "LayerNorm",
        NormKind.RMSNorm => "RmsNorm",
        _ => "BatchNorm",
    };

    private static string ActivationKernel(ActivationKind activation) => activation switch
    {
        ActivationKind.Sigmoid => "Sigmoid",
        ActivationKind.Tanh => "Tanh",
        ActivationKind.ReLU => "Relu",
        ActivationKind.LeakyReLU => "LeakyRelu",
        ActivationKind.Gelu => "Gelu",
        ActivationKind.Silu => "Silu",
        _ => throw new System.ArgumentOutOfRangeException(nameof(activation), activation, "Identity has no kernel."),
    };
}
