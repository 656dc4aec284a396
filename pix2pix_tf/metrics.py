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


def checkerboard_energy(images: tf.Tensor) -> tf.Tensor:
    """Share of each image's spectral energy at the period-2 frequencies, per image.

    The checkerboard a transposed convolution can draw (Odena et al., Distill 2016)
    repeats every 2 pixels, so its energy sits at the frequencies (1/2, 0), (0, 1/2) and
    (1/2, 1/2) cycles per pixel. The channels are averaged and each image's mean removed;
    compare against the targets' own value (photos have a little energy there too).
    Height and width must be even (the period-2 frequency is then a bin of the FFT).
    """
    images = tf.convert_to_tensor(images)
    if images.shape[1] % 2 or images.shape[2] % 2:
        raise ValueError("checkerboard_energy needs an even height and width. "
                         f"Received: shape={tuple(images.shape)}")
    x = tf.reduce_mean(tf.cast(images, tf.float32), axis=-1)
    x = x - tf.reduce_mean(x, axis=[1, 2], keepdims=True)
    power = tf.square(tf.abs(tf.signal.fft2d(tf.complex(x, tf.zeros_like(x)))))
    h, w = x.shape[1] // 2, x.shape[2] // 2
    period2 = power[:, h, 0] + power[:, 0, w] + power[:, h, w]
    return period2 / tf.maximum(tf.reduce_sum(power, axis=[1, 2]), 1e-12)
