using System;
using System.Numerics;
using ChainRule.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Kernels;

public class AllocationTests
{
    [Fact]
    public void Kernels_and_optimizer_updates_allocate_nothing_after_warm_up()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int batch = 5, inputs = 33, outputs = 17;
            var random = new Random(1);
            T[] x = NumericAssert.Random<T>(random, batch * inputs), w = NumericAssert.Random<T>(random, outputs * inputs), b = new T[outputs];
            T[] y = new T[batch * outputs], h = new T[batch * outputs], dy = NumericAssert.Random<T>(random, batch * outputs);
            T[] dx = new T[batch * inputs], dw = new T[outputs * inputs], db = new T[outputs], target = NumericAssert.Random<T>(random, batch * outputs);
            int[] labels = [0, 3, 16, 2, 5];
            Optimizer<T>[] optimizers = [
                Optimizers.Sgd(0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true).Create<T>(w.Length),
                Optimizers.Adam(weightDecay: 0.1).Create<T>(w.Length),
                Optimizers.AdamW().Create<T>(w.Length)];
            T sink = T.Zero;

            void Step()
            {
                Dense.Forward<T>(y, x, w, b, batch, inputs, outputs);
                Sigmoid.Forward<T>(h, y); Sigmoid.Backward<T>(h, dy, y, h);
                Tanh.Forward<T>(h, y); Tanh.Backward<T>(h, dy, y, h);
                Relu.Forward<T>(h, y); Relu.Backward<T>(h, dy, y, h);
                LeakyRelu.Forward<T>(h, y); LeakyRelu.Backward<T>(h, dy, y, h);
                Gelu.Forward<T>(h, y); Gelu.Backward<T>(h, dy, y, h);
                Silu.Forward<T>(h, y); Silu.Backward<T>(h, dy, y, h);
                sink += SoftmaxCrossEntropy.Forward<T>(y, labels, batch, outputs);
                sink += SoftmaxCrossEntropy.ForwardBackward<T>(h, y, labels, batch, outputs);
                SoftmaxCrossEntropy.Softmax<T>(h, y, batch, outputs);
                sink += MeanSquaredError.Forward<T>(y, target, batch, outputs);
                sink += MeanSquaredError.ForwardBackward<T>(h, y, target, batch, outputs);
                sink += BinaryCrossEntropyWithLogits.Forward<T>(y, target, batch, outputs);
                sink += BinaryCrossEntropyWithLogits.ForwardBackward<T>(h, y, target, batch, outputs);
                Dense.BackwardInput<T>(dx, dy, w, batch, inputs, outputs);
                Dense.BackwardParameters<T>(dw, db, dy, x, batch, inputs, outputs);
                Gemm.MultiplyTransposed<T>(y, x, w, batch, outputs, inputs);
                Gemm.MultiplyAdd<T>(dx, dy, w, batch, inputs, outputs);
                Gemm.TransposeMultiplyAdd<T>(dw, dy, x, outputs, inputs, batch);
                foreach (Optimizer<T> optimizer in optimizers)
                    optimizer.Update(w, dw);
            }

            Allocations.AssertNone($"{typeof(T).Name} kernels and updates", Step, calls: 3);
            Assert.True(T.IsFinite(sink) || T.IsNaN(sink)); // keep the results observable
        }
    }

    [Fact]
    public void Norm_and_residual_kernels_allocate_nothing_after_warm_up()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int batch = 5, features = 33, inputs = 17;
            var random = new Random(2);
            T[] x = NumericAssert.Random<T>(random, batch * features), branch = NumericAssert.Random<T>(random, batch * features);
            T[] dy = NumericAssert.Random<T>(random, batch * features), gamma = NumericAssert.Random<T>(random, features), beta = NumericAssert.Random<T>(random, features);
            T[] y = new T[batch * features], sum = new T[batch * features], dx = new T[batch * features];
            T[] rowMean = new T[batch], rowRstd = new T[batch], featureMean = new T[features], featureRstd = new T[features];
            T[] runningMean = new T[features], runningVariance = new T[features], dgamma = new T[features], dbeta = new T[features], dscale = new T[1];
            T[] weight = NumericAssert.Random<T>(random, features * inputs), dinput = new T[batch * inputs];
            T epsilon = T.CreateTruncating(1e-5), momentum = T.CreateTruncating(0.1), scale = T.CreateTruncating(0.5);

            void Step()
            {
                LayerNorm.Forward<T>(y, rowMean, rowRstd, x, gamma, beta, batch, features, epsilon);
                LayerNorm.Backward<T>(dx, dgamma, dbeta, dy, x, rowMean, rowRstd, gamma, batch, features);
                LayerNorm.AddForward<T>(sum, y, rowMean, rowRstd, x, branch, scale, gamma, beta, batch, features, epsilon);
                LayerNorm.AddBackward<T>(dx, dgamma, dbeta, dy, sum, rowMean, rowRstd, gamma, batch, features);
                RmsNorm.Forward<T>(y, rowRstd, x, gamma, batch, features, epsilon);
                RmsNorm.Backward<T>(dx, dgamma, dy, x, rowRstd, gamma, batch, features);
                RmsNorm.AddForward<T>(sum, y, rowRstd, x, branch, scale, gamma, batch, features, epsilon);
                RmsNorm.AddBackward<T>(dx, dgamma, dy, sum, rowRstd, gamma, batch, features);
                BatchNorm.ForwardTraining<T>(y, featureMean, featureRstd, runningMean, runningVariance, x, gamma, beta, batch, features, epsilon, momentum);
                BatchNorm.Backward<T>(dx, dgamma, dbeta, dy, x, featureMean, featureRstd, gamma, batch, features);
                BatchNorm.AddForwardTraining<T>(sum, y, featureMean, featureRstd, runningMean, runningVariance, x, branch, scale, gamma, beta, batch, features, epsilon, momentum);
                BatchNorm.AddBackward<T>(dx, dgamma, dbeta, dy, sum, featureMean, featureRstd, gamma, batch, features);
                BatchNorm.ForwardInference<T>(y, x, runningMean, runningVariance, gamma, beta, batch, features, epsilon);
                BatchNorm.AddForwardInference<T>(sum, y, x, branch, scale, runningMean, runningVariance, gamma, beta, batch, features, epsilon);
                Residual.Add<T>(sum, x, branch, scale);
                Residual.ScaleBackward<T>(dx, dscale, dy, branch, scale);
                Dense.BackwardInputAdd<T>(dinput, dy, weight, batch, inputs, features);
            }

            Allocations.AssertNone($"{typeof(T).Name} norm and residual kernels", Step, calls: 3);
        }
    }
}
