"""Keras callbacks shipped with the package (use them with any `fit`)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf.checkpoint import save_training_state


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

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    Image.fromarray(np.asarray(array).squeeze() if array.shape[-1] == 1 else array).save(
        tmp, format="PNG")
    os.replace(tmp, path)


class SampleGrid(keras.callbacks.Callback):
    """Saves `input | output | target` grids of fixed examples after each epoch.

    Writes `out_dir/epoch_NNNN.png` and, with `log_dir`, the same image to
    TensorBoard (tag `samples`).

    Args:
        inputs, targets: fixed example batch in [-1, 1].
        out_dir: folder for the PNG files.
        log_dir: TensorBoard folder, or None.
        every: write every N epochs.
    """

    def __init__(self, inputs, targets, out_dir: str | os.PathLike,
                 log_dir: str | os.PathLike | None = None, every: int = 1):
        super().__init__()
        self.inputs, self.targets = np.asarray(inputs), np.asarray(targets)
        self.out_dir = Path(out_dir)
        self.log_dir = log_dir
        self.every = max(1, int(every))
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        outputs = self.model(self.inputs, training=False)
        grid = image_grid(self.inputs, outputs, self.targets)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        save_png(grid, self.out_dir / f"epoch_{epoch + 1:04d}.png")
        if self.log_dir is not None:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(str(self.log_dir))
            with self._writer.as_default():
                tf.summary.image("samples", grid[None], step=epoch + 1)
            self._writer.flush()


def _finite(logs: dict | None, keys=("g_total", "d_total")) -> bool:
    return all(math.isfinite(float(logs[k])) for k in keys if logs and k in logs)


class TrainingCheckpoint(keras.callbacks.Callback):
    """Saves the full training state and `generator.keras` after each epoch.

    Nothing is written for an epoch whose losses are not finite, so the last good
    checkpoint stays the latest. See `pix2pix_tf.checkpoint`.

    Args:
        run_dir: run folder; checkpoints go to `run_dir/checkpoints/`.
    """

    def __init__(self, run_dir: str | os.PathLike):
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch, logs=None):
        if not _finite(logs) or getattr(self.model, "_pix2pix_diverged", False):
            return
        save_training_state(self.model, self.run_dir / "checkpoints", epoch + 1)
        tmp = self.run_dir / "generator.tmp.keras"
        self.model.generator.save(tmp)
        os.replace(tmp, self.run_dir / "generator.keras")


class LinearDecay(keras.callbacks.Callback):
    """The paper's schedule: constant learning rate, then linear decay to 0.

    For epoch e (0-based) of `epochs`, the rate is `base * (1 - max(0, e + 1 - k) /
    (decay_epochs + 1))` with `k = epochs - decay_epochs`, as the reference code.
    """

    def __init__(self, base_lr: float, epochs: int, decay_epochs: int):
        super().__init__()
        self.base_lr, self.epochs, self.decay_epochs = base_lr, epochs, decay_epochs

    def factor(self, epoch: int) -> float:
        constant = max(0, self.epochs - self.decay_epochs)
        return 1.0 - max(0, epoch + 1 - constant) / (self.decay_epochs + 1)

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.base_lr * self.factor(epoch)
        self.model.g_optimizer.learning_rate = lr
        self.model.d_optimizer.learning_rate = lr


class StopOnNaN(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and records where it happened.

    `TrainingCheckpoint` then skips the epoch, keeping the last good checkpoint.
    After `fit`, `self.diverged` is `(epoch, step, logs)` or None.
    """

    def __init__(self):
        super().__init__()
        self.diverged = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.diverged is None and not _finite(logs):
            self.diverged = (self._epoch + 1, batch + 1, dict(logs))
            self.model._pix2pix_diverged = True
            self.model.stop_training = True
