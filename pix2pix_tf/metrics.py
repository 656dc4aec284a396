"""Image quality metrics. Every function takes images in the models' range [-1, 1].

PSNR and SSIM are computed on images mapped to [0, 1] (`(x + 1) / 2`), the range their
published values use: SSIM is not shift-invariant (its luminance term compares means),
so SSIM computed directly on [-1, 1] is a different, smaller number. Before this was
fixed the package computed SSIM on [-1, 1]; those figures are not comparable.
"""

from __future__ import annotations

import tensorflow as tf


def to_unit(images: tf.Tensor) -> tf.Tensor:
    """[-1, 1] -> [0, 1] (float32)."""
    return (tf.cast(images, tf.float32) + 1.0) / 2.0


def psnr(target: tf.Tensor, generated: tf.Tensor) -> tf.Tensor:
    """Peak signal-to-noise ratio in dB per image, on [0, 1] (peak 1)."""
    return tf.image.psnr(to_unit(target), to_unit(generated), max_val=1.0)


def ssim(target: tf.Tensor, generated: tf.Tensor) -> tf.Tensor:
    """Structural similarity per image, on [0, 1] (Wang et al. 2004: 11x11 Gaussian
    window, sigma 1.5, K1 0.01, K2 0.03; images >= 11 px; colour channels averaged).
    Equals scikit-image's `structural_similarity(..., gaussian_weights=True,
    use_sample_covariance=False, data_range=1)` (tested)."""
    return tf.image.ssim(to_unit(target), to_unit(generated), max_val=1.0)


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
