using System;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>The argument checks generated models call, at their boundaries, with the messages a user reads.</summary>
public class GuardTests
{
    [Fact]
    public void An_empty_batch_of_one_element_rows_is_a_shape_error_not_a_row_width_error()
    {
        var error = Assert.Throws<ArgumentException>(() => Guard.Batch(0, 1, 8, "inputs"));
        Assert.Equal("inputs", error.ParamName);
        Assert.StartsWith("Expected a whole number of rows of 1 elements, shape (batch, 1); got 0 elements.", error.Message, StringComparison.Ordinal);
        Assert.Equal(8, Guard.Batch(8, 1, 8, "inputs"));
        Assert.Equal("rowWidth", Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Batch(4, 0, 8, "inputs")).ParamName);
    }

    [Fact]
    public void Probabilities_accept_the_closed_interval_and_no_targets_and_refuse_a_zero_row_width()
    {
        Guard.Probabilities<float>([0f, 1f, 0.25f], 3, "targets");
        Guard.Probabilities<float>([], 3, "targets");
        var width = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Probabilities<float>([0.5f], 0, "targets"));
        Assert.Equal("rowWidth", width.ParamName);
        Assert.StartsWith("A row must have ≥ 1 element.", width.Message, StringComparison.Ordinal);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Probabilities<float>([0f, 1f, 1.5f, 0f], 2, "targets"));
        Assert.Contains("Element [1, 0] (index 2) is 1.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_workspace_too_large_for_an_array_is_refused_with_the_arithmetic_and_the_largest_MaxBatch()
    {
        int rowsOfThousand = Array.MaxLength / 1000;
        string plain = Message(1000, 0, rowsOfThousand + 1);
        Assert.Contains($"ActivationsPerSample × MaxBatch = 1,000 × {rowsOfThousand + 1:N0} = ", plain, StringComparison.Ordinal);
        Assert.Contains($"so this model allows MaxBatch ≤ {rowsOfThousand:N0}.", plain, StringComparison.Ordinal);

        string withFixed = Message(1000, 5, rowsOfThousand + 1);
        Assert.Contains($"ActivationsPerSample × MaxBatch + FixedActivations = 1,000 × {rowsOfThousand + 1:N0} + 5 = ", withFixed, StringComparison.Ordinal);

        Assert.Contains("so this model allows MaxBatch ≤ 1.", Message(Array.MaxLength, 0, 2), StringComparison.Ordinal);
        Assert.Contains("so no MaxBatch fits this model.", Message(Array.MaxLength, 1, 1), StringComparison.Ordinal);

        static string Message(int activationsPerSample, int fixedActivations, int maxBatch)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(
                () => Guard.WorkspaceLength<float>(new TrainerOptions { MaxBatch = maxBatch }, activationsPerSample, fixedActivations));
            Assert.Equal("MaxBatch", error.ParamName);
            return error.Message;
        }
    }
}
