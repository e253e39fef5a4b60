using ChainRule.Generators.Lowering;
using ChainRule.Generators.Model;

namespace ChainRule.Generators.Emitting;

internal static partial class NetworkEmitter
{
    private static void WriteTrainer(SourceWriter writer, NetworkPlan plan)
    {
        string t = plan.ElementType;
        bool classification = plan.Loss == LossKind.SoftmaxCrossEntropy;
        string targetType = classification ? "int" : t;
        string targets = classification ? "labels" : "targets";
        string targetsDoc = classification
            ? "<param name=\"labels\">The class index of each sample in <c>[0, OutputSize)</c>, <c>(batch)</c>.</param>"
            : "<param name=\"targets\">The target outputs, <c>(batch, OutputSize)</c>.</param>";
        string lossName = plan.Loss.ToString();
        string output = plan.Output.Name;

        writer.WriteLine("/// <summary>Creates a trainer for this model, allocating its workspace and optimizer state once.</summary>");
        writer.WriteLine("/// <param name=\"options\">Batch capacity and optimizer.</param>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public Trainer CreateTrainer(global::ChainRule.Training.TrainerOptions options) => new(this, options);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine($"/// Trains a <see cref=\"{plan.TypeName}\"/> on {lossName}: each <see cref=\"Step\"/> runs the forward pass, the loss,");
        writer.WriteLine("/// the backward pass and the optimizer. The workspace is sized for MaxBatch rows at creation; no call allocates.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine(GeneratedCode);
        using (writer.Open("public sealed class Trainer"))
        {
            writer.WriteLine($"private readonly {plan.TypeName} _model;");
            writer.WriteLine($"private readonly {t}[] _acts;");
            writer.WriteLine($"private readonly {t}[] _dacts;");
            writer.WriteLine($"private readonly {Training}.Optimizer<{t}> _optimizer;");
            writer.WriteLine();
            using (writer.Open($"internal Trainer({plan.TypeName} model, {Training}.TrainerOptions options)"))
            {
                writer.WriteLine("global::System.ArgumentNullException.ThrowIfNull(options);");
                writer.WriteLine("options.Validate();");
                writer.WriteLine("_model = model;");
                writer.WriteLine("MaxBatch = options.MaxBatch;");
                writer.WriteLine($"_acts = new {t}[{WorkspaceSize(plan, "MaxBatch")}];");
                writer.WriteLine($"_dacts = new {t}[{WorkspaceSize(plan, "MaxBatch")}];");
                writer.WriteLine($"_optimizer = options.Optimizer.Create<{t}>(ParameterCount);");
            }
            writer.WriteLine();
            writer.WriteLine("/// <summary>The model this trainer updates.</summary>");
            writer.WriteLine($"public {plan.TypeName} Model => _model;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The largest batch a call accepts: the rows the workspace was allocated for.</summary>");
            writer.WriteLine("public int MaxBatch { get; }");
            writer.WriteLine();
            writer.WriteLine("/// <summary>The optimizer and its state; set its learning rate between steps to follow a schedule.</summary>");
            writer.WriteLine($"public {Training}.Optimizer<{t}> Optimizer => _optimizer;");
            writer.WriteLine();

            writer.WriteLine("/// <summary>One training step on a batch: forward, loss, backward, optimizer update.</summary>");
            writer.WriteLine("/// <param name=\"inputs\">The samples, <c>(batch, InputSize)</c>, batch ≤ MaxBatch.</param>");
            writer.WriteLine($"/// {targetsDoc}");
            writer.WriteLine("/// <returns>The batch's mean loss before the update.</returns>");
            using (writer.Open($"public {t} Step({ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{targetType}> {targets})"))
            {
                writer.WriteLine($"{t} loss = ComputeGradients(inputs, {targets});");
                writer.WriteLine("_optimizer.Update(_model._parameters, _model._gradients);");
                writer.WriteLine("return loss;");
            }
            writer.WriteLine();

            writer.WriteLine(plan.HasBatchNorm
                ? "/// <summary>Runs forward (training mode: batch statistics, running statistics updated), loss and backward, leaving ∂loss/∂parameters in the model's <see cref=\"Gradients\"/>; parameters are not changed.</summary>"
                : "/// <summary>Runs forward, loss and backward, leaving ∂loss/∂parameters in the model's <see cref=\"Gradients\"/>; parameters are not changed.</summary>");
            writer.WriteLine("/// <param name=\"inputs\">The samples, <c>(batch, InputSize)</c>, batch ≤ MaxBatch.</param>");
            writer.WriteLine($"/// {targetsDoc}");
            writer.WriteLine("/// <returns>The batch's mean loss.</returns>");
            using (writer.Open($"public {t} ComputeGradients({ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{targetType}> {targets})"))
            {
                writer.WriteLine($"int B = CheckBatch(inputs, {targets}{(plan.HasBatchNorm ? ", training: true" : "")});");
                writer.WriteLine($"_model.Forward(inputs, _acts, B{(plan.HasBatchNorm ? ", training: true" : "")});");
                writer.WriteLine($"var {output} = new {ReadOnlySpan}<{t}>(_acts, {plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
                writer.WriteLine($"var d{output} = new {Span}<{t}>(_dacts, {plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
                writer.WriteLine($"{t} loss = {Kernels}.{lossName}.ForwardBackward(d{output}, {output}, {targets}, B, OutputSize);");
                writer.WriteLine("global::System.Array.Clear(_model._gradients);");
                writer.WriteLine("_model.Backward(inputs, _acts, _dacts, B);");
                writer.WriteLine("return loss;");
            }
            writer.WriteLine();

            writer.WriteLine(plan.HasBatchNorm
                ? "/// <summary>The batch's mean loss under the current parameters in evaluation mode (running statistics, as <c>Predict</c>), without computing gradients.</summary>"
                : "/// <summary>The batch's mean loss under the current parameters, without computing gradients.</summary>");
            writer.WriteLine("/// <param name=\"inputs\">The samples, <c>(batch, InputSize)</c>, batch ≤ MaxBatch.</param>");
            writer.WriteLine($"/// {targetsDoc}");
            using (writer.Open($"public {t} Evaluate({ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{targetType}> {targets})"))
            {
                writer.WriteLine($"int B = CheckBatch(inputs, {targets}{(plan.HasBatchNorm ? ", training: false" : "")});");
                writer.WriteLine($"_model.Forward(inputs, _acts, B{(plan.HasBatchNorm ? ", training: false" : "")});");
                writer.WriteLine($"var {output} = new {ReadOnlySpan}<{t}>(_acts, {plan.Output.Offset} * B, {plan.Output.Width} * B); // (B, {plan.Output.Width})");
                writer.WriteLine($"return {Kernels}.{lossName}.Forward({output}, {targets}, B, OutputSize);");
            }
            writer.WriteLine();

            writer.WriteLine("// Every check runs before anything is written, so a rejected batch leaves the model as it was.");
            using (writer.Open($"private int CheckBatch({ReadOnlySpan}<{t}> inputs, {ReadOnlySpan}<{targetType}> {targets}{(plan.HasBatchNorm ? ", bool training" : "")})"))
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
                    writer.WriteLine($"{Training}.Guard.Finite(targets, OutputSize, nameof(targets));");
                }
                writer.WriteLine($"{Training}.Guard.Finite(inputs, InputSize, nameof(inputs));");
                writer.WriteLine("return B;");
            }
        }
    }
}
