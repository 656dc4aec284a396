"""A training run: data -> `Pix2Pix.fit` -> run directory (what the CLI's `train` does)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf import layout
from pix2pix_tf.callbacks import (
    KeepBest,
    LinearDecay,
    SampleGrid,
    StopOnNaN,
    TrainingCheckpoint,
)
from pix2pix_tf.checkpoint import checkpoint_candidates, restore_latest
from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.data.pipeline import make_dataset, sample_batch
from pix2pix_tf.data.resolve import configure_for_data, resolve_data
from pix2pix_tf.data.sources import PairSource
from pix2pix_tf.distribute import describe, make_strategy, worker_index
from pix2pix_tf.errors import ConfigError, DataError, TrainingDiverged
from pix2pix_tf.model import Pix2Pix
from pix2pix_tf.precision import resolve_precision
from pix2pix_tf.runlock import run_lock


def recorded_data(run_dir: str | os.PathLike) -> str | None:
    """The `--data` spec a run was trained on (from its `run.json`), or None."""
    return layout.recorded_data(run_dir)


def _resume_data(run_dir, data):
    """The data to continue on: `data` if given, else the run's recorded data."""
    if data is not None:
        return data
    spec = layout.recorded_data(run_dir)
    if spec is None:
        raise DataError(
            f"{layout.run_info_path(run_dir)}: the run's training data is not recorded (it "
            "was given in Python as a PairSource, or run.json is missing); pass the same "
            "data again (--data, or `data=` in Python) to resume.")
    return spec


def _resumed_config(config: Pix2PixConfig, run_dir, data) -> Pix2PixConfig:
    """The run's recorded config, with what may change on resume taken from `config`;
    refuses an option or data that would train something else on the restored weights."""
    recorded = layout.recorded_data(run_dir)
    spec = layout.data_spec(data)
    if recorded is not None and spec is not None and spec != recorded:
        raise ConfigError(
            f"{layout.run_info_path(run_dir)}: the run was trained on data={recorded!r}; "
            f"resume it on the same data (or leave --data out). Received: data={spec!r}")
    path = layout.config_path(run_dir)
    if not path.exists():
        print(f"note: {path} is missing; resuming with the options given.")
        return config
    saved = Pix2PixConfig.load(path)
    return saved.resumed(config.given_for_resume(saved), str(path))


_NOT_SET = object()


class _StopOnSignal(keras.callbacks.Callback):
    """Raises KeyboardInterrupt at the next batch or epoch end once a signal was received.

    The SIGTERM handler raises at once, but Python runs a handler wherever the main
    thread happens to be, and an exception raised inside a finaliser or a library's
    catch-all is swallowed; training would then go on. This callback (the last one, so
    the epoch's state is kept first) makes the interrupt stick.
    """

    def __init__(self):
        super().__init__()
        self.signum: int | None = None

    def _check(self):
        if self.signum is not None:
            raise KeyboardInterrupt(f"signal {self.signum}")

    def on_train_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()


def _sigterm_as_interrupt(stop: _StopOnSignal):
    """Makes SIGTERM (a scheduler's preemption, `kill`) interrupt training as Ctrl-C
    does, so the newest completed epoch is saved; returns the handler it replaced."""
    if threading.current_thread() is not threading.main_thread():
        return _NOT_SET  # only the main thread may set handlers

    def interrupt(signum, frame):
        stop.signum = signum
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


