"""Full training state (both networks, both optimisers, RNG state) on disk, atomically.

A checkpoint holds every variable of the generator and discriminator (weights,
BatchNorm statistics and the dropout seed state), every variable of both
optimisers (step count, learning rate, Adam moments) and the number of epochs
done, each stored under its variable path ("generator/down1_conv/kernel",
"g_optimizer/g_adam/iteration", ...). Restoring matches variables by those paths,
so a checkpoint of another architecture is refused, never loaded into the wrong
slots. Restoring and continuing gives the same weights as never stopping.

Files are written under a temporary name and renamed, and `latest.json` is
switched only after the new file is complete, so a kill at any point leaves the
previous checkpoint as the latest. A damaged newest checkpoint falls back to the
previous one, with a message.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from pix2pix_tf import atomic
from pix2pix_tf.errors import DataError

LATEST = "latest.json"
_FILE = re.compile(r"^ckpt-(\d{6})\.npz$")


def _state_variables(model) -> dict:
    """`{key: variable}` for the whole training state; keys are group + variable path."""
    for opt, net in ((model.g_optimizer, model.generator),
                     (model.d_optimizer, model.discriminator)):
        if opt is None:
            raise ValueError("The model must be compiled before saving or restoring its state.")
        if not opt.built:
            opt.build(net.trainable_variables)
    state: dict = {}

    def add(key, v):
        if key in state:  # never silently collapse two variables into one entry
            raise ValueError(f"Two variables share the key {key!r}; rename a layer.")
        state[key] = v

    for group, net in (("generator", model.generator), ("discriminator", model.discriminator)):
        # Layer name + variable name: stable across processes, unlike `v.path` of the
        # dropout layers' seed generators ("seed_generator_3/...", numbered per process).
        for layer in net.layers:
            for v in layer.variables:
                add(f"{group}/{layer.name}/{v.name}", v)
        if {id(v) for v in net.variables} - {id(v) for v in state.values()}:
            raise ValueError(f"{group}: some variables belong to no layer.")
    for group, opt in (("g_optimizer", model.g_optimizer), ("d_optimizer", model.d_optimizer)):
        # A LossScaleOptimizer (float16) has variables of its own beside its inner one's.
        inner = {id(v) for v in getattr(opt, "inner_optimizer", opt).variables}
        for v in opt.variables:
            # Without the optimiser's own name: a user's Adam named "adam" matches ours.
            name = v.path.split("/", 1)[-1]
            add(f"{group}/{name}" if id(v) in inner else f"{group}/loss_scale/{name}", v)
    return state


def training_state(model, copy: bool = True) -> dict[str, np.ndarray]:
    """The whole training state on the host, `{key: array}`, to write with
    `write_training_state` (what a checkpoint would hold now).

    `copy=False` may share memory with the variables (on a CPU): only for a write
    before the next training step.
    """
    # (np.array copies; np.asarray keeps the buffer `.numpy()` gave.)
    to_host = np.array if copy else np.asarray
    return {k: to_host(v.numpy()) for k, v in _state_variables(model).items()}


def save_training_state(model, directory: str | os.PathLike, epoch: int, keep: int = 2) -> Path:
    """Saves the state after `epoch` epochs to `directory/ckpt-EPOCH.npz`.

    Args:
        model: a compiled `Pix2Pix`.
        directory: checkpoint folder (created if needed).
        epoch: number of epochs completed.
        keep: how many of the newest checkpoints to keep.

    Returns:
        The path of the checkpoint written.
    """
    return write_training_state(training_state(model, copy=False), directory, epoch, keep)


def write_training_state(state: dict[str, np.ndarray], directory: str | os.PathLike,
                         epoch: int, keep: int = 2) -> Path:
    """Writes a `training_state` copy as the checkpoint after `epoch` epochs (see
    `save_training_state`)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"ckpt-{epoch:06d}.npz"
    arrays = {f"v{i:05d}": a for i, a in enumerate(state.values())}
    arrays["paths"] = np.array(list(state))
    arrays["epoch"] = np.array(epoch)
    # A full disk leaves the previous checkpoint the latest, and no temporary file.
    with atomic.atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    atomic.write_text(directory / LATEST, json.dumps({"epoch": epoch, "file": path.name},
                                                     indent=2))
    for old in sorted(directory.glob("ckpt-*.npz"))[:-keep]:
        old.unlink()
    # A save cut short by a kill leaves its temporary (as big as a checkpoint); the run
    # holds the folder's lock, so no other process is writing one.
    for stale in directory.glob("ckpt-*.npz.*tmp"):
        stale.unlink(missing_ok=True)
    return path


