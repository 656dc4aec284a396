"""`Pix2Pix`: the generator and discriminator trained together with `fit`."""

from __future__ import annotations

import keras
import tensorflow as tf

from pix2pix_tf.color import to_rgb
from pix2pix_tf.config import Pix2PixConfig, as_config
from pix2pix_tf.discriminator import build_discriminator
from pix2pix_tf.generator import build_generator
from pix2pix_tf.losses import discriminator_loss, generator_gan_loss, l1_loss
from pix2pix_tf.metrics import psnr, ssim
from pix2pix_tf.optimizers import Adam, GanOptimizers
from pix2pix_tf.precision import resolve_precision

TRAIN_METRICS = ("g_total", "g_gan", "g_l1", "d_total", "d_real", "d_fake")
TEST_METRICS = ("l1", "psnr", "ssim")


def _logs(trackers: list[keras.metrics.Metric]) -> dict:
    """Step logs. Under MultiWorkerMirroredStrategy, Keras 3 reduces them with a mean
    over axis 0, which fails on scalars (tensorflow/tensorflow#72388): give them one."""
    logs = {t.name: t.result() for t in trackers}
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        logs = {k: tf.reshape(v, [1]) for k, v in logs.items()}
    return logs


def default_optimizer(config: Pix2PixConfig, name: str = "adam") -> keras.optimizers.Optimizer:
    """Adam(2e-4, beta_1=0.5), the paper's optimiser for both networks (Keras' Adam,
    updated by TensorFlow's fused kernel: `pix2pix_tf.optimizers.Adam`)."""
    return Adam(config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                epsilon=config.adam_epsilon, name=name)


