"""Image helpers shared by sample grids, translate, evaluation and the notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def to_uint8(images) -> np.ndarray:
    """[-1, 1] float images (N, H, W, C) -> uint8 RGB (grayscale repeated to 3 channels)."""
    images = np.asarray(images, dtype=np.float32)
    images = np.clip((images + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images


def image_grid(inputs, outputs, targets=None) -> np.ndarray:
    """One row per example: input | output | target, as a uint8 RGB image."""
    columns = [to_uint8(inputs), to_uint8(outputs)]
    if targets is not None:
        columns.append(to_uint8(targets))
    rows = [np.concatenate([col[i] for col in columns], axis=1) for i in range(len(inputs))]
    return np.concatenate(rows, axis=0)


def save_png(array: np.ndarray, path: str | os.PathLike) -> None:
    """Writes a uint8 image atomically (temporary name, then rename)."""
    from PIL import Image

    from pix2pix_tf.atomic import atomic_path

    with atomic_path(Path(path)) as tmp:
        Image.fromarray(np.asarray(array).squeeze() if array.shape[-1] == 1 else array).save(
            tmp, format="PNG")