def checkpoint_candidates(directory: str | os.PathLike) -> list[tuple[Path, int]]:
    """`(path, epoch)` of the checkpoints in `directory`, newest first.

    The file `latest.json` names comes first; every other complete `ckpt-*.npz` follows
    by epoch, so a damaged latest one can fall back to its predecessor.
    """
    directory = Path(directory)
    found = {}
    for p in directory.glob("ckpt-*.npz") if directory.is_dir() else []:
        if m := _FILE.match(p.name):
            found[p] = int(m.group(1))
    order = sorted(found.items(), key=lambda item: -item[1])
    pointer = directory / LATEST
    if pointer.exists():
        try:
            info = json.loads(pointer.read_text())
            named = directory / str(info["file"])
            order = ([(named, int(info["epoch"]))]
                     + [item for item in order if item[0] != named])
        except (ValueError, KeyError, TypeError):
            print(f"note: {pointer} is damaged; using the newest checkpoint file instead.")
    return order


def latest_checkpoint(directory: str | os.PathLike) -> tuple[Path, int] | None:
    """`(path, epoch)` of the newest checkpoint in `directory`, or None."""
    candidates = checkpoint_candidates(directory)
    return candidates[0] if candidates else None


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            paths = [str(p) for p in data["paths"]]
            return {key: data[f"v{i:05d}"] for i, key in enumerate(paths)}
    except (OSError, KeyError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: damaged or not a pix2pix_tf checkpoint "
                        f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}).")\
            from None


def restore_training_state(model, path: str | os.PathLike) -> None:
    """Loads a checkpoint written by `save_training_state` into a compiled `model`.

    Raises:
        DataError: the file is damaged, or its variables (names or shapes) are not
            the model's: it was written for another configuration.
    """
    _assign(model, Path(path), _read(Path(path)))


def _assign(model, path: Path, values: dict[str, np.ndarray]) -> None:
    state = _state_variables(model)
    missing, unexpected = sorted(set(state) - set(values)), sorted(set(values) - set(state))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} of the model's variables are not in it "
                         f"(e.g. {missing[0]})")
        if unexpected:
            parts.append(f"it has {len(unexpected)} the model lacks (e.g. {unexpected[0]})")
        raise DataError(f"{path}: written for another architecture or precision: "
                        + "; ".join(parts)
                        + ". Resume with the run's own config.json, or start a new --out.")
    for key, v in state.items():
        if tuple(v.shape) != values[key].shape:
            raise DataError(
                f"{path}: variable {key} has shape {values[key].shape}, the model expects "
                f"{tuple(v.shape)}: it was written for another configuration.")
    for key, v in state.items():
        v.assign(values[key])


def restore_latest(model, directory: str | os.PathLike) -> int:
    """Restores the newest readable checkpoint in `directory`; returns its epoch.

    A damaged checkpoint is skipped for the previous one, with a message; a checkpoint
    of another architecture is an error (falling back would hide the mismatch).
    """
    candidates = checkpoint_candidates(directory)
    if not candidates:
        raise DataError(f"{directory}: no checkpoint to resume from.")
    errors = []
    for path, epoch in candidates:
        if not path.exists():
            errors.append(f"{path}: missing")
            continue
        try:
            values = _read(path)
        except DataError as e:
            errors.append(str(e))
            print(f"warning: {e} Trying the previous checkpoint.")
            continue
        _assign(model, path, values)
        if errors:
            print(f"Resumed from {path} (epoch {epoch}) instead.")
        return epoch
    raise DataError(f"{directory}: no readable checkpoint (" + "; ".join(errors) + ").")
