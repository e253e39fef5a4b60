using System.Collections.Generic;
using System.Linq;
using ChainRule.Generators.Lowering;
using static ChainRule.Generators.Emitting.Code;

namespace ChainRule.Generators.Emitting;

/// <summary>
/// Checkpoints: the model's table of tensors under PyTorch's <c>state_dict()</c> names, and the small members that hand
/// it with the model's buffers to <c>ChainRule.Serialization.Checkpoint&lt;T&gt;</c>, where all of the logic lives.
/// </summary>
internal static partial class NetworkEmitter
{
    private const string Serialization = "global::ChainRule.Serialization";

    private static void WriteCheckpoint(SourceWriter writer, NetworkPlan plan, List<LayerTensor> tensors)
    {
        string t = plan.ElementType;
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Every tensor a checkpoint holds, named as in the equivalent PyTorch module's <c>state_dict()</c>, with where it");
        writer.WriteLine("/// lives; the architecture is the description without the element type, so float and double models share files.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine($"private static readonly {Serialization}.CheckpointLayout CheckpointTensors = new(");
        writer.WriteLine($"    \"{Architecture(plan)}\",");
        writer.WriteLine("    [");
        foreach (LayerTensor tensor in tensors)
        {
            string entry = tensor.Store switch
            {
                TensorStore.BatchesTracked => $"BatchesTracked(\"{tensor.Name}\", {Number(tensor.Offset)})",
                _ => $"{tensor.Store}(\"{tensor.Name}\", {Number(tensor.Offset)}, [{(tensor.IsMatrix ? $"{tensor.Rows}, {tensor.Columns}" : Number(tensor.Columns))}])",
            };
            writer.WriteLine($"        {Serialization}.CheckpointTensor.{entry},");
        }
        writer.WriteLine("    ]);");
        writer.WriteLine();
        writer.WriteLine($"private {Serialization}.Checkpoint<{t}> Checkpoint => new(CheckpointTensors, _parameters, _statistics, _batchesTracked);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Writes every parameter (and BatchNorm's running statistics and num_batches_tracked) to a safetensors file with");
        writer.WriteLine($"/// PyTorch's <c>state_dict()</c> names, as {t}; atomically: the path holds the old file or the new one, never a part.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"path\">The file, e.g. <c>model.safetensors</c>.</param>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine("public void Save(string path) => Checkpoint.Save(path);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>The checkpoint <see cref=\"Save\"/> writes, as bytes.</summary>");
        writer.WriteLine("/// <returns>A safetensors file.</returns>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine("public byte[] SaveToBytes() => Checkpoint.ToBytes();");
        writer.WriteLine();
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Loads a checkpoint written by <see cref=\"Save\"/> or a trainer's <c>Save</c> (its optimizer state is ignored), by a");
        writer.WriteLine("/// model of the other element type (converted), or by PyTorch (F16, BF16, F32, F64). All or nothing: every tensor is");
        writer.WriteLine("/// checked before any is copied.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"path\">The file.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is not valid or does not fit this model (the message names the tensor); nothing changed.</exception>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine("public void Load(string path) => Checkpoint.Load(path);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Loads a checkpoint held in memory, as <see cref=\"Load(string)\"/> does.</summary>");
        writer.WriteLine("/// <param name=\"file\">The file's bytes.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is not valid or does not fit this model (the message names the tensor); nothing changed.</exception>");
        writer.WriteLine(GeneratedCode);
        writer.WriteLine($"public void Load({ReadOnlySpan}<byte> file) => Checkpoint.Load(file);");
    }

    private static void WriteTrainerCheckpoint(SourceWriter writer)
    {
        writer.WriteLine("/// <summary>");
        writer.WriteLine("/// Writes the model's tensors and this trainer's state (the optimizer's moments or momentum buffers, its step count,");
        writer.WriteLine("/// which also positions the schedule, and <see cref=\"Steps\"/>) atomically, so that loading it into a new trainer and");
        writer.WriteLine("/// training on continues bit for bit as if training had never stopped.");
        writer.WriteLine("/// </summary>");
        writer.WriteLine("/// <param name=\"path\">The file.</param>");
        writer.WriteLine("public void Save(string path) => _model.Checkpoint.Save(path, _state);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>The checkpoint <see cref=\"Save\"/> writes, as bytes.</summary>");
        writer.WriteLine("/// <returns>A safetensors file.</returns>");
        writer.WriteLine("public byte[] SaveToBytes() => _model.Checkpoint.ToBytes(_state);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Loads the model and this trainer from a trainer checkpoint with the same optimizer kind; all or nothing.</summary>");
        writer.WriteLine("/// <param name=\"path\">The file.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is not valid, holds no trainer state or another optimizer's, or does not fit this model; nothing changed.</exception>");
        writer.WriteLine("public void Load(string path) => _model.Checkpoint.Load(path, _state);");
        writer.WriteLine();
        writer.WriteLine("/// <summary>Loads the model and this trainer from a trainer checkpoint held in memory, as <see cref=\"Load(string)\"/> does.</summary>");
        writer.WriteLine("/// <param name=\"file\">The file's bytes.</param>");
        writer.WriteLine("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is not valid, holds no trainer state or another optimizer's, or does not fit this model; nothing changed.</exception>");
        writer.WriteLine($"public void Load({ReadOnlySpan}<byte> file) => _model.Checkpoint.Load(file, _state);");
        writer.WriteLine();
    }

    /// <summary>The description's layers and loss, without the type's name and element type.</summary>
    private static string Architecture(NetworkPlan plan) =>
        string.Join(" → ", plan.Steps.Select(step => $"{step.Name}: {step.LayerKind.Describe(step)}")) + " → " + plan.Loss;
}
