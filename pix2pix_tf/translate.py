"""Translate image files and folders with a `Translator` (`pix2pix_tf.translator`).

Images are decoded with TensorFlow's decoder and go through the inference contract
(A|B pairs split, channels, resize or crop -- or the translator's `size` "native" or
"tiled" --, range, network, back to pixels) in batches of one compiled function; the
outputs are written as PNG files, atomically. Nothing already there is overwritten
unless asked (`overwrite=True`, `--overwrite`), and an input file is never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pix2pix_tf.atomic import output_folder
from pix2pix_tf.errors import DataError, tf_reason
from pix2pix_tf.translator import Translator, decode

__all__ = ["list_inputs", "output_names", "translate_files"]


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


def _read(path: Path, contents: bytes | None = None) -> np.ndarray:
    """The RGB pixels of the image file `path` (its `contents`, when already read)."""
    import tensorflow as tf

    from pix2pix_tf.data.sources import check_pixel_count

    check_pixel_count(path)  # a decompression bomb: one line, not an out-of-memory
    try:
        return decode(tf.io.read_file(str(path)) if contents is None else contents, 3).numpy()
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
        reason = tf_reason(e.message)
        raise DataError(f"{path}: not a readable image ({reason[:120]}).") from None


def _check_native(translator: Translator, files: list[Path], layout: str) -> None:
    """Refuses (before anything is written, naming the file) an image too large for
    `--size native` under the memory limit; reads the headers only."""
    from PIL import Image

    from pix2pix_tf.errors import ConfigError

    for path in files:
        try:
            with Image.open(path) as im:
                width, height = im.size
        except Exception:  # noqa: BLE001  (unreadable: the decoder reports it later)
            continue
        if translator.preprocessor.is_pair(height, width, layout):
            width //= 2
        try:
            translator.check_native(height, width)
        except ConfigError as e:
            raise DataError(f"{path}: {e}") from None


def output_targets(files: list[Path], out_dir: Path) -> list[Path]:
    """The output path of each input (`output_names` in `out_dir`), for `translate` and
    `--engine ray` alike; refuses, before anything is written, a target that is an input."""
    targets = [out_dir / n for n in output_names(files)]
    inputs = {f.resolve() for f in files}
    for target in targets:
        if target.resolve() in inputs:
            raise DataError(f"{target}: is one of the inputs; choose another --out "
                            "(translate never overwrites its inputs).")
    return targets


def _targets(files: list[Path], out_dir: Path, overwrite: bool) -> list[Path]:
    """`output_targets`, refusing an existing file unless `overwrite`."""
    targets = output_targets(files, out_dir)
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise DataError(f"{existing[0]}: already exists{more}; nothing was written. Pass "
                        "--overwrite to replace, or choose another --out.")
    return targets


def translate_files(translator: Translator, inputs: list[str | os.PathLike],
                    out_dir: str | os.PathLike, layout: str = "auto", batch_size: int = 8,
                    overwrite: bool = False) -> list[Path]:
    """Translates images and writes `out_dir/<name>.png` for each (atomically).

    Args:
        translator: a `Translator` (e.g. `Translator.load("runs/facades")`).
        inputs: image files and folders.
        out_dir: output folder (created).
        layout: "auto" (A|B pairs recognised by their 2x aspect ratio), "single" or "ab".
        batch_size: images per call (the results do not depend on it).
        overwrite: replace existing files of the same name (never an input).

    Returns:
        The written paths, in input order.
    """
    from pix2pix_tf.images import save_png

    pre = translator.preprocessor
    pre.is_pair(1, 1, layout)  # validates `layout` before any work
    files = list_inputs(inputs)
    out_dir = output_folder(out_dir)
    targets = _targets(files, out_dir, overwrite)
    renamed = [f"{f} -> {t.name}" for f, t in zip(files, targets) if t.name != f"{f.stem}.png"]
    if renamed:
        print(f"note: {len(renamed)} input(s) share a name with an earlier one; written as "
              + ", ".join(renamed))
    if translator.size == "native":
        _check_native(translator, files, layout)
    split_any = False
    for start in range(0, len(files), max(1, int(batch_size))):
        chunk = files[start:start + batch_size]
        images = [_read(path) for path in chunk]
        split_any |= any(pre.is_pair(*img.shape[:2], layout) for img in images)
        for img, target in zip(translator.translate_images(images, layout),
                               targets[start:start + batch_size]):
            save_png(img, target)
    if split_any:
        side = "left (A)" if pre.direction == "AtoB" else "right (B)"
        print(f"A|B pairs: translated their {side} half (direction {pre.direction}); "
              "--layout single turns this off.")
    return targets
