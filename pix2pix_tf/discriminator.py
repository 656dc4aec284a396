"""The Pix2Pix discriminator: a conditional PatchGAN."""

from __future__ import annotations

from functools import partial

import keras
from keras import layers

from pix2pix_tf.config import Pix2PixConfig, as_config, loaded_architecture
from pix2pix_tf.errors import ConfigError
from pix2pix_tf.layers import conv_init, conv_norm_act, precision_scope


def patch_output_size(size: int, n_layers: int) -> int:
    """Side of the logit map for an input side `size` (30 at 256 with 3 layers)."""
    if n_layers == 0:
        return size
    for _ in range(n_layers):
        size = (size + 1) // 2
    return size - 2  # two stride-1 4x4 convs with padding 1


def _patchgan(x, c: Pix2PixConfig):
    block = partial(conv_norm_act, sync=c.sync_batch_norm)
    ndf, n = c.discriminator_filters, c.discriminator_layers
    if n == 0:  # PixelGAN: 1x1 receptive field
        x = block(x, ndf, norm="none", act="lrelu", kernel_size=1, strides=1,
                          name="block1")
        x = block(x, ndf * 2, norm=c.norm, act="lrelu", kernel_size=1, strides=1,
                          name="block2")
        return layers.Conv2D(1, 1, kernel_initializer=conv_init(), name="logits")(x)
    x = block(x, ndf, norm="none", act="lrelu", name="block1")
    for i in range(1, n):
        x = block(x, ndf * min(2**i, 8), norm=c.norm, act="lrelu", name=f"block{i + 1}")
    # Stride-1 convs with 1-pixel zero padding, as the reference (256 -> ... 32 -> 31 -> 30).
    x = layers.ZeroPadding2D(1, name=f"block{n + 1}_pad")(x)
    x = block(x, ndf * min(2**n, 8), norm=c.norm, act="lrelu", strides=1,
                      padding="valid", name=f"block{n + 1}")
    x = layers.ZeroPadding2D(1, name="logits_pad")(x)
    return layers.Conv2D(1, 4, padding="valid", kernel_initializer=conv_init(), name="logits")(x)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Discriminator(keras.Model):
    """Conditional PatchGAN: `[input, target] -> logits` of shape (h', w', 1).

    Each logit judges one patch of the pair (70x70 pixels with the default 3 layers;
    30x30 logits at 256x256). With `conditional=False` it ignores `input` and judges
    the target alone.

    Args:
        config: a `Pix2PixConfig` (or its dict); `None` gives the paper's defaults.
    """

    def __init__(self, config: Pix2PixConfig | dict | None = None,
                 name: str = "discriminator", **kwargs):
        config = as_config(config)
        out = min(patch_output_size(s, config.discriminator_layers) for s in config.image_size)
        if out < 1:
            raise ConfigError(
                f"`discriminator_layers`={config.discriminator_layers} is too deep for "
                f"image_size={config.height}x{config.width}: the logit map would be empty. "
                "Use fewer layers or larger images.")
        h, w = config.height, config.width
        inp = keras.Input((h, w, config.input_channels), name="input_image")
        tgt = keras.Input((h, w, config.output_channels), name="target_image")
        with precision_scope(config.precision):
            x = layers.Concatenate(name="pair")([inp, tgt]) if config.conditional else tgt
            logits = _patchgan(x, config)
        logits = layers.Activation("linear", dtype="float32", name="output")(logits)
        super().__init__(inputs=[inp, tgt], outputs=logits, name=name, **kwargs)
        self.pix2pix_config = config

    def get_config(self) -> dict:
        return {"config": self.pix2pix_config.architecture(), "name": self.name,
                "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict) -> Discriminator:
        config = dict(config)
        return cls(config=loaded_architecture(config.pop("config", None)), **config)


def build_discriminator(config: Pix2PixConfig | None = None) -> keras.Model:
    """Builds the discriminator described by `config`.

    Args:
        config: a `Pix2PixConfig`; `None` gives the paper's 70x70 PatchGAN (2.77M
            parameters, 30x30 logits at 256x256).

    Returns:
        A functional `keras.Model` taking `[input, target]` (both in [-1, 1]) and
        returning patch logits (no sigmoid).
    """
    return Discriminator(config)
