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
