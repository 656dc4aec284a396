"""Building blocks shared by the generator and the discriminator."""

from __future__ import annotations

import contextlib

import keras
from keras import layers


@contextlib.contextmanager
def precision_scope(precision: str | None):
    """Builds the layers created inside under the dtype policy `precision`.

    Mixed policies compute in bfloat16/float16 and keep the variables in float32.
    `None` leaves Keras' global policy (`keras.config.set_dtype_policy`) in force;
    "auto" is resolved by `pix2pix_tf.precision.resolve_precision`.
    """
    if precision is None:
        yield
        return
    from pix2pix_tf.precision import resolve_precision

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolve_precision(precision)[0])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def conv_init() -> keras.initializers.Initializer:
    """Weights ~ N(0, 0.02), as in the paper."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class BatchNorm(layers.BatchNormalization):
    """BatchNormalization whose inference can use each image's own statistics.

    Training (`training=True`) is Keras' BatchNormalization. At inference,
    `inference_stats="moving"` uses the moving averages (Keras' behaviour) and
    `"image"` normalises each image by the mean and variance of its own feature
    map, per channel: what training computes at batch size 1 (the paper's batch
    size), deterministic, independent of the batch, and made of ordinary ops that
    TFLite and ONNX run.
    """

    def __init__(self, inference_stats: str = "moving", **kwargs):
        super().__init__(**kwargs)
        if inference_stats not in ("moving", "image"):
            raise ValueError("`inference_stats` must be 'moving' or 'image'. "
                             f"Received: inference_stats={inference_stats!r}")
        self.inference_stats = inference_stats

    def call(self, inputs, training=None, mask=None):
        if training or self.inference_stats == "moving":
            return super().call(inputs, training=training, mask=mask)
        ops = keras.ops
        x = ops.cast(inputs, "float32")  # statistics in float32 under mixed precision
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        y = (x - mean) * ops.rsqrt(variance + self.epsilon)
        y = y * ops.cast(self.gamma, "float32") + ops.cast(self.beta, "float32")
        return ops.cast(y, self.compute_dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "inference_stats": self.inference_stats}


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Conv2DTranspose(layers.Conv2DTranspose):
    """Keras' Conv2DTranspose that can run as four 2x2 phase convolutions (for a 4x4
    kernel, stride 2, "same").

    (Same class name as Keras' on purpose: `.keras` files locate weights by the snake
    case of the class name, so generator files saved with Keras' layer keep loading.)

    Each output pixel of a stride-2 transposed convolution depends on one of four
    2x2 sub-kernels of the 4x4 kernel, by the parity of its row and column; computing
    the four phases as ordinary convolutions and interleaving them (depth_to_space)
    gives the same result (to float rounding) with the same FLOPs, without the
    transposed-convolution kernel. The 4x4 kernel stays the layer's weight, so
    checkpoints are unchanged. `phase_inference` uses the phase form (for that kernel
    shape; others always run the native op) at float32
    inference (translate, evaluate, every export); training and reduced precision keep
    the native op.
    """

    # Kernel rows (and columns) of output phase 0 and 1, for input offsets (-1, 0) and
    # (0, +1); the padding that brings those offsets into a VALID 2x2 window.
    _TAPS = {0: [3, 1], 1: [2, 0]}
    _PADS = {0: [1, 0], 1: [0, 1]}
    PHASE_DTYPES = ("float32",)  # compute dtypes that use the phase form at inference
    INTERLEAVES = ("depth_to_space", "transpose")

    def __init__(self, filters: int, kernel_size=4, strides=2, padding: str = "same",
                 phase_inference: bool = True, interleave: str = "depth_to_space", **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        self.phase_inference = bool(phase_inference)
        # How the four phases are interleaved: "depth_to_space" (one op) or "transpose"
        # (reshape-transpose-reshape: the int8 export's copy, export.int8.integer_friendly).
        if interleave not in self.INTERLEAVES:
            raise ValueError(f"`interleave` must be one of {self.INTERLEAVES}. "
                             f"Received: interleave={interleave!r}")
        self.interleave = interleave
        # The phase form is written for this shape only; other shapes run the native op.
        self._phase_shape = (tuple(self.kernel_size) == (4, 4)
                             and tuple(self.strides) == (2, 2) and self.padding == "same")

    def call(self, inputs, training=None):
        # Measured (benchmarks/upconv.py): the phase form is faster at float32 inference
        # and slower in bfloat16, where oneDNN's transposed convolution wins.
        if (training or not (self.phase_inference and self._phase_shape)
                or self.compute_dtype not in self.PHASE_DTYPES):
            return super().call(inputs)
        import tensorflow as tf

        kernel = tf.transpose(tf.cast(self.kernel, self.compute_dtype), [0, 1, 3, 2])
        phases = []
        for a in (0, 1):
            for b in (0, 1):
                k = tf.gather(tf.gather(kernel, self._TAPS[a], axis=0), self._TAPS[b], axis=1)
                x = tf.pad(inputs, [[0, 0], self._PADS[a], self._PADS[b], [0, 0]])
                phases.append(tf.nn.conv2d(x, k, 1, "VALID"))
        y = tf.concat(phases, axis=-1)
        if self.interleave == "transpose":
            # The same interleave as reshape-transpose-reshape: ops that integer
            # quantizers without a DEPTH_TO_SPACE kernel handle (export/int8.py).
            n, h, w = tf.shape(y)[0], tf.shape(y)[1], tf.shape(y)[2]
            c = y.shape[-1] // 4
            y = tf.reshape(y, [n, h, w, 2, 2, c])
            y = tf.transpose(y, [0, 1, 3, 2, 4, 5])
            y = tf.reshape(y, [n, 2 * h, 2 * w, c])
        else:
            y = tf.nn.depth_to_space(y, 2)
        if self.use_bias:
            y = y + tf.cast(self.bias, self.compute_dtype)
        return self.activation(y)

    def get_config(self) -> dict:
        config = {**super().get_config(), "phase_inference": self.phase_inference}
        if self.interleave != "depth_to_space":  # only when set: files stay as they were
            config["interleave"] = self.interleave
        return config


def norm_layer(norm: str, name: str, synchronized: bool = False,
               inference_stats: str = "moving") -> layers.Layer | None:
    """Returns the normalisation layer for `norm` ("batch" | "instance" | "none").

    BatchNorm uses PyTorch's momentum (0.1 -> Keras 0.9) and epsilon (1e-5), as the
    reference implementation; `inference_stats` picks its inference statistics
    (see `BatchNorm`). Instance norm normalises each channel of each image
    (GroupNormalization with one group per channel), so it behaves the same at
    training and inference and does not depend on the batch. `synchronized`
    all-reduces BatchNorm statistics across replicas under tf.distribute.
    """
    gamma_init = keras.initializers.RandomNormal(mean=1.0, stddev=0.02)
    if norm == "batch":
        return BatchNorm(
            inference_stats=inference_stats, momentum=0.9, epsilon=1e-5,
            gamma_initializer=gamma_init, synchronized=synchronized, name=name)
    if norm == "instance":
        return layers.GroupNormalization(
            groups=-1, epsilon=1e-5, gamma_initializer=gamma_init, name=name)
    if norm == "none":
        return None
    raise ValueError(f"`norm` must be 'batch', 'instance' or 'none'. Received: norm={norm!r}")


def conv_norm_act(x, filters: int, *, norm: str, act: str, name: str, kernel_size: int = 4,
                  strides: int = 2, padding: str = "same", transpose: bool = False,
                  dropout: float = 0.0, sync: bool = False, inference_stats: str = "moving",
                  upsample: str | None = None):
    """Conv (or transposed conv) -> optional norm -> optional dropout -> activation.

    The conv has no bias when a norm follows (the norm's beta replaces it). With
    `transpose`, `upsample` (the config's) picks how the resolution is doubled (see
    `upsampling_conv`).
    `act` is "lrelu" (LeakyReLU 0.2, the paper's slope), "relu", "tanh" or "linear".
    """
    norm_l = norm_layer(norm, f"{name}_norm", synchronized=sync, inference_stats=inference_stats)
    if transpose:
        x = upsampling_conv(x, filters, kernel_size, strides=strides, padding=padding,
                            use_bias=norm_l is None, upsample=upsample, name=f"{name}_conv")
    else:
        x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                          use_bias=norm_l is None, kernel_initializer=conv_init(),
                          name=f"{name}_conv")(x)
    if norm_l is not None:
        x = norm_l(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    if act == "lrelu":
        # Keras 3 defaults to 0.3; the paper uses 0.2.
        x = layers.LeakyReLU(negative_slope=0.2, name=f"{name}_lrelu")(x)
    elif act in ("relu", "tanh"):
        x = layers.Activation(act, name=f"{name}_{act}")(x)
    elif act != "linear":
        raise ValueError(f"Unknown activation. Received: act={act!r}")
    return x


def upsampling_conv(x, filters: int, kernel_size: int = 4, *, strides: int = 2,
                    padding: str = "same", use_bias: bool = True, upsample: str | None,
                    name: str):
    """A convolution that multiplies the resolution by `strides`.

    "transpose": a transposed convolution (the paper's U-Net). Its kernel footprints
    overlap unevenly (a 4x4 kernel at stride 2 lands on each output pixel with one of four
    2x2 sub-kernels), so it can draw a period-2 checkerboard unless training evens the
    sub-kernels out. "resize": nearest-neighbour resize, then a 3x3 convolution: the two
    output phases see different sums of the kernel's taps but the same total weight, so a
    flat input stays flat and the uneven-overlap pattern does not arise (Odena, Dumoulin
    and Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016: resize-convolution
    is biased against it). Same output shape; the 3x3 kernels have fewer weights than 4x4,
    but run at the output resolution: about 2.25x the multiply-adds of the phase form.
    """
    if upsample == "transpose":
        return Conv2DTranspose(filters, kernel_size, strides=strides, padding=padding,
                               use_bias=use_bias, kernel_initializer=conv_init(), name=name)(x)
    if upsample != "resize":
        from pix2pix_tf.config import UPSAMPLES

        raise ValueError(f"`upsample` must be one of {UPSAMPLES}. Received: upsample={upsample!r}")
    if strides != 1:
        x = layers.UpSampling2D(strides, interpolation="nearest", name=f"{name}_resize")(x)
    return layers.Conv2D(filters, 3, padding="same", use_bias=use_bias,
                         kernel_initializer=conv_init(), name=name)(x)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class ReflectionPadding2D(layers.Layer):
    """Reflection padding (as PyTorch's `nn.ReflectionPad2d`) for the ResNet generator."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return keras.ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        p = 2 * self.padding
        return (b, None if h is None else h + p, None if w is None else w + p, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
