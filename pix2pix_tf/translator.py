"""The inference contract: what a generator's input is, and what its output means.

Every path that runs a generator goes through this file: `translate` (images, A|B
pairs, folders), video, `evaluate`, `fit`'s validation metrics and sample grids, the
studies, every export (which fold the same steps into their graph or write
`Preprocessor.to_dict()` into the artifact's metadata) and the web page (which reads
that metadata: `export/web/preprocess.js` mirrors `prepare` step by step).

The contract, in order:

1. **Input half.** An A|B file (exactly twice the model's aspect ratio) is split and
   its input half taken: the left (A) for `direction="AtoB"`, the right (B) for "BtoA".
2. **Channels.** The image becomes the model's input channels: RGB, grayscale
   (`tf.image.rgb_to_grayscale` of the 8-bit pixels), or for a Lab colourisation model
   the RGB photo, whose lightness L* is taken after step 3.
3. **Fit.** `fit="resize"`: the whole image resized to the model's size (bilinear with
   antialiasing, as training's resize), and the output resized back to the image's
   size. `fit="crop"` (models trained with `preprocess="crop"`, which saw the native
   scale): the centre crop at the model's size (zero-padded where the image is
   smaller), and the output is that crop. `fit` is the model's recorded default; the
   `Translator`'s `size` option (CLI `--size`) may instead choose, per translator or per
   call, "native" (the whole image at its own size, reflect-padded to what the network
   takes, the output cropped back) or "tiled" (overlapping tiles at the model's size,
   blended): see `pix2pix_tf.sizes`. How to treat an image's size is an inference-time
   choice, so it is not saved in the model file; exports keep the fixed-size network.
4. **Range.** Pixels p (0..255) -> x = p / 127.5 - 1; Lab: x = L* / 50 - 1.
5. **Network.** `inference_mode="image_stats"` (default): BatchNorm normalises each
   image by its own statistics, dropout off — deterministic, the same for any batch;
   "moving_stats": BatchNorm's moving averages; "batch_stats" (the paper's test
   time): each image's own statistics *and* dropout, seeded — still batch-independent.
   Computed in float32 unless `precision` says otherwise (a network trained in
   bfloat16 is copied into a float32 one).
6. **Output.** RGB in [-1, 1] (a Lab model's ab joined with the input's L* and
   converted), then pixels p = round((y + 1) * 127.5), clipped to 0..255.

The `Preprocessor` is saved inside the generator's `.keras` file (its config), so a
bare generator file is self-describing: its direction and fit travel with it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf.color import lab_pair, to_rgb
from pix2pix_tf.errors import ConfigError, DataError
from pix2pix_tf.saving import load_model_file
from pix2pix_tf.sizes import (
    DEFAULT_MEMORY_LIMIT_GB,
    DEFAULT_TILE_OVERLAP,
    activation_floats_per_pixel,
    check_overlap,
    check_size,
    flexible_network,
    pad_reflect,
    padded_length,
    tiled_apply,
)

FITS = ("resize", "crop")
LAYOUTS = ("auto", "single", "ab")
PRECISIONS = ("float32", "as_trained")


# --- the steps, each one function, shared with the data pipeline -----------------------

def decode(contents: tf.Tensor, channels: int) -> tf.Tensor:
    """Encoded image bytes (JPEG, PNG, BMP, GIF) -> uint8 (H, W, channels), upright: a
    JPEG's EXIF orientation is applied (as cameras and phones mean it, as browsers and
    `PIL.ImageOps.exif_transpose` show it)."""
    img = tf.io.decode_image(contents, channels=channels, dtype=tf.uint8,
                             expand_animations=False)
    img.set_shape([None, None, channels])
    return apply_orientation(img, exif_orientation(contents))


# The EXIF block sits in an APP1 segment near the start of the file (at most 64 KB).
_EXIF_SCAN = 65536
_ORIENTATION_TAG = 0x0112


def exif_orientation(contents: tf.Tensor) -> tf.Tensor:
    """The EXIF orientation (1..8) of JPEG bytes, in TensorFlow ops (so the data pipeline
    and the SavedModel's `serving_bytes` read it too); 1 for other formats, no EXIF, a
    damaged block or a value out of range."""
    raw = tf.cast(tf.io.decode_raw(tf.strings.substr(contents, 0, _EXIF_SCAN), tf.uint8),
                  tf.int32)
    n = tf.size(raw)
    data = tf.concat([raw, tf.zeros([16], tf.int32)], 0)  # reads past the end give 0

    def byte(i):
        i = tf.convert_to_tensor(i)
        inside = tf.logical_and(i >= 0, i < n)
        return tf.where(inside, tf.gather(data, tf.clip_by_value(i, 0, n + 15)), 0)

    def u16(i, little):
        return tf.where(little, byte(i) + 256 * byte(i + 1), 256 * byte(i) + byte(i + 1))

    def u32(i, little):
        return tf.where(little, u16(i, little) + 65536 * u16(i + 2, little),
                        65536 * u16(i, little) + u16(i + 2, little))

    big = tf.constant(False)
    exif_id = [0x45, 0x78, 0x69, 0x66, 0, 0]  # "Exif\0\0"

    def walking(pos, found):
        return tf.logical_and(tf.logical_and(found < 0, pos + 4 <= n), byte(pos) == 0xFF)

    def segment(pos, found):  # one marker segment: FF xx, length (big-endian, >= 2)
        marker = byte(pos + 1)
        is_exif = tf.equal(marker, 0xE1)
        for k, v in enumerate(exif_id):
            is_exif = tf.logical_and(is_exif, tf.equal(byte(pos + 4 + k), v))
        length = tf.maximum(u16(pos + 2, big), 2)
        stop = tf.logical_or(tf.equal(marker, 0xDA), tf.equal(marker, 0xD9))  # SOS, EOI
        found = tf.where(is_exif, pos + 10, tf.where(stop, 0, -1))
        return pos + 2 + length, found

    is_jpeg = tf.logical_and(tf.equal(byte(0), 0xFF), tf.equal(byte(1), 0xD8))
    _, tiff = tf.while_loop(walking, segment, (tf.constant(2), tf.where(is_jpeg, -1, 0)),
                            maximum_iterations=256)
    tiff = tf.where(tf.logical_and(is_jpeg, tiff > 0), tiff, -1)
    little = tf.logical_and(tf.equal(byte(tiff), 0x49), tf.equal(byte(tiff + 1), 0x49))
    motorola = tf.logical_and(tf.equal(byte(tiff), 0x4D), tf.equal(byte(tiff + 1), 0x4D))
    valid = tf.logical_and(tiff > 0, tf.logical_or(little, motorola))
    ifd = tiff + u32(tiff + 4, little)
    entries = ifd + 2 + 12 * tf.range(tf.clip_by_value(u16(ifd, little), 0, 256))
    match = tf.equal(u16(entries, little), _ORIENTATION_TAG)
    value = tf.reduce_max(tf.concat([tf.where(match, u16(entries + 8, little), 0), [0]], 0))
    ok = tf.logical_and(valid, tf.logical_and(value >= 1, value <= 8))
    return tf.where(ok, value, 1)


def apply_orientation(img: tf.Tensor, orientation: tf.Tensor) -> tf.Tensor:
    """An image (H, W, C) as stored -> upright, for EXIF `orientation` 1..8 (what
    `PIL.ImageOps.exif_transpose` does)."""
    def transpose():
        return tf.transpose(img, [1, 0, 2])

    branches = [lambda: img,                                   # 1: as stored
                lambda: tf.image.flip_left_right(img),         # 2: mirrored
                lambda: tf.image.rot90(img, 2),                # 3: upside down
                lambda: tf.image.flip_up_down(img),            # 4: mirrored, upside down
                transpose,                                     # 5
                lambda: tf.image.rot90(img, 3),                # 6: the phone held upright
                lambda: tf.image.rot90(transpose(), 2),        # 7
                lambda: tf.image.rot90(img, 1)]                # 8
    out = tf.switch_case(tf.clip_by_value(orientation, 1, 8) - 1, branches)
    out.set_shape([None, None, img.shape[-1]])
    return out


def to_channels(img: tf.Tensor, channels: int) -> tf.Tensor:
    """uint8 images with 1 or 3 channels -> `channels` (grayscale <-> RGB)."""
    have = img.shape[-1]
    if have == channels:
        return img
    if channels == 1:
        return tf.image.rgb_to_grayscale(img)
    return tf.image.grayscale_to_rgb(img)


def resize(images: tf.Tensor, size) -> tf.Tensor:
    """Images -> float32 at `size`: bilinear with antialiasing (training's resize)."""
    return tf.image.resize(tf.cast(images, tf.float32), size, antialias=True)


def fit_to_model(pixels: tf.Tensor, size, fit: str) -> tf.Tensor:
    """Step 3: float pixels of any size -> the model's `size` ("resize" or "crop")."""
    if fit == "crop":
        return tf.image.resize_with_crop_or_pad(tf.cast(pixels, tf.float32), size[0], size[1])
    return resize(pixels, size)


def to_unit_range(pixels: tf.Tensor) -> tf.Tensor:
    """Step 4: pixels 0..255 -> the models' range [-1, 1]."""
    return tf.clip_by_value(pixels, 0.0, 255.0) / 127.5 - 1.0


def to_pixels(images) -> np.ndarray:
    """Step 6: images in [-1, 1] -> uint8 pixels (round half up; grayscale stays 1 channel)."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.floor((images + 1.0) * 127.5 + 0.5), 0, 255).astype(np.uint8)


# --- the contract's parameters -----------------------------------------------------------

@dataclass(frozen=True)
class Preprocessor:
    """What a generator's input is and how its output is read (see the module docstring).

    Saved in the generator's file and in every export's metadata (`to_dict`).

    Args:
        image_size: the model's (height, width).
        input_channels: 1 or 3 (a Lab model: 1, its L*).
        output_channels: the network's output channels (Lab: 2, ab).
        color_space: "rgb" or "lab".
        direction: "AtoB" or "BtoA": which half of an A|B image is the input.
        fit: "resize" or "crop" (step 3).
        inference_mode: "image_stats", "moving_stats" or "batch_stats" (step 5).
    """

    image_size: tuple[int, int] = (256, 256)
    input_channels: int = 3
    output_channels: int = 3
    color_space: str = "rgb"
    direction: str = "AtoB"
    fit: str = "resize"
    inference_mode: str = "image_stats"

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_size", tuple(int(s) for s in self.image_size))
        if self.fit not in FITS:
            raise ConfigError(f"`fit` must be one of {FITS}. Received: fit={self.fit!r}")
        if self.direction not in ("AtoB", "BtoA"):
            raise ConfigError("`direction` must be 'AtoB' or 'BtoA'. "
                              f"Received: direction={self.direction!r}")

    @classmethod
    def from_config(cls, config) -> Preprocessor:
        """The preprocessor of a `Pix2PixConfig` (crop-trained models fit by crop)."""
        return cls(image_size=config.image_size, input_channels=config.input_channels,
                   output_channels=config.output_channels, color_space=config.color_space,
                   direction=config.direction,
                   fit="crop" if config.preprocess == "crop" else "resize",
                   inference_mode=config.inference_mode)

    def config_changes(self) -> dict[str, Any]:
        """The `Pix2PixConfig` options this preprocessor decides (for a loaded model)."""
        changes: dict[str, Any] = {"direction": self.direction}
        if self.fit == "crop":
            changes["preprocess"] = "crop"
        return changes

    @property
    def input_content(self) -> str:
        """What the model's input channels hold: "rgb", "gray" or "lab_l"."""
        if self.color_space == "lab":
            return "lab_l"
        return "gray" if self.input_channels == 1 else "rgb"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; also what exports store as metadata (with the value ranges)."""
        d = dataclasses.asdict(self)
        d["image_size"] = list(self.image_size)
        d["input_content"] = self.input_content
        d["input_range"] = [-1.0, 1.0]
        d["input_scale"] = ("x = L* / 50 - 1 (L* of the sRGB pixels, 0..100)"
                            if self.color_space == "lab" else "x = p / 127.5 - 1")
        d["output"] = "RGB in [-1, 1]: p = round((y + 1) * 127.5)"
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessor:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})

    # --- steps 1-4 ------------------------------------------------------------------------
    def is_pair(self, height: int, width: int, layout: str = "auto") -> bool:
        """Step 1: is an image of this size an A|B pair (`layout` "auto")?"""
        if layout not in LAYOUTS:
            raise ConfigError(f"`layout` must be one of {LAYOUTS}. Received: {layout!r}")
        if layout != "auto":
            return layout == "ab"
        h, w = self.image_size
        return width * h == 2 * height * w

    def input_half(self, image, layout: str = "auto"):
        """Step 1: the input half of an A|B image, else the image itself."""
        height, width = int(image.shape[0]), int(image.shape[1])
        if not self.is_pair(height, width, layout):
            return image
        half = width // 2
        return image[:, :half] if self.direction == "AtoB" else image[:, half:2 * half]

    def prepare(self, images, fit: bool = True) -> tf.Tensor:
        """Steps 2-4: uint8 image(s) (H, W, 1 or 3), any size -> the model's input.

        `fit=False` skips step 3: the input at the images' own size (what "native" and
        "tiled" feed the network)."""
        lab = self.color_space == "lab"
        # Channels from the 8-bit pixels (step 2): a Lab model converts RGB to L*.
        x = to_channels(tf.convert_to_tensor(images), 3 if lab else self.input_channels)
        x = fit_to_model(x, self.image_size, self.fit) if fit else tf.cast(x, tf.float32)
        if lab:
            return lab_pair(tf.clip_by_value(x, 0.0, 255.0))[0]
        return to_unit_range(x)

    def prepare_unfitted(self, images) -> tf.Tensor:
        """`prepare` without step 3 (`fit=False`)."""
        return self.prepare(images, fit=False)

    def to_rgb(self, inputs, outputs) -> tf.Tensor:
        """Step 6: the network's outputs (or targets) as RGB in [-1, 1]."""
        return to_rgb(inputs, outputs, self.color_space)

    def restore(self, rgb, size: tuple[int, int]) -> np.ndarray:
        """Step 6: RGB in [-1, 1] at the model's size -> uint8 pixels of the output: at
        the input's `size` for "resize", the model's size for "crop"."""
        if self.fit == "resize" and tuple(size) != tuple(self.image_size):
            rgb = resize(rgb, size)
        return to_pixels(rgb)


# --- the network of step 5 ---------------------------------------------------------------

@keras.saving.register_keras_serializable(package="pix2pix_tf")
class InferenceDropout(keras.layers.Dropout):
    """Dropout that is on at inference (the paper's test-time noise, "batch_stats"),
    seeded, so a translation is reproducible."""

    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


def _float32_copy(generator, config):
    """The generator computing in float32 (the same weights, a new network) when any
    of its layers computes in reduced precision; else `generator` itself."""
    if all(getattr(layer, "compute_dtype", "float32") == "float32"
           for layer in generator.layers):
        return generator
    from pix2pix_tf.generator import Generator

    copy = Generator(config.replace(precision="float32"), name=generator.name)
    copy.set_weights(generator.get_weights())
    return copy


def inference_network(generator, config, inference_mode: str | None = None,
                      precision: str = "float32", seed: int = 0):
    """The network step 5 runs: `generator` in `inference_mode` and `precision`.

    `image_stats` / `moving_stats` are the generator's `training=False`; `batch_stats`
    adds seeded dropout to image_stats (never BatchNorm's training mode, which would
    mix images of a batch and update the moving averages). A mode other than the one
    the generator was built with, or float32 for a reduced-precision generator, gives a
    new network with the same weights; otherwise the layers are shared (live weights).
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"`precision` must be one of {PRECISIONS}. "
                          f"Received: precision={precision!r}")
    mode = inference_mode or config.inference_mode
    built_stats = "moving" if config.inference_mode == "moving_stats" else "image"
    wanted_stats = "moving" if mode == "moving_stats" else "image"
    network = generator
    if wanted_stats != built_stats:
        from pix2pix_tf.generator import Generator

        target = config.replace(inference_mode=mode,
                                precision="float32" if precision == "float32" else
                                config.precision)
        network = Generator(target, name=generator.name)
        network.set_weights(generator.get_weights())
    elif precision == "float32":
        network = _float32_copy(generator, config)
    if mode == "batch_stats":
        def clone(layer):
            if isinstance(layer, keras.layers.Dropout):
                return InferenceDropout(layer.rate, seed=seed, name=layer.name)
            return layer  # shared: the same weights

        network = keras.models.clone_model(network, clone_function=clone)
    return network


class Translator:
    """A generator with its contract: images in, translated images out.

    Args:
        generator: a pix2pix_tf generator (`Generator`; loaded or live).
        config: its `Pix2PixConfig`; default: the generator's own (`pix2pix_config`).
        inference_mode: override of the config's (step 5).
        precision: "float32" (default: a reduced-precision network is copied into
            float32) or "as_trained" (the network's own precision, live weights: what
            `fit`'s validation uses).
        seed: dropout seed of "batch_stats".
        size: how `translate_images` treats an image's size (`pix2pix_tf.sizes`):
            "resize" or "crop" (the model's size, step 3), "native" (the whole image at
            its own size, reflect-padded to what the network takes, cropped back) or
            "tiled" (tiles at the model's size, overlapped, blended). Default: the
            model's recorded `fit` (resize, or crop for crop-trained models).
        tile_overlap: "tiled": the fraction of a tile shared with each neighbour.
        memory_limit_gb: "native" refuses an image whose estimated activations exceed
            this (one line suggesting "tiled") rather than running out of memory.

    Example:
    ```python
    translator = Translator.load("runs/facades")
    pixels = translator.translate_image(uint8_image)  # A|B pairs: their input half
    big = translator.translate_image(photo, size="tiled")  # at the photo's own size
    y = translator(x)  # model inputs in [-1, 1] -> RGB in [-1, 1]
    ```
    """

    def __init__(self, generator, config=None, inference_mode: str | None = None,
                 precision: str = "float32", seed: int = 0, size: str | None = None,
                 tile_overlap: float = DEFAULT_TILE_OVERLAP,
                 memory_limit_gb: float = DEFAULT_MEMORY_LIMIT_GB):
        config = config if config is not None else generator.pix2pix_config
        if inference_mode is not None:
            from pix2pix_tf.config import INFERENCE_MODES

            if inference_mode not in INFERENCE_MODES:
                raise ConfigError(f"`inference_mode` must be one of {INFERENCE_MODES}. "
                                  f"Received: inference_mode={inference_mode!r}")
        self.network = inference_network(generator, config, inference_mode, precision, seed)
        self.config = config.replace(inference_mode=inference_mode or config.inference_mode)
        self.preprocessor = Preprocessor.from_config(self.config)
        self.generator = generator
        spec = tf.TensorSpec([None, *self.preprocessor.image_size,
                              self.preprocessor.input_channels], tf.float32)
        network, pre = self.network, self.preprocessor

        @tf.function(input_signature=[spec], reduce_retracing=True)
        def run(x):
            return pre.to_rgb(x, network(x, training=False))

        self._run = run
        self.size = check_size(size) if size is not None else self.preprocessor.fit
        self.tile_overlap = check_overlap(tile_overlap)
        if not float(memory_limit_gb) > 0:
            raise ConfigError("`memory_limit_gb` (--memory-limit) must be > 0. "
                              f"Received: {memory_limit_gb!r}")
        self.memory_limit_gb = float(memory_limit_gb)
        self._native_run = None  # built on first use (a re-trace of the network)
        self._floats_per_pixel: float | None = None

    @classmethod
    def load(cls, path: str | os.PathLike, direction: str | None = None,
             inference_mode: str | None = None, precision: str = "float32",
             **options) -> Translator:
        """A translator from a run directory or a generator `.keras` file;
        `direction` overrides the recorded one (files written before it was recorded);
        `options`: `size`, `tile_overlap`, `memory_limit_gb` (see the class)."""
        generator, config = load_generator(path)
        if direction is not None:
            config = config.replace(direction=direction)
        return cls(generator, config, inference_mode=inference_mode, precision=precision,
                   **options)

    # --- images of any size ---------------------------------------------------------------
    @property
    def size_multiple(self) -> int:
        """What the network's height and width must be multiples of: 2**depth for the
        U-Net (every level halves), 4 for the ResNet (two stride-2 levels)."""
        if self.config.generator == "unet":
            return 2 ** self.config.unet_depth
        return 4

    def native_shape(self, height: int, width: int) -> tuple[int, int]:
        """The padded size "native" runs an image of `height` x `width` at."""
        m = self.size_multiple
        return padded_length(height, m), padded_length(width, m)

    def native_memory_gb(self, height: int, width: int) -> float:
        """Estimated peak memory (GB, float32) of "native" on one image at its padded
        size: the network's (`sizes.activation_floats_per_pixel`: the tensors live at
        once, a U-Net's skips included, plus one layer's scratch) and the image's own
        copies on either side of it (about four of the input and four of the RGB
        output: float, padded, the tensor, cropped); experiments/results/sizes.md
        compares it with the peak a run adds on CPU."""
        if self._floats_per_pixel is None:
            channels = self.preprocessor.input_channels
            self._floats_per_pixel = activation_floats_per_pixel(
                self.network, self.preprocessor.image_size, channels) + 4 * (channels + 3)
        ph, pw = self.native_shape(height, width)
        return self._floats_per_pixel * ph * pw * 4 / 1e9

    def check_native(self, height: int, width: int) -> None:
        """Raises `ConfigError` (one line naming the option) when "native" on an image
        of this size would exceed `memory_limit_gb`."""
        need = self.native_memory_gb(height, width)
        if need > self.memory_limit_gb:
            raise ConfigError(
                f"size 'native' (--size native): a {width}x{height} image needs about "
                f"{need:.1f} GB of activations, over the limit of {self.memory_limit_gb:g} "
                "GB (memory_limit_gb, --memory-limit); use size 'tiled' (--size tiled), "
                "or raise the limit if this machine has the memory.")

    def output_size(self, height: int, width: int, size: str | None = None) -> tuple[int, int]:
        """The (height, width) of the translation of an input (half) of this size."""
        mode = check_size(size) if size is not None else self.size
        return tuple(self.preprocessor.image_size) if mode == "crop" else (height, width)

    def _native(self, x: np.ndarray) -> np.ndarray:
        """Model inputs (N, H, W, C) at any size -> RGB in [-1, 1] at that size."""
        if self._native_run is None:
            channels = self.preprocessor.input_channels
            network, pre = flexible_network(self.network, channels), self.preprocessor

            @tf.function(input_signature=[tf.TensorSpec([None, None, None, channels],
                                                        tf.float32)])
            def run(x):
                return pre.to_rgb(x, network(x, training=False))

            self._native_run = run
        h, w = x.shape[1:3]
        padded, (top, left) = pad_reflect(x, *self.native_shape(h, w))
        # Images per call so that a call stays under the memory limit.
        per_image = self.native_memory_gb(h, w)
        step = max(1, int(self.memory_limit_gb // max(per_image, 1e-9)))
        out = [self._native_run(tf.constant(padded[i:i + step])).numpy()
               for i in range(0, len(padded), step)]
        return np.concatenate(out)[:, top:top + h, left:left + w]

    def _tiled(self, x: np.ndarray, tile_overlap: float) -> np.ndarray:
        """One model input (H, W, C) at any size -> RGB in [-1, 1], tile by tile."""
        return tiled_apply(x, lambda tiles: self(tiles).numpy(), self.preprocessor.image_size,
                           tile_overlap, batch_size=8)

    def __call__(self, x) -> tf.Tensor:
        """Model inputs in [-1, 1] (N, H, W, C) -> RGB outputs in [-1, 1] (steps 5-6)."""
        return self._run(tf.convert_to_tensor(x, tf.float32))

    def to_rgb(self, inputs, outputs) -> tf.Tensor:
        return self.preprocessor.to_rgb(inputs, outputs)

    def translate_images(self, images: list[np.ndarray], layout: str = "auto",
                         size: str | None = None,
                         tile_overlap: float | None = None) -> list[np.ndarray]:
        """uint8 images (H, W, 1 or 3), any sizes -> uint8 RGB translations (steps 1-6).

        Args:
            images: uint8 arrays; A|B pairs (`layout`) give their input half.
            layout: "auto", "single" or "ab" (step 1).
            size: this call's size mode (default: the translator's `size`).
            tile_overlap: this call's tile overlap (default: the translator's).

        Returns:
            uint8 RGB images: at each input (half)'s size, or the model's for "crop".
        """
        mode = check_size(size) if size is not None else self.size
        overlap = self.tile_overlap if tile_overlap is None else check_overlap(tile_overlap)
        pre = self.preprocessor
        halves = [pre.input_half(np.asarray(img), layout) for img in images]
        if not halves:
            return []
        if mode in ("resize", "crop"):
            if mode != pre.fit:
                pre = dataclasses.replace(pre, fit=mode)
            y = self(tf.stack([pre.prepare(h) for h in halves])).numpy()
            return [pre.restore(y[i:i + 1], h.shape[:2])[0] for i, h in enumerate(halves)]
        if mode == "tiled":
            return [to_pixels(self._tiled(pre.prepare_unfitted(h).numpy(), overlap))
                    for h in halves]
        for h in halves:  # refuse before any work
            self.check_native(*h.shape[:2])
        results: list[np.ndarray | None] = [None] * len(halves)
        by_shape: dict[tuple, list[int]] = {}
        for i, h in enumerate(halves):  # same-sized images share a call (video frames)
            by_shape.setdefault(h.shape, []).append(i)
        for index in by_shape.values():
            x = pre.prepare_unfitted(np.stack([halves[i] for i in index])).numpy()
            for i, y in zip(index, self._native(x)):
                results[i] = to_pixels(y)
        return results

    def translate_image(self, image: np.ndarray, layout: str = "auto",
                        size: str | None = None,
                        tile_overlap: float | None = None) -> np.ndarray:
        """One uint8 image -> its uint8 RGB translation (see `translate_images`)."""
        return self.translate_images([image], layout, size, tile_overlap)[0]

    def export_model(self) -> keras.Model:
        """The deterministic float32 network as exports contain it: model input in
        [-1, 1] -> RGB in [-1, 1] (a Lab model's L -> RGB conversion inside)."""
        from pix2pix_tf.color import rgb_generator

        if self.config.inference_mode == "batch_stats":
            network = inference_network(self.generator, self.config, "image_stats")
        else:
            network = self.network
        return rgb_generator(network, self.config)


# --- loading ----------------------------------------------------------------------------

def load_generator(path: str | os.PathLike):
    """Loads a generator from a run directory or a `.keras` file.

    Returns:
        `(generator, config)`: `config` is the run's `Pix2PixConfig` (its `config.json`)
        with the saved model's architecture and preprocessor; for a bare `.keras` file,
        what the file records (architecture, direction, fit) with the other options at
        their defaults.

    Raises:
        DataError: a missing, damaged or foreign file (one line naming it).
    """
    from pix2pix_tf import layout
    from pix2pix_tf.config import Pix2PixConfig

    path = Path(path)
    model_file = layout.model_file(path)
    if not model_file.exists():
        raise DataError(f"{model_file}: no such model file"
                        + (" (has the run saved a checkpoint yet?)" if path.is_dir() else "")
                        + ".")
    model = load_model_file(model_file, "Keras model")
    if not hasattr(model, "pix2pix_config") or len(model.inputs) != 1:
        raise DataError(f"{model_file}: a Keras model, but not a pix2pix_tf generator "
                        f"({type(model).__name__} with {len(model.inputs)} input(s)).")
    config = model.pix2pix_config
    run_config = layout.config_path(path) if path.is_dir() else None
    if run_config is not None and run_config.exists():
        saved = Pix2PixConfig.load(run_config)
        # The model file is the authority on the architecture it holds.
        config = saved.replace(**{k: v for k, v in config.architecture().items()
                                  if k != "image_size"}, image_size=config.image_size)
    elif not getattr(model, "preprocessor_recorded", True):
        print(f"note: {model_file} was saved before generators recorded their direction; "
              "assuming AtoB (pass --direction to say otherwise).")
    return model, config
