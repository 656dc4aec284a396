"""Analytic FLOP counts of the generator, the discriminator and one train step."""

from __future__ import annotations

import keras


def forward_flops(model: keras.Model) -> int:
    """Multiply-adds x 2 of every convolution in one forward pass of one image."""
    total = 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * kh * kw * cin * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            _, h, w, cout = layer.output.shape
            kh, kw = layer.kernel_size
            total += 2 * h * w * kh * kw * layer.input.shape[-1] * cout
    return total


def train_step_flops(generator: keras.Model, discriminator: keras.Model) -> int:
    """FLOPs of one Pix2Pix step per image: G forward + backward (3 G) and D on the real
    and the fake pair, forward + backward (2 x 3 D), plus G's loss back through D (1 D)."""
    return 3 * forward_flops(generator) + 7 * forward_flops(discriminator)
