"""Run a trained generator on image files, with training's own preprocessing.

Images are decoded and resized exactly as the data pipeline does for evaluation
(TensorFlow's decoder; bilinear resize with antialiasing), translated in batches
through one compiled function, and resized back to their own size. An A|B image
(a dataset pair, twice as wide as the model's aspect) is split and its input half
(per the run's direction) translated.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pix2pix_tf import layout
from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.errors import ConfigError, DataError

LAYOUTS = ("auto", "single", "ab")


def load_generator(path: str | os.PathLike):
    """Loads a generator from a run directory or a `.keras` file.

    Returns:
        `(generator, config)`; `config` is the run's `Pix2PixConfig` (its
        `config.json`) with the saved model's architecture, or, for a bare `.keras`
        file, the architecture it stores with the other options at their defaults.

    Raises:
        DataError: a missing, damaged or foreign file (one line naming it).
    """
    import keras

    import pix2pix_tf  # noqa: F401  (registers the serialisable classes)

    path = Path(path)
    model_file = layout.model_file(path)
    if not model_file.exists():
        raise DataError(f"{model_file}: no such model file"
                        + (" (has the run saved a checkpoint yet?)" if path.is_dir() else "")
                        + ".")
    try:
        model = keras.models.load_model(model_file, compile=False)
    except Exception as e:  # Keras raises many types for a bad archive
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise DataError(f"{model_file}: not a readable Keras model file ({type(e).__name__}: "
                        f"{first[:200]}).") from None
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
    return model, config


def list_inputs(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expands files and folders into a list of image files (folders sorted)."""
    from pix2pix_tf.data.sources import list_images

    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found, _ = list_images(item)  # non-image files are skipped here
            if not found:
                raise DataError(f"{item}: no images in this folder.")
            files.extend(found)
        elif item.is_file():
            files.append(item)
        else:
            raise DataError(f"{item}: no such file or folder.")
    return files


def output_names(files: list[Path]) -> list[str]:
    """`stem.png` per input; inputs that would share a name get `stem-2.png`, ...
    (in input order), so no output overwrites another."""
    names, used = [], set()
    for f in files:
        name, k = f"{f.stem}.png", 1
        while name in used:
            k += 1
            name = f"{f.stem}-{k}.png"
        used.add(name)
        names.append(name)
    return names


def _split_ab(width: int, height: int, config: Pix2PixConfig, choice: str) -> bool:
    if choice != "auto":
        return choice == "ab"
    # An A|B pair is exactly twice as wide as the model's aspect ratio.
    return width * config.height == 2 * height * config.width


def make_translator(generator, config: Pix2PixConfig):
    """A compiled function: float32 batch in [-1, 1] -> generated batch, in the
    config's inference mode (one trace for every batch of the model's size), as RGB
    (Lab models' outputs are converted, see `pix2pix_tf.color`)."""
    import tensorflow as tf

    from pix2pix_tf.color import to_rgb

    training = config.inference_mode == "batch_stats"
    spec = tf.TensorSpec([None, config.height, config.width, config.input_channels],
                         tf.float32)

    @tf.function(input_signature=[spec], reduce_retracing=True)
    def run(x):
        return to_rgb(x, generator(x, training=training), config.color_space)

    return run


def translate_files(generator, config: Pix2PixConfig, inputs: list[str | os.PathLike],
                    out_dir: str | os.PathLike, layout_choice: str = "auto",
                    batch_size: int = 8) -> list[Path]:
    """Translates images and writes `out_dir/<name>.png` for each (atomically).

    Args:
        generator, config: from `load_generator`.
        inputs: image files and folders.
        out_dir: output folder (created).
        layout_choice: "auto" (A|B pairs recognised by their 2x aspect ratio),
            "single" or "ab".
        batch_size: images per call ("batch_stats" inference always uses 1, as the
            paper's test time).

    Returns:
        The written paths, in input order.
    """
    import tensorflow as tf

    from pix2pix_tf.color import model_input
    from pix2pix_tf.data.pipeline import decode, resize_to_model
    from pix2pix_tf.data.sources import check_pixel_count
    from pix2pix_tf.images import save_png, to_uint8

    if layout_choice not in LAYOUTS:
        raise ConfigError(f"`layout` must be one of {LAYOUTS}. Received: {layout_choice!r}")
    files = list_inputs(inputs)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{out_dir}: cannot create the output folder ({e.strerror}).") from None
    if not os.access(out_dir, os.W_OK):
        raise DataError(f"{out_dir}: output folder is not writable.")
    names = output_names(files)
    renamed = [f"{f} -> {n}" for f, n in zip(files, names) if n != f"{f.stem}.png"]
    if renamed:
        print(f"note: {len(renamed)} input(s) share a name with an earlier one; written as "
              + ", ".join(renamed))
    if config.inference_mode == "batch_stats":
        batch_size = 1
    run = make_translator(generator, config)
    split_any = False
    written: list[Path] = []
    for start in range(0, len(files), batch_size):
        chunk = files[start:start + batch_size]
        xs, sizes = [], []
        for path in chunk:
            check_pixel_count(path)  # a decompression bomb: one line, not an OOM
            try:
                img = decode(tf.io.read_file(str(path)), 3)
            except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
                raise DataError(f"{path}: not a readable image "
                                f"({e.message.splitlines()[0][:120]}).") from None
            h, w = int(img.shape[0]), int(img.shape[1])
            if _split_ab(w, h, config, layout_choice):
                split_any = True
                half = w // 2
                first = config.direction == "AtoB"
                img = img[:, :half] if first else img[:, half:2 * half]
                w = half
            xs.append(model_input(img, config))
            sizes.append((h, w))
        y = run(tf.stack(xs))
        for i, (h, w) in enumerate(sizes):
            out = resize_to_model(tf.convert_to_tensor(to_uint8(y[i:i + 1])), (h, w))
            target = out_dir / names[start + i]
            save_png(np.asarray(tf.cast(tf.round(tf.clip_by_value(out, 0, 255)), tf.uint8))[0],
                     target)
            written.append(target)
    if split_any:
        side = "left (A)" if config.direction == "AtoB" else "right (B)"
        print(f"A|B pairs: translated their {side} half (direction {config.direction}); "
              "--layout single turns this off.")
    return written
