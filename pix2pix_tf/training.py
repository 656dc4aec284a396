"""A training run: data -> `Pix2Pix.fit` -> run directory (what the CLI's `train` does)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf.callbacks import LinearDecay, SampleGrid, StopOnNaN, TrainingCheckpoint
from pix2pix_tf.checkpoint import latest_checkpoint, restore_training_state
from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.data.pipeline import make_dataset, sample_batch
from pix2pix_tf.data.sources import PairSource, resolve_data
from pix2pix_tf.distribute import make_strategy, worker_index
from pix2pix_tf.errors import TrainingDiverged
from pix2pix_tf.model import Pix2Pix


def recorded_data(run_dir: str | os.PathLike) -> str | None:
    """The `--data` spec a run was trained on (from its `run.json`), or None."""
    info = Path(run_dir) / "run.json"
    return json.loads(info.read_text()).get("data") if info.exists() else None


def train(config: Pix2PixConfig, run_dir: str | os.PathLike,
          data: str | os.PathLike | PairSource | None = None,
          validation_data: PairSource | None = None, resume: bool = False,
          callbacks: Sequence[keras.callbacks.Callback] = (), verbose: int | str = "auto",
          data_dir: str | os.PathLike | None = None,
          strategy: str | tf.distribute.Strategy | None = None) -> Pix2Pix:
    """Trains a Pix2Pix model and writes a run directory.

    The run directory gets `config.json`, `generator.keras` (latest generator),
    `checkpoints/` (full training state after each epoch, written atomically),
    `samples/epoch_NNNN.png` (input | output | target grids) and TensorBoard logs
    under `logs/`.

    Args:
        config: the configuration; `config.seed=None` draws a seed and records it.
        run_dir: output folder.
        data: `--data` spec (see `resolve_data`) or a `PairSource`; None = built-in.
        validation_data: optional source; default: the dataset's val split if any.
        resume: continue from the latest checkpoint in `run_dir` (on the run's own
            data, recorded in `run.json`, when `data` is None).
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
        TrainingDiverged: a loss became NaN/inf (the last good checkpoint is kept).
    """
    strategy = make_strategy(strategy)
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise ValueError(f"`batch_size` is the global batch and must be a multiple of the "
                         f"{replicas} replicas. Received: batch_size={config.batch_size}")
    worker = worker_index()
    chief_dir = Path(run_dir)
    run_dir = chief_dir if worker == 0 else chief_dir / "workers" / str(worker)
    latest = latest_checkpoint(run_dir / "checkpoints")
    if latest is not None and not resume:
        raise ValueError(
            f"{run_dir} already holds a training run (checkpoint after epoch {latest[1]}). "
            "Pass --resume to continue it, or choose another --out; nothing was overwritten.")
    if resume and data is None:  # continue on the run's own data
        data = recorded_data(run_dir)
    if config.seed is None:
        config = config.replace(seed=int(np.random.SeedSequence().entropy % 2**31))
    run_dir.mkdir(parents=True, exist_ok=True)
    config.save(run_dir / "config.json")
    if not isinstance(data, PairSource):  # for --resume, and `export` calibrates on it
        (run_dir / "run.json").write_text(
            json.dumps({"data": None if data is None else str(data)}))
    keras.utils.set_random_seed(config.seed)

    source = data if isinstance(data, PairSource) else resolve_data(data, config, "train",
                                                                    data_dir)
    if validation_data is None and not isinstance(data, PairSource):
        validation_data = resolve_data(data, config, "val", data_dir)
    steps = config.steps_per_epoch or max(1, len(source) // config.batch_size)

    with strategy.scope():
        model = Pix2Pix(config)
        model.compile()
        initial_epoch = 0
        if resume and latest is not None:
            restore_training_state(model, latest[0])
            initial_epoch = latest[1]
            print(f"Resuming {run_dir} after epoch {initial_epoch}.")
    if initial_epoch >= config.epochs:
        print(f"{run_dir}: already trained for {initial_epoch} epochs (epochs={config.epochs}).")
        return model

    train_ds = make_dataset(source, config, training=True, start_step=initial_epoch * steps)
    val_ds = make_dataset(validation_data, config, training=False) if validation_data else None
    nan_guard = StopOnNaN()
    all_callbacks: list[keras.callbacks.Callback] = [nan_guard]
    if config.lr_schedule == "linear_decay":
        all_callbacks.append(LinearDecay(config.learning_rate, config.epochs, config.decay_epochs))
    all_callbacks.append(TrainingCheckpoint(run_dir))
    if config.sample_every > 0 and worker == 0:
        xs, ys = sample_batch(validation_data or source, config, config.num_samples)
        all_callbacks.append(SampleGrid(xs, ys, run_dir / "samples", run_dir / "logs" / "samples",
                                        every=config.sample_every))
    if worker == 0:
        all_callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "logs"),
                                                         write_graph=False))
    all_callbacks.extend(callbacks)

    print(f"Training on {source.description}: {steps} steps/epoch, batch {config.batch_size}, "
          f"{config.height}x{config.width}, epochs {initial_epoch + 1}..{config.epochs}, "
          f"seed {config.seed}, {replicas} replica(s). Run directory: {run_dir}")
    model.fit(train_ds, epochs=config.epochs, initial_epoch=initial_epoch, steps_per_epoch=steps,
              validation_data=val_ds, callbacks=all_callbacks, verbose=verbose, shuffle=False)
    if nan_guard.diverged is not None:
        epoch, step, logs = nan_guard.diverged
        kept = latest_checkpoint(run_dir / "checkpoints")
        where = f"epoch {kept[1]}" if kept else "none yet"
        raise TrainingDiverged(
            f"Loss became non-finite at epoch {epoch}, step {step} "
            f"(g_total={logs.get('g_total')}, d_total={logs.get('d_total')}). Training stopped; "
            f"the last good checkpoint ({where}) is kept in {run_dir / 'checkpoints'}. "
            "Try a lower --learning-rate or check the data.")
    return model
