"""Image quality metrics on images in [-1, 1]."""

from __future__ import annotations

import tensorflow as tf


def psnr(target: tf.Tensor, generated: tf.Tensor) -> tf.Tensor:
    """Peak signal-to-noise ratio in dB per image (images in [-1, 1], so peak = 2)."""
    return tf.image.psnr(tf.cast(target, tf.float32), tf.cast(generated, tf.float32), max_val=2.0)


def ssim(target: tf.Tensor, generated: tf.Tensor) -> tf.Tensor:
    """Structural similarity per image (11x11 Gaussian window; images >= 11 px)."""
    return tf.image.ssim(tf.cast(target, tf.float32), tf.cast(generated, tf.float32),
                         max_val=2.0)


def high_frequency_energy(images: tf.Tensor) -> tf.Tensor:
    """Mean squared Laplacian response per image (a sharpness measure: blur lowers it)."""
    x = tf.cast(images, tf.float32)
    kernel = tf.constant([[0, 1, 0], [1, -4, 1], [0, 1, 0]], tf.float32)
    kernel = tf.tile(kernel[:, :, None, None], [1, 1, x.shape[-1], 1])
    response = tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID")
    return tf.reduce_mean(tf.square(response), axis=[1, 2, 3])


def sharpness_ratio(target: tf.Tensor, generated: tf.Tensor) -> tf.Tensor:
    """High-frequency energy of generated images relative to their targets, per image
    (1: as much fine detail as the target; L1-only training gives well below 1)."""
    return high_frequency_energy(generated) / tf.maximum(high_frequency_energy(target), 1e-12)