def computes_in_float16(model: keras.Model) -> bool:
    """True when any layer of `model` computes in float16 (so gradients need loss scaling)."""
    return any(getattr(layer, "compute_dtype", None) == "float16" for layer in model.layers)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Pix2Pix(keras.Model):
    """Pix2Pix conditional GAN: a generator and a PatchGAN trained with `fit`.

    `train_step` updates the two networks with two optimisers (`g_optimizer`,
    `d_optimizer`; together `model.optimizer`, so Keras' learning-rate callbacks
    drive both). `config.update` picks the order: "alternating" (the paper and its
    reference code: a D step, then a G step against the updated D) or
    "simultaneous" (both from one forward pass, as the TF tutorial). Logs are epoch
    means of `g_total = lambda_gan * g_gan + lambda_l1 * g_l1`, `d_total = (d_real + d_fake) / 2`
    and their terms; `evaluate` / `validation_data` report `l1`, `psnr` (dB), `ssim`.

    Inference (`model(x)`, `predict`, `evaluate`, the sample grids) follows the
    inference contract (`pix2pix_tf.translator`) in the training precision, on the live
    weights: "image_stats" and "moving_stats" are the generator's deterministic
    `training=False`; "batch_stats" adds seeded dropout to each image's own statistics
    (as the paper's test time at batch 1, without mixing the images of a batch).

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
        if self.config.precision == "auto":  # decided once: networks and config agree
            self.config = self.config.replace(
                precision=resolve_precision(self.config.precision)[0])
        self.generator = generator if generator is not None else build_generator(self.config)
        self.discriminator = (discriminator if discriminator is not None
                              else build_discriminator(self.config))
        self._train_trackers = [keras.metrics.Mean(name=n) for n in TRAIN_METRICS]
        self._test_trackers = [keras.metrics.Mean(name=n) for n in TEST_METRICS]
        from pix2pix_tf.translator import inference_network

        # The generator itself, or (batch_stats) a network sharing its layers with dropout
        # on; set past Keras' attribute tracking so its layers are not saved twice.
        object.__setattr__(self, "_inference", inference_network(
            self.generator, self.config, precision="as_trained"))
        self.g_optimizer: keras.optimizers.Optimizer | None = None
        self.d_optimizer: keras.optimizers.Optimizer | None = None
        self.built = True

    def compile(self, g_optimizer: keras.optimizers.Optimizer | None = None,
                d_optimizer: keras.optimizers.Optimizer | None = None, **kwargs) -> None:
        """Sets the two optimisers (default: the paper's Adam for each).

        Networks that compute in float16 get both optimisers wrapped in
        `LossScaleOptimizer` (decided from the layers' actual dtype policy, whether it
        came from `config.precision` or `keras.config.set_dtype_policy`). Other keyword
        arguments (`steps_per_execution`, `jit_compile`, ...) go to
        `keras.Model.compile`. No `loss`: the losses come from the config.
        """
        # No `optimizer=`: Keras would default to an RMSprop this model never uses.
        super().compile(optimizer=None, **kwargs)
        g_optimizer = g_optimizer or default_optimizer(self.config, "g_adam")
        d_optimizer = d_optimizer or default_optimizer(self.config, "d_adam")
        LSO = keras.optimizers.LossScaleOptimizer
        if computes_in_float16(self.generator) and not isinstance(g_optimizer, LSO):
            g_optimizer = LSO(g_optimizer, name="g_loss_scale")
        if computes_in_float16(self.discriminator) and not isinstance(d_optimizer, LSO):
            d_optimizer = LSO(d_optimizer, name="d_loss_scale")
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.optimizer = GanOptimizers(g_optimizer, d_optimizer)
        # Create the optimiser slots now, in the caller's strategy scope: created lazily
        # inside a replicated train step they fail under tf.distribute.
        for opt, net in ((self.g_optimizer, self.generator),
                         (self.d_optimizer, self.discriminator)):
            if not opt.built:
                opt.build(net.trainable_variables)
        self._pix2pix_compile_config = {
            "g_optimizer": keras.saving.serialize_keras_object(g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(d_optimizer),
            **{k: v for k, v in kwargs.items() if isinstance(v, (bool, int, str))}}

    def get_compile_config(self) -> dict | None:
        return getattr(self, "_pix2pix_compile_config", None)

    def compile_from_config(self, config: dict) -> None:
        """Recompiles a loaded model with its saved optimisers (their state is then
        restored by Keras, so training continues where it stopped)."""
        config = dict(config)
        g = keras.saving.deserialize_keras_object(config.pop("g_optimizer"))
        d = keras.saving.deserialize_keras_object(config.pop("d_optimizer"))
        self.compile(g_optimizer=g, d_optimizer=d, **config)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Both networks and optimisers are built in __init__/compile, so Keras' symbolic
        # build has nothing to do; under a strategy it would also pull a batch and
        # reduce it across replicas eagerly, which MultiWorkerMirroredStrategy rejects.
        # (A test fails if Keras stops calling this private hook.)
        return

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listed here so Keras resets them at the start of each epoch.
        return self._train_trackers + self._test_trackers

    def call(self, inputs, training: bool = False):
        if training:
            return self.generator(inputs, training=True)
        return self._inference(inputs, training=False)

    def _d_losses(self, x, y, fake):
        real_logits = self.discriminator([x, y], training=True)
        fake_logits = self.discriminator([x, fake], training=True)
        d_real, d_fake = discriminator_loss(real_logits, fake_logits, self.config.gan_mode)
        return d_real, d_fake, 0.5 * (d_real + d_fake)

    def _g_losses(self, x, y, fake):
        c = self.config
        g_gan = generator_gan_loss(self.discriminator([x, fake], training=True), c.gan_mode)
        g_l1 = l1_loss(y, fake)
        return g_gan, g_l1, c.lambda_gan * g_gan + c.lambda_l1 * g_l1

    def train_step(self, data):
        x, y = data[0], data[1]
        # Gradients are summed over replicas by the optimiser under tf.distribute, so
        # each replica's loss is scaled to give the mean over the global batch.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        if self.config.update == "alternating":
            # The paper (sec. 3.3) and its reference code: one G forward pass; a D step
            # on the detached fake; then a G step through the *updated* D.
            with tf.GradientTape() as g_tape:
                fake = self.generator(x, training=True)
                with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                    d_real, d_fake, d_total = self._d_losses(x, y, tf.stop_gradient(fake))
                    d_scaled = self.d_optimizer.scale_loss(d_total / replicas)
                with g_tape.stop_recording():
                    self.d_optimizer.apply(d_tape.gradient(d_scaled, d_vars), d_vars)
                g_gan, g_l1, g_total = self._g_losses(x, y, fake)
                g_scaled = self.g_optimizer.scale_loss(g_total / replicas)
            self.g_optimizer.apply(g_tape.gradient(g_scaled, g_vars), g_vars)
        else:
            # Both from one forward pass (the TF tutorial): D judges the same fake whose
            # gradient G receives; one fewer D forward pass per step.
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = self.generator(x, training=True)
                real_logits = self.discriminator([x, y], training=True)
                fake_logits = self.discriminator([x, fake], training=True)
                g_gan = generator_gan_loss(fake_logits, self.config.gan_mode)
                g_l1 = l1_loss(y, fake)
                g_total = self.config.lambda_gan * g_gan + self.config.lambda_l1 * g_l1
                d_real, d_fake = discriminator_loss(real_logits, fake_logits,
                                                    self.config.gan_mode)
                d_total = 0.5 * (d_real + d_fake)
                g_scaled = self.g_optimizer.scale_loss(g_total / replicas)
                d_scaled = self.d_optimizer.scale_loss(d_total / replicas)
            self.g_optimizer.apply(g_tape.gradient(g_scaled, g_vars), g_vars)
            self.d_optimizer.apply(d_tape.gradient(d_scaled, d_vars), d_vars)
        for tracker, value in zip(self._train_trackers,
                                  (g_total, g_gan, g_l1, d_total, d_real, d_fake)):
            tracker.update_state(value)
        return _logs(self._train_trackers)

    def test_step(self, data):
        x, y = data[0], data[1]
        # Scored as RGB, as `evaluate` scores (Lab models: L joined with ab).
        space = self.config.color_space
        fake, y = to_rgb(x, self(x, training=False), space), to_rgb(x, y, space)
        # Per image, so the epoch mean does not depend on how the set is batched.
        self._test_trackers[0].update_state(tf.reduce_mean(tf.abs(y - fake), axis=[1, 2, 3]))
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
