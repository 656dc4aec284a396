"""The Pix2Pix generator: U-Net (the paper's) or ResNet (as the reference code)."""

from __future__ import annotations

from functools import partial

import keras
from keras import layers

from pix2pix_tf.config import Pix2PixConfig, as_config, loaded_architecture
from pix2pix_tf.layers import (
    ReflectionPadding2D,
    conv_init,
    conv_norm_act,
    norm_layer,
    precision_scope,
    upsampling_conv,
)
from pix2pix_tf.preprocessor import Preprocessor


def _stats(c: Pix2PixConfig) -> str:
    """BatchNorm's inference statistics for `c.inference_mode` (see `layers.BatchNorm`).

    "batch_stats" runs in training mode at inference; its deterministic part (what
    `training=False` and exports compute) is each image's own statistics.
    """
    return "moving" if c.inference_mode == "moving_stats" else "image"


def _unet(x, c: Pix2PixConfig):
    """Encoder C64-C128-C256-C512-C512-C512-C512-C512, mirrored decoder with skips."""
    block = partial(conv_norm_act, sync=c.sync_batch_norm, inference_stats=_stats(c),
                    upsample=c.upsample)
    ngf, depth = c.generator_filters, c.unet_depth
    skips = []
    for i in range(depth):
        # No norm on the first layer (as the paper) nor on the bottleneck: BatchNorm of
        # a 1x1 map at batch 1 outputs exactly beta, cutting the bottleneck off.
        plain = i == 0 or i == depth - 1
        x = block(x, min(ngf * 2**i, ngf * 8), norm="none" if plain else c.norm,
                          act="lrelu", name=f"down{i + 1}")
        skips.append(x)
    for j, skip in enumerate(reversed(skips[:-1])):
        level = depth - 2 - j
        rate = c.dropout_rate if j < c.num_dropout_blocks else 0.0
        x = block(x, min(ngf * 2**level, ngf * 8), norm=c.norm, act="relu",
                          transpose=True, dropout=rate, name=f"up{j + 1}")
        x = layers.Concatenate(name=f"skip{j + 1}")([x, skip])
    return upsampling_conv(x, c.output_channels, 4, upsample=c.upsample, name="output_conv")


def _resnet(x, c: Pix2PixConfig):
    """c7s1-64, d128, d256, R256 x blocks, u128, u64, c7s1-out (reference ResnetGenerator)."""
    block = partial(conv_norm_act, sync=c.sync_batch_norm, inference_stats=_stats(c),
                    upsample=c.upsample)
    ngf = c.generator_filters
    x = ReflectionPadding2D(3, name="stem_pad")(x)
    x = block(x, ngf, norm=c.norm, act="relu", kernel_size=7, strides=1,
                      padding="valid", name="stem")
    for i in range(2):
        x = block(x, ngf * 2 ** (i + 1), norm=c.norm, act="relu", kernel_size=3,
                          name=f"down{i + 1}")
    filters = ngf * 4
    for b in range(c.resnet_blocks):
        y = ReflectionPadding2D(1, name=f"res{b + 1}_pad1")(x)
        y = block(y, filters, norm=c.norm, act="relu", kernel_size=3, strides=1,
                          padding="valid", dropout=c.dropout_rate if c.dropout else 0.0,
                          name=f"res{b + 1}_a")
        y = ReflectionPadding2D(1, name=f"res{b + 1}_pad2")(y)
        y = block(y, filters, norm=c.norm, act="linear", kernel_size=3, strides=1,
                          padding="valid", name=f"res{b + 1}_b")
        x = layers.Add(name=f"res{b + 1}_add")([x, y])
    for i in range(2):
        x = block(x, ngf * 2 ** (1 - i), norm=c.norm, act="relu", kernel_size=3,
                          transpose=True, name=f"up{i + 1}")
    x = ReflectionPadding2D(3, name="head_pad")(x)
    return layers.Conv2D(c.output_channels, 7, padding="valid", kernel_initializer=conv_init(),
                         name="output_conv")(x)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Generator(keras.Model):
    """Pix2Pix generator as a Keras functional model.

    Maps an image in [-1, 1] of shape (height, width, input_channels) to one of shape
    (height, width, output_channels) in [-1, 1] (tanh). `training=False` computes
    the config's deterministic `inference_mode` (the same function export writes).
    The model file keeps the architecture options (`config.architecture()`) and the
    inference contract's `Preprocessor` (direction, fit; `pix2pix_tf.translator`), so
    a bare generator file knows which half of an A|B image it takes.

    Args:
        config: a `Pix2PixConfig` (or its dict); `None` gives the paper's defaults.

    Example:
    ```python
    g = Generator(Pix2PixConfig(image_size=128))
    y = g(x, training=False)  # inference: each image normalised by its own statistics
    ```
    """

    def __init__(self, config: Pix2PixConfig | dict | None = None, name: str = "generator",
                 **kwargs):
        config = as_config(config)
        inputs = keras.Input((config.height, config.width, config.input_channels), name="input")
        body = _unet if config.generator == "unet" else _resnet
        with precision_scope(config.precision):
            x = body(inputs, config)
        # float32 output even under a mixed-precision policy.
        outputs = layers.Activation("tanh", dtype="float32", name="output")(x)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self.pix2pix_config = config
        self.preprocessor_recorded = True

    def get_config(self) -> dict:
        return {"config": self.pix2pix_config.architecture(), "name": self.name,
                "trainable": self.trainable,
                "preprocessor": Preprocessor.from_config(self.pix2pix_config).to_dict()}

    @classmethod
    def from_config(cls, config: dict) -> Generator:
        config = dict(config)
        recorded = config.pop("preprocessor", None)
        architecture = as_config(loaded_architecture(config.pop("config", None)))
        if recorded is not None:
            architecture = architecture.replace(
                **Preprocessor.from_dict(recorded).config_changes())
        model = cls(config=architecture, **config)
        model.preprocessor_recorded = recorded is not None  # older files: direction unknown
        return model


def build_generator(config: Pix2PixConfig | None = None) -> keras.Model:
    """Builds the generator described by `config`.

    Args:
        config: a `Pix2PixConfig`; `None` gives the paper's U-Net at 256x256x3
            (54.4M parameters).

    Returns:
        A functional `keras.Model` from images to images, both in [-1, 1].
    """
    return Generator(config)


__all__ = ["Generator", "build_generator", "norm_layer"]
