"""The inference contract's steps, each one function, and the `Preprocessor` that
records a generator's: decode (upright), channels, fit, range, and the output's pixels.

Shared by the data pipeline, the generator's saved file (its `preprocessor`), the
`Translator` (pix2pix_tf/translator.py, whose docstring states the contract in order)
and every export. It imports neither the generator nor the translator, so both can
import it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from pix2pix_tf.color import lab_pair, to_rgb
from pix2pix_tf.errors import ConfigError

FITS = ("resize", "crop")
LAYOUTS = ("auto", "single", "ab")


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


def output_pixels(images) -> tf.Tensor:
    """Step 6 in TensorFlow ops (eager, tf.data, the SavedModel's graph): images in
    [-1, 1] -> uint8 pixels, round half up (grayscale stays 1 channel)."""
    x = tf.cast(images, tf.float32)
    return tf.cast(tf.clip_by_value(tf.floor((x + 1.0) * 127.5 + 0.5), 0.0, 255.0), tf.uint8)


def to_pixels(images) -> np.ndarray:
    """Step 6 as NumPy: `output_pixels` of `images`."""
    return output_pixels(np.asarray(images, dtype=np.float32)).numpy()


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
        return self.output(rgb, tf.constant(size, tf.int32)).numpy()

    def output(self, rgb, size) -> tf.Tensor:
        """`restore` in TensorFlow ops, `size` a tensor (the SavedModel's serving_bytes
        runs this very function in its graph)."""
        rgb = tf.cast(rgb, tf.float32)
        if self.fit == "resize":
            same = tf.reduce_all(tf.equal(size, tf.constant(self.image_size, tf.int32)))
            rgb = tf.cond(same, lambda: rgb, lambda: resize(rgb, size))
        return output_pixels(rgb)


# --- the network of step 5 ---------------------------------------------------------------
