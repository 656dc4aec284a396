"""Run a trained generator on image files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.errors import DataError


def load_generator(path: str | os.PathLike):
    """Loads a generator from a run directory or a `.keras` file.

    Returns:
        `(generator, config)`; `config` is the run's `Pix2PixConfig` (from
        `config.json` or the saved model).
    """
    import keras

    import pix2pix_tf.discriminator  # noqa: F401  (registers the serialisable classes)
    import pix2pix_tf.generator  # noqa: F401

    path = Path(path)
    model_file = path / "generator.keras" if path.is_dir() else path
    if not model_file.exists():
        raise DataError(f"{model_file}: no such model file"
                        + (" (has the run finished an epoch?)" if path.is_dir() else "") + ".")
    try:
        model = keras.models.load_model(model_file, compile=False)
    except Exception as e:  # Keras raises many types for a bad archive
        raise DataError(f"{model_file}: not a readable Keras model ({type(e).__name__}: "
                        f"{str(e).splitlines()[0] if str(e) else ''}).") from None
    if path.is_dir() and (path / "config.json").exists():
        config = Pix2PixConfig.load(path / "config.json")
    elif hasattr(model, "pix2pix_config"):
        config = model.pix2pix_config
    else:
        _, h, w, c = model.input_shape
        config = Pix2PixConfig(image_size=(h, w), input_channels=c,
                               output_channels=model.output_shape[-1])
    return model, config


def list_inputs(inputs: list[str | os.PathLike]) -> list[Path]:
    """Expands files and folders into a sorted list of image files."""
    from pix2pix_tf.data.sources import _list_images

    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found, _ = _list_images(item)  # non-image files are skipped here
            if not found:
                raise DataError(f"{item}: no images in this folder.")
            files.extend(found)
        elif item.is_file():
            files.append(item)
        else:
            raise DataError(f"{item}: no such file or folder.")
    return files


def translate_files(generator, config: Pix2PixConfig, inputs: list[str | os.PathLike],
                    out_dir: str | os.PathLike) -> list[Path]:
    """Translates images and writes `out_dir/<name>.png` for each.

    Each image is converted to the model's input channels, resized to the model's
    size, translated (inference mode per `config.inference_batch_stats`) and resized
    back to its own size.
    """
    from PIL import Image, UnidentifiedImageError

    from pix2pix_tf.callbacks import save_png, to_uint8

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(out_dir, os.W_OK):
        raise DataError(f"{out_dir}: output folder is not writable.")
    written = []
    mode = "L" if config.input_channels == 1 else "RGB"
    for path in list_inputs(inputs):
        try:
            with Image.open(path) as im:
                im = im.convert(mode)
                size = im.size
                arr = np.asarray(im.resize((config.width, config.height), Image.BICUBIC))
        except (UnidentifiedImageError, OSError, SyntaxError) as e:
            raise DataError(f"{path}: not a readable image ({e}).") from None
        x = arr.reshape(1, config.height, config.width, -1).astype(np.float32) / 127.5 - 1.0
        y = generator(x, training=config.inference_batch_stats)
        out = Image.fromarray(to_uint8(y)[0]).resize(size, Image.BICUBIC)
        target = out_dir / f"{path.stem}.png"
        save_png(np.asarray(out), target)
        written.append(target)
    return written