def train(config: Pix2PixConfig, run_dir: str | os.PathLike,
          data: str | os.PathLike | PairSource | None = None,
          validation_data: PairSource | None = None, resume: bool = False,
          callbacks: Sequence[keras.callbacks.Callback] = (), verbose: int | str = "auto",
          data_dir: str | os.PathLike | None = None,
          strategy: str | tf.distribute.Strategy | None = None) -> Pix2Pix:
    """Trains a Pix2Pix model and writes a run directory (see `pix2pix_tf.layout`).

    The run directory gets `config.json` (every option, resolved), `run.json` (the
    data, for `--resume` and export), `generator.keras` and `checkpoints/` (full
    training state, every `config.save_every_minutes` minutes or `config.save_every`
    epochs, after the last epoch and, from a host copy, the last completed epoch when
    training is interrupted; written atomically), `samples/epoch_NNNN.png` grids and
    TensorBoard logs under `logs/`.

    Args:
        config: the configuration; options it leaves to the data (`direction`,
            `input_channels`) take the data's values (facades: BtoA); `seed=None`
            draws a seed and records it; `precision="auto"` (or None) records the
            policy it resolves to (see `pix2pix_tf.precision`).
        run_dir: output folder (local).
        data: `--data` spec (see `resolve_data`) or a `PairSource`; None = built-in.
        validation_data: optional source; default: the dataset's val split if any.
        resume: continue from the latest checkpoint in `run_dir`, on the run's
            recorded data when `data` is None (an error if it cannot be recovered),
            with the run's recorded `config.json`: of `config`, only the options that
            may change (`config.RESUMABLE`: epochs, save_every, ...) are taken; any
            other option that differs from the recorded one is a `ConfigError`
            (options left to be resolved, such as `seed=None`, count as not given).
        callbacks: extra Keras callbacks.
        verbose: passed to `fit`.
        data_dir: cache folder for standard datasets.
        strategy: "default", "mirrored", "multiworker", "tpu" or a
            `tf.distribute.Strategy` (see `pix2pix_tf.distribute`). `config.batch_size`
            is the global batch. Only the chief worker writes `run_dir`; other workers
            keep their state in `run_dir/workers/N/`.

    Returns:
        The trained `Pix2Pix` model.

    Raises:
        DataError: bad data or run files (the message names the file or option), or
            another process is training in `run_dir` (its `.lock` names the pid).
        ConfigError: a bad option, or on resume one that differs from the run's.
        TrainingDiverged: a loss became NaN/inf (the last good checkpoint is kept).
    """
    chief_dir = layout.local_path(run_dir)
    strategy = make_strategy(strategy)
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise ConfigError(f"`batch_size` is the global batch and must be a multiple of the "
                         f"{replicas} replicas. Received: batch_size={config.batch_size}")
    worker = worker_index()
    run_dir = layout.worker_dir(chief_dir, worker)
    # One process per folder (each worker has its own): a second `train` of a running
    # run would interleave checkpoints and overwrite config.json.
    with run_lock(run_dir):
        return _train_locked(config, run_dir, worker, strategy, data, validation_data, resume,
                             callbacks, verbose, data_dir)


