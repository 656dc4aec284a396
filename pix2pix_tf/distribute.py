"""tf.distribute strategies by name, for `train(..., strategy=...)` and `--strategy`.

- "default": one device (the GPU if there is one, else the CPU).
- "mirrored": every local GPU (or, without GPUs, every logical CPU device) in sync.
- "multiworker": MultiWorkerMirroredStrategy across machines; each worker runs the
  same command with its own `TF_CONFIG` (see docs/distributed.md).
- "tpu": TPUStrategy, where a TPU is reachable.

`--batch-size` is the *global* batch: each of the N replicas gets batch/N per step,
and the losses are scaled so gradients are means over the global batch. BatchNorm
statistics are per replica unless `sync_batch_norm=True` (all-reduced across
replicas); instance norm does not depend on the batch at all.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from pix2pix_tf.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def make_strategy(strategy: str | tf.distribute.Strategy | None = None) -> tf.distribute.Strategy:
    """Returns the strategy named `strategy` (or `strategy` itself if it is one)."""
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy in (None, "default"):
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices=devices)
    if strategy == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ConfigError("--strategy multiworker needs the TF_CONFIG environment variable "
                             "(cluster addresses and this worker's index); see "
                             "docs/distributed.md.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if strategy == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.OpError) as e:
            raise ConfigError(f"--strategy tpu: no TPU reachable ({e}).") from None
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={strategy!r}")


def worker_index() -> int:
    """This worker's index in a multi-worker cluster (0 = chief, also when single)."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    if task.get("type") in (None, "chief"):
        return 0
    return int(task.get("index", 0)) + (1 if "chief" in config.get("cluster", {}) else 0)


def describe(strategy: tf.distribute.Strategy) -> str:
    """One line: the strategy and the devices it trains on (printed at the start of a run,
    so a GPU that failed to load shows up as training on the CPU)."""
    try:
        devices = list(strategy.extended.worker_devices)
    except (RuntimeError, AttributeError):  # the default strategy has no device list
        devices = []
    gpus = tf.config.list_physical_devices("GPU")
    where = ", ".join(d.split("/", 3)[-1] if "/" in d else d for d in devices) or (
        "GPU:0" if gpus else "CPU:0")
    return (f"strategy {type(strategy).__name__} on {where} ({len(gpus)} GPU(s) visible, "
            f"{strategy.num_replicas_in_sync} replica(s))")
