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
