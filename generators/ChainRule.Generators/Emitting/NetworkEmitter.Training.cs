using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    private const string Diagnostics = "global::ChainRule.Diagnostics";

    private static void WriteTrainer(SourceWriter writer, NetworkPlan plan, List<LayerTensor> tensors)
    {
        string t = plan.ElementType;
        bool classification = plan.Loss == LossKind.SoftmaxCrossEntropy;
        string targetType = classification ? "int" : t;
        string targets = classification ? "labels" : "targets";
        string targetsDoc = classification
            ? "<param name=\"labels\">The class index of each sample in <c>[0, OutputSize)</c>, <c>(batch)</c>.</param>"
            : plan.Loss == LossKind.BinaryCrossEntropyWithLogits
                ? "<param name=\"targets\">The target probabilities, in <c>[0, 1]</c>, <c>(batch, OutputSize)</c>.</param>"
                : "<param name=\"targets\">The target outputs, <c>(batch, OutputSize)</c>, finite.</param>";
        string inputsDoc = "<param name=\"inputs\">The samples, <c>(batch, InputSize)</c>, batch ≤ MaxBatch.</param>";
        string signature = $"{ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{targetType}> {targets}";
        string batchNorm = plan.HasBatchNorm ? ", training: true" : "";
        string output = plan.Output.Name;
        string doutput = LocalNames.Gradient(output);
        // BatchNorm's statistics are over the whole batch, so models with it never split their steps by rows.
        bool split = !plan.HasBatchNorm;
        string weightNorms = HasWeightNorms(tensors) ? "_model._weightNorms" : "default";

        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Called after every training step with that step's gradient report (per-layer gradient norms, flags, the");
        writer.WriteLine("/// max/min ratio, dead units, the first non-finite layer). Implement it to log or react; left unimplemented,");
        writer.WriteLine("/// the call is compiled away. The report is reused by the next step: copy what you keep.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"partial void OnGradientReport({Report} report);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Creates a trainer for this model, allocating its workspace and optimizer state once.</summary>");
        writer.WriteLine("/// <param name=\"options\">Batch capacity, optimizer, schedule, clipping and health settings.</param>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public Trainer CreateTrainer({Training}.TrainerOptions options) => new(this, options);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine($"/// Trains a <see cref=\"{Identifier(plan.TypeName)}\"/> on {plan.Loss}: each <see cref=\"Step\"/> runs the forward pass, the loss,");
        writer.WriteLine("/// the backward pass (which measures every layer's gradient norm), clipping and the optimizer at the scheduled");
        writer.WriteLine("/// learning rate. A step that produces NaN or ∞ is not applied. The workspace is sized for MaxBatch rows at");
        writer.WriteLine("/// creation; no call allocates.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open("public sealed class Trainer"))
        {
            writer.WriteLine($"private readonly {Identifier(plan.TypeName)} _model;");
            writer.WriteLine($"private readonly {Training}.TrainingState<{t}> _state;");
            writer.WriteLine($"private readonly {Training}.AdaptiveClipping<{t}> _clipAdaptive;");
            writer.WriteLine($"private readonly {t}[] _acts;");
            writer.WriteLine($"private readonly {t}[] _dacts;");
            if (split)
                writer.WriteLine($"private readonly {Training}.BatchSplit<{t}, {targetType}> _split;");
            writer.WriteLine();
            using (writer.Open($"internal Trainer({Identifier(plan.TypeName)} model, {Training}.TrainerOptions options)"))
            {
                // Sized in 64 bits and refused before the optimizer's state or the workspace is allocated.
                writer.WriteLine($"int workspace = {Training}.Guard.WorkspaceLength<{t}>(options, ActivationsPerSample, {(plan.FixedActivations > 0 ? "FixedActivations" : "fixedActivations: 0")});");
                if (plan.HasRecurrent)
                {
                    // The report keeps each recurrent layer's ‖∂L/∂h_t‖ per step; constant spans, allocated nowhere.
                    var steps = new int[plan.LayerNames.Count];
                    var firstSteps = new int[plan.LayerNames.Count];
                    foreach (PlanStep step in plan.Steps)
                    {
                        if (step.LayerKind.TimeSteps(step) is { } time)
                        {
                            steps[time.NameIndex] = time.Steps;
                            firstSteps[time.NameIndex] = time.FirstStep;
                        }
                    }
                    writer.WriteLine($"_state = new(options, ParameterCount, LayerNames, LayerOffsets, \"{plan.Loss}\", model._statistics.Length,");
                    writer.WriteLine($"    layerSteps: [{string.Join(", ", steps.Select(Number))}], firstSteps: [{string.Join(", ", firstSteps.Select(Number))}]);");
                }
                else
                {
                    writer.WriteLine($"_state = new(options, ParameterCount, LayerNames, LayerOffsets, \"{plan.Loss}\", model._statistics.Length);");
                }
                writer.WriteLine("_model = model;");
                writer.WriteLine("_clipAdaptive = model.ClipAdaptive;");
                writer.WriteLine($"_acts = new {t}[workspace];");
                writer.WriteLine($"_dacts = new {t}[workspace];");
                if (split)
                {
                    string targetWidth = classification ? "1" : "OutputSize";
                    string fixedActivations = plan.FixedActivations > 0 ? "FixedActivations" : "0";
                    writer.WriteLine($"_split = new(options.MaxBatch, ActivationsPerSample, {fixedActivations}, InputSize, {targetWidth}, MultiplyAddsPerSample, GradientSegments, LayerNames, _acts, _dacts, model._gradients, RunPart);");
                }
            }
            writer.WriteLine();
            writer.WriteLine("/// <summary>The model this trainer updates.</summary>");
            writer.WriteLine($"public {Identifier(plan.TypeName)} Model => _model;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The largest batch a call accepts: the rows the workspace was allocated for.</summary>");
            writer.WriteLine("public int MaxBatch => _state.Options.MaxBatch;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The optimizer and its state; its learning rate is the one the last step used.</summary>");
            writer.WriteLine($"public {Training}.Optimizer<{t}> Optimizer => _state.Optimizer;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Steps attempted, applied or skipped; the optimizer's StepCount counts the applied ones.</summary>");
            writer.WriteLine("public long Steps => _state.Steps;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The last step's gradient report, overwritten by each step; <c>null</c> when the options turned reports off.</summary>");
            writer.WriteLine($"public {Report}? LastReport => _state.Report;");
            writer.WriteLine();
            WriteTrainerCheckpoint(writer);

            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// One training step on a batch: forward, loss, backward, clipping, then the optimizer at the learning rate the");
            writer.WriteLine("/// schedule gives for the updates applied so far. If the step produces NaN or ∞ the update is skipped, the report");
            writer.WriteLine("/// names the first layer and pass that did, and with <c>NonFinitePolicy.Throw</c> the step throws.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"/// {inputsDoc}");
            writer.WriteLine($"/// {targetsDoc}");
            writer.WriteLine("/// <returns>The batch's mean loss before the update.</returns>");
            using (writer.Open($"public {t} Step({signature})"))
            {
                writer.WriteLine($"int B = CheckBatch(inputs, {targets}{batchNorm});");
                writer.WriteLine("var report = _state.Begin();");
                if (plan.HasBatchNorm)
                    writer.WriteLine("_state.SaveStatistics(_model._statistics); // put back if the step is not applied");
                writer.WriteLine($"{t} loss = Backpropagate(inputs, {targets}, B, report, out double totalNorm);");
                writer.WriteLine("bool applied = _state.Finish(loss, totalNorm, _model._parameters, _model._gradients, _model._statistics, _clipAdaptive);");
                if (plan.HasBatchNorm)
                {
                    writer.WriteLine("if (applied)");
                    writer.WriteLine("    _state.CountBatch(_model._batchesTracked); // num_batches_tracked counts the forward passes whose statistics are kept");
                }
                writer.WriteLine("if (report is not null)");
                writer.WriteLine("    _model.OnGradientReport(report);");
                writer.WriteLine("_state.ThrowIfSkipped(applied);");
                writer.WriteLine("return loss;");
            }
            writer.WriteLine();

            writer.WriteLine(plan.HasBatchNorm
                ? "/// <summary>Runs forward (training mode: batch statistics; running statistics updated, unless the loss, the gradients or the new statistics are not finite), loss and backward, leaving ∂loss/∂parameters in the model's <see cref=\"Gradients\"/>; parameters are not changed.</summary>"
                : "/// <summary>Runs forward, loss and backward, leaving ∂loss/∂parameters in the model's <see cref=\"Gradients\"/>; parameters are not changed.</summary>");
            writer.WriteLine($"/// {inputsDoc}");
            writer.WriteLine($"/// {targetsDoc}");
            writer.WriteLine("/// <returns>The batch's mean loss.</returns>");
            using (writer.Open($"public {t} ComputeGradients({signature})"))
            {
                writer.WriteLine($"int B = CheckBatch(inputs, {targets}{batchNorm});");
                if (plan.HasBatchNorm)
                {
                    writer.WriteLine("_state.SaveStatistics(_model._statistics);");
                    writer.WriteLine($"{t} loss = Backpropagate(inputs, {targets}, B, report: null, out double totalNorm);");
                    writer.WriteLine($"if ({t}.IsFinite(loss) && double.IsFinite(totalNorm))");
                    writer.WriteLine("    _state.CountBatch(_model._batchesTracked);");
                    writer.WriteLine("else");
                    writer.WriteLine("    _state.RestoreStatistics(_model._statistics);");
                    writer.WriteLine("return loss;");
                }
                else
                {
                    // Typed, so it stays a discard even when the model has a member named _.
                    writer.WriteLine($"return Backpropagate(inputs, {targets}, B, report: null, out double _);");
                }
            }
            writer.WriteLine();

            writer.WriteLine(plan.HasBatchNorm
                ? "/// <summary>The batch's mean loss under the current parameters in evaluation mode (running statistics, as <c>Predict</c>), without computing gradients.</summary>"
                : "/// <summary>The batch's mean loss under the current parameters, without computing gradients.</summary>");
            writer.WriteLine($"/// {inputsDoc}");
            writer.WriteLine($"/// {targetsDoc}");
            using (writer.Open($"public {t} Evaluate({signature})"))
            {
                writer.WriteLine($"int B = CheckBatch(inputs, {targets}{(plan.HasBatchNorm ? ", training: false" : "")});");
                writer.WriteLine($"_model.Forward(inputs, _acts, B{(plan.HasBatchNorm ? ", training: false" : "")}, report: null, weightNorms: default);");
                writer.WriteLine($"var {output} = new {ReadOnlySpan}<{t}>(_acts, {plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
                writer.WriteLine($"return {Kernels}.{plan.Loss}.Forward({output}, {targets}, B, OutputSize);");
            }
            writer.WriteLine();

            writer.WriteLine(plan.HasBatchNorm
                ? "// Forward, loss and backward. A non-finite loss or running statistic stops before the backward pass, naming"
                : "// Forward, loss and backward. A non-finite loss stops before the backward pass, naming the first layer");
            writer.WriteLine(plan.HasBatchNorm
                ? "// the first layer whose output or statistics went bad; the total norm comes from the norms the backward kernels measured."
                : "// whose output went bad; the total norm comes from the norms the backward kernels measured.");
            using (writer.Open($"private {t} Backpropagate({signature}, int B, {Report}? report, out double totalNorm)"))
            {
                if (split)
                {
                    writer.WriteLine("int parts = _split.Parts(B);");
                    writer.WriteLine("if (parts > 1)");
                    writer.WriteLine($"    return BackpropagateSplit(inputs, {targets}, B, parts, report, out totalNorm);");
                }
                writer.WriteLine($"_model.Forward(inputs, _acts, B{batchNorm}, report, {(weightNorms == "default" ? "default" : $"report is null ? default : {weightNorms}")});");
                writer.WriteLine($"var {output} = new {ReadOnlySpan}<{t}>(_acts, {plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
                writer.WriteLine($"var {doutput} = new {Span}<{t}>(_dacts, {plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
                writer.WriteLine($"{t} loss = {Kernels}.{plan.Loss}.ForwardBackward({doutput}, {output}, {targets}, B, OutputSize);");
                // Dense layers overwrite their gradients; norms and ReZero scales add to theirs, which start from zero.
                foreach (var (offset, length) in AccumulatedGradients(tensors))
                    writer.WriteLine($"_state.ClearGradients(new {Span}<{t}>(_model._gradients, {offset}, {length}));");
                using (writer.Open(plan.HasBatchNorm
                    ? $"if (!{t}.IsFinite(loss) || !global::System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<{t}>(_model._statistics))"
                    : $"if (!{t}.IsFinite(loss))"))
                {
                    writer.WriteLine("_state.ClearGradients(_model._gradients); // no backward pass: no gradient");
                    writer.WriteLine(plan.HasBatchNorm ? "int layer = FirstNonFiniteLayer(_acts, _model._statistics, B);" : "int layer = FirstNonFiniteLayer(_acts, B);");
                    writer.WriteLine("if (layer >= 0)");
                    writer.WriteLine($"    report?.RecordNonFinite(layer, {Diagnostics}.Pass.Forward);");
                    writer.WriteLine("totalNorm = double.NaN;");
                    writer.WriteLine("return loss;");
                }
                writer.WriteLine("totalNorm = global::System.Math.Sqrt(_model.Backward(inputs, _acts, _dacts, B, _model._gradients, report));");
                writer.WriteLine("return loss;");
            }
            writer.WriteLine();
            if (split)
                WriteSplitStep(writer, plan, tensors, signature, targets, targetType, weightNorms);

            writer.WriteLine("// Every check runs before anything is written, so a rejected batch leaves the model as it was.");
            using (writer.Open($"private int CheckBatch({signature}{(plan.HasBatchNorm ? ", bool training" : "")})"))
            {
                writer.WriteLine($"int B = {Training}.Guard.Batch(inputs.Length, InputSize, MaxBatch, nameof(inputs));");
                if (plan.HasBatchNorm)
                {
                    writer.WriteLine("if (training)");
                    writer.WriteLine($"    {Training}.Guard.BatchNormTrainingBatch(B, nameof(inputs));");
                }
                if (classification)
                {
                    writer.WriteLine($"{Training}.Guard.Shape(labels.Length, B, 1, nameof(labels));");
                    writer.WriteLine($"{Training}.Guard.Labels(labels, OutputSize, nameof(labels));");
                }
                else
                {
                    writer.WriteLine($"{Training}.Guard.Shape(targets.Length, B, OutputSize, nameof(targets));");
                    writer.WriteLine(plan.Loss == LossKind.BinaryCrossEntropyWithLogits
                        ? $"{Training}.Guard.Probabilities(targets, OutputSize, nameof(targets));"
                        : $"{Training}.Guard.Finite(targets, OutputSize, nameof(targets));");
                }
                writer.WriteLine($"{Training}.Guard.Finite(inputs, InputSize, nameof(inputs));");
                writer.WriteLine("return B;");
            }
        }
    }

    /// <summary>
    /// The step split by rows (<c>ChainRule.Training.BatchSplit</c>): each part runs its rows through forward, loss and
    /// backward in its own workspace and gradients; summing the parts' gradients measures each tensor's norm.
    /// </summary>
    private static void WriteSplitStep(SourceWriter writer, NetworkPlan plan, List<LayerTensor> tensors, string signature, string targets, string targetType, string weightNorms)
    {
        string t = plan.ElementType;
        string output = plan.Output.Name;
        string doutput = LocalNames.Gradient(output);
        writer.WriteLine("// The batch split by rows across the worker pool; the parts' gradients are summed in part order, so the");
        writer.WriteLine("// result depends on the part count, never on timing. A non-finite loss names the first layer any part found.");
        using (writer.Open($"private {t} BackpropagateSplit({signature}, int B, int parts, {Report}? report, out double totalNorm)"))
        {
            writer.WriteLine($"{t} loss = _split.Run(inputs, {targets}, B, parts, report, {(weightNorms == "default" ? "null" : $"report is null ? null : {weightNorms}")});");
            using (writer.Open($"if (!{t}.IsFinite(loss))"))
            {
                writer.WriteLine("_state.ClearGradients(_model._gradients); // no backward pass: no gradient");
                writer.WriteLine("int layer = -1;");
                using (writer.Open("for (int part = 0; part < parts; part++)"))
                {
                    writer.WriteLine("int first = FirstNonFiniteLayer(_split.Activations(part), _split.Rows(part));");
                    writer.WriteLine("if (first >= 0 && (layer < 0 || first < layer))");
                    writer.WriteLine("    layer = first;");
                }
                writer.WriteLine("if (layer >= 0)");
                writer.WriteLine($"    report?.RecordNonFinite(layer, {Diagnostics}.Pass.Forward);");
                writer.WriteLine("totalNorm = double.NaN;");
                writer.WriteLine("return loss;");
            }
            writer.WriteLine("totalNorm = global::System.Math.Sqrt(_split.SumGradients());");
            writer.WriteLine("if (report is not null)");
            writer.WriteLine("    _model.RecordGradientNorms(report, _split.SegmentSquares);");
            writer.WriteLine("return loss;");
        }
        writer.WriteLine();
        writer.WriteLine("// One part of a split step: its rows through forward, the loss (a mean over the whole batch) and, if that is");
        writer.WriteLine("// finite, backward into the part's gradients, whose accumulated ranges start from zero.");
        using (writer.Open($"private {t} RunPart({Training}.BatchPart<{t}> part, {ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{targetType}> {targets})"))
        {
            writer.WriteLine("int B = part.Rows;");
            writer.WriteLine("_model.Forward(inputs, part.Activations, B, part.Report, part.WeightNorms);");
            writer.WriteLine($"var {output} = part.Activations.Slice({plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
            writer.WriteLine($"var {doutput} = part.ActivationGradients.Slice({plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
            writer.WriteLine($"{t} loss = {Kernels}.{plan.Loss}.ForwardBackward({doutput}, {output}, {targets}, B, OutputSize, meanOver: part.Batch);");
            foreach (var (offset, length) in AccumulatedGradients(tensors))
                writer.WriteLine($"part.Gradients.Slice({offset}, {length}).Clear();");
            writer.WriteLine($"if ({t}.IsFinite(loss))");
            // A recurrent layer's per-step ‖∂L/∂h_t‖ goes into the part's report, and the split sums the parts'; the
            // layers' norms it records there are replaced by RecordGradientNorms from the summed gradients.
            writer.WriteLine($"    _model.Backward(inputs, part.Activations, part.ActivationGradients, B, part.Gradients, report: {(plan.HasRecurrent ? "part.Report" : "null")});");
            writer.WriteLine("return loss;");
        }
        writer.WriteLine();
    }

    /// <summary>
    /// The split step's constants and its report: the forward multiply-adds per sample, where each parameter tensor
    /// starts, and the method that records each layer's gradient norms from the tensors' <c>Σ g²</c>, in the order the
    /// backward pass records them (the first non-finite one names the layer).
    /// </summary>
    private static void WriteSplitMembers(SourceWriter writer, NetworkPlan plan, List<LayerTensor> tensors)
    {
        if (plan.HasBatchNorm)
            return;
        List<int> segments = GradientSegments(tensors);
        long multiplyAdds = 0;
        foreach (PlanStep step in plan.Steps)
            multiplyAdds += step.LayerKind.MultiplyAdds(step);
        writer.WriteLine("/// <summary>Multiply-adds of one sample's forward pass: a trainer splits a step by rows only when the batch makes enough of them.</summary>");
        writer.WriteLine($"private const long MultiplyAddsPerSample = {multiplyAdds.ToString(CultureInfo.InvariantCulture)};");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Where each parameter tensor starts in <see cref=\"Gradients\"/>: a step split by rows measures each one's Σ g² as it sums the parts.</summary>");
        writer.WriteLine($"private static readonly int[] GradientSegments = [{string.Join(", ", segments.Select(o => o.ToString(CultureInfo.InvariantCulture)))}];");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Records every layer's gradient norms from each tensor's Σ g² (indexed like <see cref=\"GradientSegments\"/>), in backward order.</summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open($"private void RecordGradientNorms({Report} report, {ReadOnlySpan}<double> squares)"))
        {
            writer.WriteLine($"{ReadOnlySpan}<{plan.ElementType}> parameters = _parameters;");
            string Root(int offset) => $"global::System.Math.Sqrt(squares[{segments.IndexOf(offset).ToString(CultureInfo.InvariantCulture)}])";
            for (int i = plan.Steps.Count - 1; i >= 0; i--)
                plan.Steps[i].LayerKind.WriteGradientNormRecords(writer, plan, plan.Steps[i], Root);
        }
        writer.WriteLine();
    }

    /// <summary>Every parameter tensor's offset (weights, biases, γ, β, ReZero's α), ascending.</summary>
    private static List<int> GradientSegments(List<LayerTensor> tensors)
    {
        var offsets = new SortedSet<int>();
        foreach (LayerTensor tensor in tensors)
        {
            if (tensor.Store == TensorStore.Parameter)
                offsets.Add(tensor.Offset);
        }
        return [.. offsets];
    }

    /// <summary>Where each of the plan's layer names starts in the parameter buffer (its first tensor), indexed like <see cref="NetworkPlan.LayerNames"/>.</summary>
    private static int[] LayerOffsets(NetworkPlan plan, List<LayerTensor> tensors)
    {
        var offsets = new int[plan.LayerNames.Count];
        var seen = new bool[plan.LayerNames.Count];
        foreach (LayerTensor tensor in tensors)
        {
            if (tensor.Store == TensorStore.Parameter && tensor.NameIndex >= 0 && !seen[tensor.NameIndex])
            {
                seen[tensor.NameIndex] = true;
                offsets[tensor.NameIndex] = tensor.Offset;
            }
        }
        return offsets;
    }

    /// <summary>
    /// The parameter ranges whose backward kernels accumulate into their gradients (norms' γ and β, ReZero's α), in
    /// layout order, adjacent ranges merged.
    /// </summary>
    private static List<(int Offset, int Length)> AccumulatedGradients(List<LayerTensor> tensors)
    {
        var ranges = new List<(int Offset, int Length)>();
        foreach (LayerTensor tensor in tensors)
        {
            if (tensor.Store == TensorStore.Parameter && tensor.Accumulates)
                ranges.Add((tensor.Offset, tensor.Length));
        }
        ranges.Sort((x, y) => x.Offset.CompareTo(y.Offset));
        var merged = new List<(int Offset, int Length)>();
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && merged[merged.Count - 1].Offset + merged[merged.Count - 1].Length == range.Offset)
                merged[merged.Count - 1] = (merged[merged.Count - 1].Offset, merged[merged.Count - 1].Length + range.Length);
            else
                merged.Add(range);
        }
        return merged;
    }
}
