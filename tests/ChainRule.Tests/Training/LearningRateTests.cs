using ChainRule.Tests.Models;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Training;

/// <summary>The rate a step uses is the schedule applied to the options' base rate, and nothing else can change it.</summary>
public class LearningRateTests
{
    [Fact]
    public void The_optimizers_rate_cannot_be_set_from_outside_the_library()
    {
        var setter = typeof(Optimizer<float>).GetProperty(nameof(Optimizer<float>.LearningRate))!.SetMethod;

        // A public setter would be overwritten by the schedule before the next step without a word.
        Assert.True(setter is null || setter.IsAssembly, "Optimizer<T>.LearningRate must not be settable by users.");
    }

    [Fact]
    public void Each_step_runs_at_the_schedule_of_the_base_rate()
    {
        var schedule = Schedules.WarmupCosine(warmupSteps: 4, totalSteps: 10);
        var model = new BlobClassifier(seed: 1);
        var trainer = model.CreateTrainer(new TrainerOptions { MaxBatch = 2, Optimizer = Optimizers.AdamW(0.05), Schedule = schedule });
        float[] inputs = [1, 0, 0, 0, 0, 1, 0, 0];
        int[] labels = [0, 1];

        for (int step = 0; step < 6; step++)
        {
            trainer.Step(inputs, labels);
            Assert.Equal(schedule.LearningRate(step, 0.05), trainer.LastReport!.LearningRate, 15);
            Assert.Equal(schedule.LearningRate(step, 0.05), trainer.Optimizer.LearningRate, 15);
        }
    }
}
