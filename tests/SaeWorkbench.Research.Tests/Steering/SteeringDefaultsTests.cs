using SaeWorkbench.Research.Steering;

namespace SaeWorkbench.Research.Tests.Steering;

public class SteeringDefaultsTests
{
    [Fact]
    public void The_default_strength_is_the_measured_multiple_of_max_activation_and_a_fixed_value_before_analysis()
    {
        Assert.Equal(SteeringDefaults.MaxActivationMultiple * 2.5, SteeringDefaults.Strength(2.5), 9);
        Assert.Equal(SteeringDefaults.WithoutAnalysis, SteeringDefaults.Strength(null));
        Assert.Equal(SteeringDefaults.WithoutAnalysis, SteeringDefaults.Strength(0));      // dead: no max to scale
        Assert.Equal(SteeringDefaults.WithoutAnalysis, SteeringDefaults.Strength(double.NaN));
    }
}
