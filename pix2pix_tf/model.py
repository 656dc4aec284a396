"""`Pix2Pix`: the generator and discriminator trained together with `fit`."""

from __future__ import annotations

import keras
import tensorflow as tf

from pix2pix_tf.config import Pix2PixConfig, as_config
from pix2pix_tf.discriminator import build_discriminator
from pix2pix_tf.generator import build_generator
from pix2pix_tf.losses import discriminator_loss, generator_gan_loss, l1_loss
from pix2pix_tf.metrics import psnr, ssim

TRAIN_METRICS = ("g_total", "g_gan", "g_l1", "d_total", "d_real", "d_fake")
TEST_METRICS = ("l1", "psnr", "ssim")


def _logs(trackers: list[keras.metrics.Metric]) -> dict:
    """Step logs. Under MultiWorkerMirroredStrategy, Keras 3 reduces them with a mean
    over axis 0, which fails on scalars (tensorflow/tensorflow#72388): give them one."""
    logs = {t.name: t.result() for t in trackers}
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        logs = {k: tf.reshape(v, [1]) for k, v in logs.items()}
    return logs


def default_optimizer(config: Pix2PixConfig) -> keras.optimizers.Optimizer:
    """Adam(2e-4, beta_1=0.5), the paper's optimiser for both networks."""
    return keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1,
                                 beta_2=config.beta_2)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Pix2Pix(keras.Model):
    """Pix2Pix conditional GAN: a generator and a PatchGAN trained with `fit`.

    `train_step` runs both networks under two gradient tapes and updates them with
    two optimisers (`g_optimizer`, `d_optimizer`). Logs are epoch means of
    `g_total = g_gan + lambda_l1 * g_l1`, `d_total = (d_real + d_fake) / 2` and
    their terms; `evaluate` / `validation_data` report `l1`, `psnr` (dB) and `ssim`.

    Inference (`model(x)`, `predict`) uses the generator with `training=False`, i.e.
    BatchNorm moving statistics and no dropout. With
    `config.inference_batch_stats=True` it runs with `training=True` instead, as the
    paper (dropout as noise at test time) and the TensorFlow tutorial do: with batch
    size 1 that normalises each image by its own statistics.

    Args:
        config: a `Pix2PixConfig`; `None` gives the paper's defaults.
        generator, discriminator: optional prebuilt networks (default: built from config).

    Example:
    ```python
    model = Pix2Pix(Pix2PixConfig(image_size=128))
    model.compile()  # Adam(2e-4, beta_1=0.5) for both networks
    model.fit(train_ds, epochs=10, validation_data=val_ds)
    fake = model.predict(inputs)
    ```
    """

    def __init__(self, config: Pix2PixConfig | dict | None = None,
                 generator: keras.Model | None = None,
                 discriminator: keras.Model | None = None, name: str = "pix2pix", **kwargs):
        super().__init__(name=name, **kwargs)
        self.config = as_config(config)
        self.generator = generator if generator is not None else build_generator(self.config)
        self.discriminator = (discriminator if discriminator is not None
                              else build_discriminator(self.config))
        self._train_trackers = [keras.metrics.Mean(name=n) for n in TRAIN_METRICS]
        self._test_trackers = [keras.metrics.Mean(name=n) for n in TEST_METRICS]
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.built = True

    def compile(self, g_optimizer: keras.optimizers.Optimizer | None = None,
                d_optimizer: keras.optimizers.Optimizer | None = None, **kwargs) -> None:
        """Sets the two optimisers (default: the paper's Adam for each).

        Other keyword arguments (`steps_per_execution`, `jit_compile`, ...) go to
        `keras.Model.compile`. No `loss`: the losses come from the config.
        """
        # No `optimizer=`: Keras would default to an RMSprop this model never uses.
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = g_optimizer or default_optimizer(self.config)
        self.d_optimizer = d_optimizer or default_optimizer(self.config)
        if self.config.precision == "mixed_float16":
            # float16 gradients need loss scaling; Keras only wraps `model.optimizer`.
            LSO = keras.optimizers.LossScaleOptimizer
            if not isinstance(self.g_optimizer, LSO):
                self.g_optimizer = LSO(self.g_optimizer, name="g_loss_scale")
            if not isinstance(self.d_optimizer, LSO):
                self.d_optimizer = LSO(self.d_optimizer, name="d_loss_scale")
        # Create the optimiser slots now, in the caller's strategy scope: created lazily
        # inside a replicated train step they fail under tf.distribute.
        for opt, net in ((self.g_optimizer, self.generator),
                         (self.d_optimizer, self.discriminator)):
            if not opt.built:
                opt.build(net.trainable_variables)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Both networks and optimisers are built in __init__/compile, so Keras' symbolic
        # build has nothing to do; under a strategy it would also pull a batch and
        # reduce it across replicas eagerly, which MultiWorkerMirroredStrategy rejects.
        return

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed here so Keras resets them at the start of each epoch.
        return self._train_trackers + self._test_trackers

    def call(self, inputs, training: bool = False):
        training = bool(training) or self.config.inference_batch_stats
        return self.generator(inputs, training=training)

    def train_step(self, data):
        x, y = data[0], data[1]
        c = self.config
        # Gradients are summed over replicas by the optimiser under tf.distribute, so
        # each replica's loss is scaled to give the mean over the global batch.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(x, training=True)
            real_logits = self.discriminator([x, y], training=True)
            fake_logits = self.discriminator([x, fake], training=True)
            g_gan = generator_gan_loss(fake_logits, c.gan_mode)
            g_l1 = l1_loss(y, fake)
            g_total = g_gan + c.lambda_l1 * g_l1
            d_real, d_fake = discriminator_loss(real_logits, fake_logits, c.gan_mode)
            d_total = 0.5 * (d_real + d_fake)
            g_scaled = self.g_optimizer.scale_loss(g_total / replicas)
            d_scaled = self.d_optimizer.scale_loss(d_total / replicas)
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply(g_tape.gradient(g_scaled, g_vars), g_vars)
        self.d_optimizer.apply(d_tape.gradient(d_scaled, d_vars), d_vars)
        for tracker, value in zip(self._train_trackers,
                                  (g_total, g_gan, g_l1, d_total, d_real, d_fake)):
            tracker.update_state(value)
        return _logs(self._train_trackers)

    def test_step(self, data):
        x, y = data[0], data[1]
        fake = self(x, training=False)
        self._test_trackers[0].update_state(l1_loss(y, fake))
        self._test_trackers[1].update_state(psnr(y, fake))
        self._test_trackers[2].update_state(ssim(y, fake))
        return _logs(self._test_trackers)

    def predict_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        return self(x, training=False)

    def get_config(self) -> dict:
        return {"config": self.config.to_dict(), "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> Pix2Pix:
        return cls(**config)
