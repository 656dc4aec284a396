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
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf.errors import ConfigError, DataError
from pix2pix_tf.generator import Generator

# The contract's steps live in pix2pix_tf/preprocessor.py (imported by the generator
# too); re-exported here, where callers have always found them.
from pix2pix_tf.preprocessor import (  # noqa: F401
    FITS,
    LAYOUTS,
    Preprocessor,
    apply_orientation,
    decode,
    exif_orientation,
    fit_to_model,
    resize,
    to_channels,
    to_pixels,
    to_unit_range,
)
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

PRECISIONS = ("float32", "as_trained")


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