def _train_locked(config, run_dir, worker, strategy, data, validation_data, resume, callbacks,
                  verbose, data_dir) -> Pix2Pix:
    candidates = checkpoint_candidates(layout.checkpoints(run_dir))
    if candidates and not resume:
        raise DataError(
            f"{run_dir} already holds a training run (checkpoint after epoch "
            f"{candidates[0][1]}). Pass --resume to continue it, or choose another --out; "
            "nothing was overwritten.")
    if resume and not candidates:
        print(f"--resume: {run_dir} has no checkpoint to resume from; starting a new run.")
        resume = False
    if resume:
        data = _resume_data(run_dir, data)
        config = _resumed_config(config, run_dir, data)
    configured = configure_for_data(config, data, data_dir)
    implied = {k: getattr(configured, k) for k in ("direction", "input_channels")
               if not config.is_set(k)}
    config = configured
    if config.seed is None:
        config = config.replace(seed=int(np.random.SeedSequence().entropy % 2**31))
    # Decided once, printed and recorded: "auto" or None become the concrete policy.
    precision, precision_reason = resolve_precision(config.precision)
    config = config.replace(precision=precision)
    source = data if isinstance(data, PairSource) else resolve_data(data, config, "train",
                                                                    data_dir)
    recorded = source  # run.json names the whole data, before any hold-out
    if config.val_fraction is not None and validation_data is None:
        source, validation_data = source.split_fraction(config.val_fraction)
    elif validation_data is None and not isinstance(data, PairSource):
        validation_data = resolve_data(data, config, "val", data_dir)
    steps = config.steps_per_epoch or max(1, len(source) // config.batch_size)
    if implied and data is not None:  # said once the data is read (train and validation)
        print(f"--data {data if not isinstance(data, PairSource) else data.description}: using "
              + ", ".join(f"{k}={v}" for k, v in implied.items())
              + " (the data's defaults; set the option to override).")

    run_dir.mkdir(parents=True, exist_ok=True)
    config.save(layout.config_path(run_dir))
    layout.write_run_info(run_dir, recorded)
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        model = Pix2Pix(config)
        model.compile()
        initial_epoch = restore_latest(model, layout.checkpoints(run_dir)) if resume else 0
        if resume:
            print(f"Resuming {run_dir} after epoch {initial_epoch}.")
    if initial_epoch >= config.epochs:
        print(f"{run_dir}: already trained for {initial_epoch} epochs (epochs={config.epochs}).")
        return model

    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        # Each worker builds its own pipeline over only its share of every global batch.
        train_ds = strategy.distribute_datasets_from_function(
            lambda context: make_dataset(source, config, training=True,
                                         start_step=initial_epoch * steps,
                                         input_context=context))
    else:
        train_ds = make_dataset(source, config, training=True,
                                start_step=initial_epoch * steps)
    val_ds = make_dataset(validation_data, config, training=False) if validation_data else None
    nan_guard = StopOnNaN(every=config.nan_check_every)
    all_callbacks: list[keras.callbacks.Callback] = [nan_guard]
    if config.lr_schedule == "linear_decay":
        all_callbacks.append(LinearDecay(config.learning_rate, config.epochs, config.decay_epochs))
    checkpointer = TrainingCheckpoint(run_dir, every=config.save_every,
                                      keep=config.keep_checkpoints, last_epoch=config.epochs,
                                      every_minutes=config.save_every_minutes)
    all_callbacks.append(checkpointer)
    if val_ds is not None and worker == 0:
        all_callbacks.append(KeepBest(run_dir))
    if config.sample_every > 0 and worker == 0:
        xs, ys = sample_batch(validation_data or source, config, config.num_samples)
        all_callbacks.append(SampleGrid(xs, ys, layout.samples(run_dir),
                                        layout.logs(run_dir) / "samples",
                                        every=config.sample_every))
    if worker == 0:
        all_callbacks.append(keras.callbacks.TensorBoard(str(layout.logs(run_dir)),
                                                         write_graph=False))
    all_callbacks.extend(callbacks)
    stop_on_signal = _StopOnSignal()
    all_callbacks.append(stop_on_signal)  # last: every epoch-end bookkeeping runs first

    print(f"Training on {source.description}: {steps} steps/epoch, batch {config.batch_size}, "
          f"{config.height}x{config.width}, {config.direction}, epochs {initial_epoch + 1}.."
          f"{config.epochs}, {config.update} updates, precision {config.precision} "
          f"({precision_reason}), seed {config.seed}; {describe(strategy)}. "
          f"Run directory: {run_dir}")
    # Every `validate_every`-th epoch and the last (Keras counts epochs from 1 here).
    validation_freq = [e for e in range(initial_epoch + 1, config.epochs + 1)
                       if e % config.validate_every == 0 or e == config.epochs]
    previous_sigterm = _sigterm_as_interrupt(stop_on_signal)
    try:
        model.fit(train_ds, epochs=config.epochs, initial_epoch=initial_epoch,
                  steps_per_epoch=steps, validation_data=val_ds, callbacks=all_callbacks,
                  verbose=verbose, shuffle=False, validation_freq=validation_freq)
    except BaseException:
        # Interrupted (Ctrl-C, an error): the newest completed epoch not yet on disk is
        # written from its host copy, so --resume loses no finished epoch.
        try:
            saved = checkpointer.flush()
        except Exception as e:  # (e.g. a full disk) the original error is the one to see
            print(f"\nnote: could not save the last completed epoch: {e}")
        else:
            if saved is not None:
                print(f"\nSaved the state after epoch {saved} in "
                      f"{layout.checkpoints(run_dir)}.")
        raise
    finally:
        if previous_sigterm is not _NOT_SET:
            signal.signal(signal.SIGTERM, previous_sigterm)
    if nan_guard.diverged is not None:
        epoch, step, logs = nan_guard.diverged
        kept = checkpoint_candidates(layout.checkpoints(run_dir))
        where = f"epoch {kept[0][1]}" if kept else "none yet"
        raise TrainingDiverged(
            f"Loss became non-finite in epoch {epoch} (detected "
            f"{'at the epoch end' if step < 0 else f'at step {step}'}; "
            f"g_total={logs.get('g_total')}, d_total={logs.get('d_total')}). Training stopped; "
            f"the last good checkpoint ({where}) is kept in {layout.checkpoints(run_dir)}. "
            "Try a lower --learning-rate or check the data.")
    return model
