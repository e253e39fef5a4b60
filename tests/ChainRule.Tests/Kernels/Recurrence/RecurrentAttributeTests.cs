using Xunit;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>The recurrent attributes' documented defaults, which the generator will read: PyTorch's where it has one.</summary>
public class RecurrentAttributeTests
{
    [Fact]
    public void Defaults_are_last_step_output_full_bptt_pytorchs_init_and_no_forget_bias()
    {
        RecurrentAttribute[] attributes = [new LstmAttribute(8), new GruAttribute(8), new RnnAttribute(8)];
        foreach (RecurrentAttribute attribute in attributes)
        {
            Assert.Equal(8, attribute.Hidden);
            Assert.False(attribute.ReturnSequences);
            Assert.Equal(0, attribute.Truncate);
            Assert.Equal(Init.Default, attribute.RecurrentInit);
        }
        Assert.Equal(0.0, new LstmAttribute(8).ForgetBias);
        Assert.Equal(Activation.Tanh, new RnnAttribute(8).Activation);
        Assert.Equal(Activation.ReLU, new RnnAttribute(8, Activation.ReLU).Activation);
        Assert.Equal(0, new NetworkAttribute().Steps);
    }
}
