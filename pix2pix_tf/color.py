"""Colour spaces: CIE Lab for the paper's colourisation (L -> ab), in TensorFlow.

With `color_space="lab"` the generator takes the lightness L (1 channel) and predicts
the chroma ab (2 channels), as in the paper's colourisation experiments; everything a
user sees (sample grids, validation metrics, translate, evaluate, video, exports) is
turned back into RGB by `to_rgb`. With "rgb" (the default) every function here is
the identity or the pipeline's usual step.

Scaling into the models' [-1, 1]: L / 50 - 1 (L is 0..100) and ab / 110 (sRGB's ab
stay within about +-110), so a generator's tanh covers every sRGB colour.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

L_SCALE, AB_SCALE = 50.0, 110.0

# sRGB (D65) <-> CIE XYZ, and the D65 white point (the matrices of IEC 61966-2-1).
# numpy, not tf.constant: creating tensors at import would start TensorFlow's runtime
# before a MultiWorkerMirroredStrategy can configure it.
_RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                        [0.212671, 0.715160, 0.072169],
                        [0.019334, 0.119193, 0.950227]], np.float32)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ).astype(np.float32)
_WHITE = np.array([0.950456, 1.0, 1.088754], np.float32)
_EPS = 6.0 / 29.0


def rgb_to_lab(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB in [0, 1] (..., 3) -> CIE Lab (L in 0..100, a and b about -110..110)."""
    rgb = tf.clip_by_value(tf.cast(rgb, tf.float32), 0.0, 1.0)
    linear = tf.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = tf.linalg.matvec(_RGB_TO_XYZ, linear) / _WHITE
    f = tf.where(xyz > _EPS**3, tf.pow(tf.maximum(xyz, _EPS**3), 1.0 / 3.0),
                 xyz / (3 * _EPS**2) + 4.0 / 29.0)
    fx, fy, fz = tf.unstack(f, axis=-1)
    return tf.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab: tf.Tensor) -> tf.Tensor:
    """CIE Lab (..., 3) -> sRGB in [0, 1] (colours outside sRGB are clipped)."""
    L, a, b = tf.unstack(tf.cast(lab, tf.float32), axis=-1)
    fy = (L + 16.0) / 116.0
    f = tf.stack([fy + a / 500.0, fy, fy - b / 200.0], axis=-1)
    xyz = tf.where(f > _EPS, f**3, 3 * _EPS**2 * (f - 4.0 / 29.0)) * _WHITE
    linear = tf.clip_by_value(tf.linalg.matvec(_XYZ_TO_RGB, xyz), 0.0, 1.0)
    rgb = tf.where(linear <= 0.0031308, 12.92 * linear,
                   1.055 * tf.pow(tf.maximum(linear, 0.0031308), 1.0 / 2.4) - 0.055)
    return tf.clip_by_value(rgb, 0.0, 1.0)


def lab_pair(pixels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """RGB pixels 0..255 (..., 3) -> (L, ab) scaled to [-1, 1]: a model's input and target."""
    lab = rgb_to_lab(tf.cast(pixels, tf.float32) / 255.0)
    return lab[..., :1] / L_SCALE - 1.0, lab[..., 1:] / AB_SCALE


def to_rgb(inputs: tf.Tensor, outputs: tf.Tensor, color_space: str = "rgb") -> tf.Tensor:
    """A model's outputs (or targets) as RGB in [-1, 1]: identity for "rgb"; for "lab",
    the input's L joined with the output's ab, converted."""
    if color_space != "lab":
        return outputs
    L = (tf.cast(inputs, tf.float32) + 1.0) * L_SCALE
    ab = tf.clip_by_value(tf.cast(outputs, tf.float32), -1.0, 1.0) * AB_SCALE
    return lab_to_rgb(tf.concat([L, ab], axis=-1)) * 2.0 - 1.0


def rgb_generator(generator, config):
    """`generator` itself for RGB models; for Lab models, a Keras model with the same
    input (L) whose output is the RGB image in [-1, 1] (what exports contain)."""
    if config.color_space != "lab":
        return generator
    inputs = keras.Input(generator.input_shape[1:], name="input")
    outputs = LabToRgb(name="lab_to_rgb")([inputs, generator(inputs)])
    return keras.Model(inputs, outputs, name=f"{generator.name}_rgb")


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class LabToRgb(keras.layers.Layer):
    """[L input, ab output] in [-1, 1] -> RGB in [-1, 1] (see `to_rgb`)."""

    def call(self, inputs):
        return to_rgb(inputs[0], inputs[1], "lab")

    def compute_output_shape(self, input_shapes):
        return (*input_shapes[0][:-1], 3)
