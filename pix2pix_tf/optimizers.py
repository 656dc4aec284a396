"""`model.optimizer` for a model with two optimisers, in the shape Keras' callbacks use."""

from __future__ import annotations

import keras


class GanOptimizers:
    """The generator's and the discriminator's optimisers seen as one `model.optimizer`.

    Keras' `LearningRateScheduler`, `ReduceLROnPlateau` and `TensorBoard` look for
    `optimizer.optimizers` (as on `keras.optimizers.MultiOptimizer`) and then set or
    log each one's learning rate, so every Keras learning-rate callback drives both
    networks. `learning_rate` reads the generator's rate and sets both; `iterations`
    counts training steps (the generator's updates). Keras' own `MultiOptimizer` is
    not used: it refuses `LossScaleOptimizer` (needed for float16) and counts
    iterations only through its own `apply`.
    """

    def __init__(self, g_optimizer: keras.optimizers.Optimizer,
                 d_optimizer: keras.optimizers.Optimizer):
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.name = "gan_optimizers"

    @property
    def optimizers(self) -> list[keras.optimizers.Optimizer]:
        return [self.g_optimizer, self.d_optimizer]

    @property
    def learning_rate(self):
        return self.g_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        for opt in self.optimizers:
            opt.learning_rate = value

    @property
    def iterations(self):
        return self.g_optimizer.iterations

    @property
    def variables(self) -> list:
        return list(self.g_optimizer.variables) + list(self.d_optimizer.variables)

    @property
    def built(self) -> bool:
        return self.g_optimizer.built and self.d_optimizer.built

    def build(self, var_list=None) -> None:
        """Both optimisers are built on their own network by `Pix2Pix.compile`."""


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Adam(keras.optimizers.Adam):
    """Keras' Adam whose update runs as TensorFlow's fused `ResourceApplyAdam` kernel.

    Keras 3 writes Adam's update as ~10 element-wise ops per variable, each a pass over
    memory; the generator's 42-54M parameters make that a large share of a CPU step
    (`benchmarks/results/optimizer.md`: the whole train step 1.2-1.3x faster than with
    Keras' Adam in mixed_bfloat16; Keras' Adam with `jit_compile=True` was 1.4-4x
    slower on that CPU, not faster). The fused kernel computes the same
    update (Kingma & Ba with Keras' epsilon placement: lr * sqrt(1 - b2^t) / (1 - b1^t)
    * m / (sqrt(v) + eps)) in one pass. Same slots, names and config as Keras' Adam, so
    checkpoints move between the two; other backends and `amsgrad` use Keras' update.
    """

    def update_step(self, gradient, variable, learning_rate):
        import tensorflow as tf

        if self.amsgrad or keras.backend.backend() != "tensorflow" or not hasattr(
                variable, "handle"):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        index = self._get_variable_index(variable)

        def cast(x):
            return tf.cast(x, dtype)

        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].handle,
            v=self._velocities[index].handle,
            beta1_power=tf.pow(cast(self.beta_1), step),
            beta2_power=tf.pow(cast(self.beta_2), step),
            lr=cast(learning_rate), beta1=cast(self.beta_1), beta2=cast(self.beta_2),
            epsilon=cast(self.epsilon), grad=cast(gradient), use_locking=False)
