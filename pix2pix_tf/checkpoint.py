"""Full training state (both networks, both optimisers, RNG state) on disk, atomically.

A checkpoint holds every variable of the generator and discriminator (weights,
BatchNorm statistics and the dropout seed state), every variable of both
optimisers (step count, learning rate, Adam moments) and the number of epochs
done. Restoring it and continuing gives the same weights as never stopping.

Files are written under a temporary name and renamed, and `latest.json` is
switched only after the new file is complete, so a kill at any point leaves the
previous checkpoint as the latest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

LATEST = "latest.json"


def _state_variables(model) -> list:
    """The variables that define the training state, in a stable order."""
    for opt, net in ((model.g_optimizer, model.generator),
                     (model.d_optimizer, model.discriminator)):
        if opt is None:
            raise ValueError("The model must be compiled before saving or restoring its state.")
        if not opt.built:
            opt.build(net.trainable_variables)
    return (list(model.generator.variables) + list(model.discriminator.variables)
            + list(model.g_optimizer.variables) + list(model.d_optimizer.variables))


def _atomic_write_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2))
    os.replace(tmp, path)


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
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    variables = _state_variables(model)
    path = directory / f"ckpt-{epoch:06d}.npz"
    tmp = path.with_name(path.name + ".tmp")
    arrays = {f"v{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(variables)}
    arrays["paths"] = np.array([v.path for v in variables])
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _atomic_write_json(directory / LATEST, {"epoch": epoch, "file": path.name})
    for old in sorted(directory.glob("ckpt-*.npz"))[:-keep]:
        old.unlink()
    return path


def latest_checkpoint(directory: str | os.PathLike) -> tuple[Path, int] | None:
    """`(path, epoch)` of the newest complete checkpoint in `directory`, or None."""
    pointer = Path(directory) / LATEST
    if not pointer.exists():
        return None
    info = json.loads(pointer.read_text())
    return Path(directory) / info["file"], int(info["epoch"])


def restore_training_state(model, path: str | os.PathLike) -> None:
    """Loads a checkpoint written by `save_training_state` into a compiled `model`."""
    variables = _state_variables(model)
    try:
        with np.load(path) as data:
            paths = list(data["paths"])
            if len(paths) != len(variables):
                raise ValueError(
                    f"Checkpoint {path} holds {len(paths)} variables, the model has "
                    f"{len(variables)}: it was written for another configuration.")
            values = [data[f"v{i:05d}"] for i in range(len(variables))]
    except (OSError, KeyError, EOFError) as e:
        raise ValueError(f"Checkpoint {path} is unreadable: {e}") from None
    for v, value in zip(variables, values):
        if tuple(v.shape) != value.shape:
            raise ValueError(
                f"Checkpoint {path}: variable {v.path} has shape {value.shape}, the model "
                f"expects {tuple(v.shape)}: it was written for another configuration.")
        v.assign(value)
