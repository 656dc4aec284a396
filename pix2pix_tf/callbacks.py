"""Keras callbacks shipped with the package (use them with any `fit`)."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf import layout
from pix2pix_tf.checkpoint import save_training_state, training_state, write_training_state
from pix2pix_tf.color import to_rgb
from pix2pix_tf.errors import DataError
from pix2pix_tf.images import image_grid, save_png


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
        space = getattr(getattr(self.model, "config", None), "color_space", "rgb")
        grid = image_grid(self.inputs, to_rgb(self.inputs, outputs, space),
                          to_rgb(self.inputs, self.targets, space))
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
    """Saves the full training state and `generator.keras` every `every` epochs, at the
    end of the first epoch `every_minutes` after the last write, and after the last one.

    An epoch end that is not written is kept as a host copy of the state (the size of
    a checkpoint in memory; a device-to-host copy, ~1% of a GPU epoch), and `flush`,
    called at the end of `fit` and by `train` when training is interrupted (Ctrl-C,
    SIGTERM, an error, a NaN), writes it: the newest completed epoch is on disk whenever the
    process can still act, and resuming from it is bit-exact. Only the training state
    is flushed; `generator.keras` is the one of the last regular write.

    Nothing is written for an epoch whose losses are not finite, so the last good
    checkpoint stays the latest. See `pix2pix_tf.checkpoint`.

    Args:
        run_dir: run folder; checkpoints go to `run_dir/checkpoints/`.
        every: save after every N-th epoch; None: by time only.
        keep: newest checkpoints kept.
        last_epoch: the run's final epoch (always saved).
        every_minutes: save at the first epoch end this long after the last write (or
            the start of training); 0: by `every` only.
        clock: seconds, monotonic (for tests).
    """

    def __init__(self, run_dir: str | os.PathLike, every: int | None = 1, keep: int = 2,
                 last_epoch: int | None = None, every_minutes: float = 0.0,
                 clock=time.monotonic):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.every = None if every is None else max(1, int(every))
        self.keep, self.last_epoch = int(keep), last_epoch
        self.every_minutes, self.clock = float(every_minutes), clock
        self._last_write = clock()
        self._pending: tuple[int, dict] | None = None

    def on_train_begin(self, logs=None):
        self._last_write = self.clock()

    def _due(self, done: int) -> bool:
        if done == self.last_epoch or (self.every is not None and done % self.every == 0):
            return True
        return self.every_minutes > 0 and (self.clock() - self._last_write
                                           >= 60 * self.every_minutes)

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if not _finite(logs) or getattr(self.model, "_pix2pix_diverged", False):
            return
        if not self._due(done):
            self._pending = (done, training_state(self.model))
            return
        self._pending = None
        save_training_state(self.model, layout.checkpoints(self.run_dir), done, keep=self.keep)
        layout.save_generator(self.model.generator, self.run_dir)
        self._last_write = self.clock()

    def on_train_end(self, logs=None):
        self.flush()

    def flush(self) -> int | None:
        """Writes the newest completed epoch's state if it is not on disk; its epoch."""
        if self._pending is None:
            return None
        done, state = self._pending
        self._pending = None
        write_training_state(state, layout.checkpoints(self.run_dir), done, keep=self.keep)
        return done


class KeepBest(keras.callbacks.Callback):
    """Keeps the generator of the epoch with the lowest validation L1.

    A GAN's last epoch is not always its best: the validation L1 moves around as G and D
    push each other. After each validated epoch whose `val_l1` is the lowest so far,
    writes `generator_best.keras` and `best.json` (`{"epoch", "val_l1"}`) into the run
    directory; `generator.keras` stays the latest. L1 is a proxy — it prefers safe,
    smoother outputs — so look at the sample grids before choosing.

    Args:
        run_dir: the run directory.
        monitor: the log key to minimise (default `val_l1`).
    """

    def __init__(self, run_dir: str | os.PathLike, monitor: str = "val_l1"):
        super().__init__()
        self.run_dir, self.monitor = Path(run_dir), monitor
        self.best: float = math.inf
        self.best_epoch: int | None = None

    def on_train_begin(self, logs=None):
        try:  # a resumed run competes with the best of its earlier epochs
            info = layout.read_json(layout.best_info_path(self.run_dir), "best.json")
            self.best, self.best_epoch = float(info[self.monitor]), int(info["epoch"])
        except FileNotFoundError:
            pass
        except (DataError, KeyError, TypeError, ValueError) as e:  # damaged: start afresh
            print(f"note: {layout.best_info_path(self.run_dir)} unreadable ({e}); the best "
                  "generator is chosen anew from this run's epochs.")

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)) or float(value) >= self.best:
            return
        if getattr(self.model, "_pix2pix_diverged", False):
            return
        self.best, self.best_epoch = float(value), epoch + 1
        layout.save_generator(self.model.generator, self.run_dir,
                              layout.best_generator_path(self.run_dir))
        layout.write_json(layout.best_info_path(self.run_dir),
                          {"epoch": self.best_epoch, self.monitor: self.best})


class LinearDecay(keras.callbacks.LearningRateScheduler):
    """The paper's schedule: constant learning rate, then linear decay to 0.

    For epoch e (0-based) of `epochs`, the rate is `base * (1 - max(0, e + 1 - k) /
    (decay_epochs + 1))` with `k = epochs - decay_epochs`, as the reference code. A
    Keras `LearningRateScheduler`: it sets `model.optimizer.learning_rate`, which on a
    `Pix2Pix` sets both optimisers (TensorBoard logs it); it depends only on the
    epoch, so a resumed run continues the schedule.
    """

    def __init__(self, base_lr: float, epochs: int, decay_epochs: int):
        super().__init__(lambda epoch, lr: float(base_lr * self.factor(epoch)))
        self.base_lr, self.epochs, self.decay_epochs = base_lr, epochs, decay_epochs

    def factor(self, epoch: int) -> float:
        constant = max(0, self.epochs - self.decay_epochs)
        return 1.0 - max(0, epoch + 1 - constant) / (self.decay_epochs + 1)


class StopOnNaN(keras.callbacks.Callback):
    """Stops training at a non-finite loss and records where it was found.

    The logs are running epoch means, so a NaN stays in them once it appears: they are
    read every `every` steps and at each epoch's end only, because reading them forces
    the host to wait for the device. `TrainingCheckpoint` then skips the epoch, keeping
    the last good checkpoint. After `fit`, `self.diverged` is `(epoch, step, logs)`.
    """

    def __init__(self, every: int = 100):
        super().__init__()
        self.every = max(1, int(every))
        self.diverged = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _check(self, step: int, logs) -> None:
        if self.diverged is None and not _finite(logs):
            self.diverged = (self._epoch + 1, step, {k: float(v) for k, v in logs.items()})
            self.model._pix2pix_diverged = True
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every == 0:
            self._check(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._check(-1, logs)
