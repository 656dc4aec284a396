"""`--data` names to sources: folders, archives, dataset names, self-paired tasks.

Kept apart from the readers (`sources`, `standard`) so that neither imports the
other: this module is the only one that knows every kind of `--data`.
"""

from __future__ import annotations

import os
from pathlib import Path

from pix2pix_tf import layout
from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.data import standard
from pix2pix_tf.data.sources import (
    ARCHIVE_SUFFIXES,
    PairSource,
    ab_folder,
    builtin,
    paired_folders,
    task_folder,
)
from pix2pix_tf.data.tasks import TASKS
from pix2pix_tf.errors import DataError

# Self-paired tasks (`--data TASK:FOLDER`) are listed in `pix2pix_tf.data.tasks.TASKS`.
SPLITS = ("train", "val", "test")


def _local(path) -> Path:
    """A `--data` path; "~" expanded, as the shell does not after "TASK:" (or in quotes)."""
    return Path(path).expanduser()


def is_flat_folder(spec) -> bool:
    """True for a folder `--data` (or `TASK:FOLDER`) without train/val/test subfolders:
    its pairs have no named splits, and `resolve_data` gives all of them as "train"."""
    if spec is None or not isinstance(spec, (str, os.PathLike)):
        return False
    task, sep, rest = str(spec).partition(":")
    folder = _local(rest) if sep and task in TASKS else _local(spec)
    return folder.is_dir() and not any((folder / s).is_dir() for s in SPLITS)

def resolve_data(spec: str | os.PathLike | None, config: Pix2PixConfig, split: str = "train",
                 data_dir: str | os.PathLike | None = None) -> PairSource | None:
    """Turns `--data` into a `PairSource`.

    Args:
        spec: None (built-in data); a folder of A|B images; a folder with `A/` and `B/`;
            a dataset folder with `train/` (and `val/`) inside; a downloaded archive
            (`facades.tar.gz`); a standard dataset name (`facades`, `maps`, ...); or a
            self-paired task on a folder of plain photos, `TASK:PATH` with TASK one of
            colorize, decolorize, sketch, edges (see `pix2pix_tf.data.tasks`).
        config: the configuration (channels, crop size, `skip_bad_files`).
        split: "train" or "val"/"test".
        data_dir: cache folder for standard datasets.

    Returns:
        The source, or None when a folder has no such split (e.g. no `val/`).
    """
    source = _resolve(spec, config, split, data_dir)
    if source is not None and source.spec is None:
        source.spec = layout.data_spec(spec)
    return source


def _resolve(spec, config, split, data_dir) -> PairSource | None:
    if spec is None or str(spec) == "builtin":
        return builtin(config, split)
    task, sep, rest = str(spec).partition(":")
    if sep and task in TASKS:
        folder = _local(rest)
        if (folder / split).is_dir():
            folder = folder / split
        elif split != "train":
            return None
        return task_folder(folder, config, task)
    path = _local(spec)
    if path.is_dir():
        if (path / split).is_dir():
            path = path / split
        elif split != "train":
            return None
        if (path / "A").is_dir() and (path / "B").is_dir():
            return paired_folders(path / "A", path / "B", config)
        return ab_folder(path, config)
    if path.is_file():
        if not str(path).lower().endswith(ARCHIVE_SUFFIXES):
            raise DataError(f"--data {spec}: a file, but not a dataset archive "
                            f"({' '.join(ARCHIVE_SUFFIXES)}) nor a folder.")
        return standard.standard_dataset(standard.name_from_archive(path), config, split,
                                         data_dir=data_dir, archive=path)
    if str(spec) in standard.STANDARD_DATASETS:
        return standard.standard_dataset(str(spec), config, split, data_dir=data_dir)
    raise DataError(
        f"--data {spec}: no such folder or archive, and not a dataset name "
        f"(known datasets: {', '.join(standard.STANDARD_DATASETS)}; self-paired tasks: "
        f"{', '.join(t + ':FOLDER' for t in TASKS)}).")


def configure_for_data(config: Pix2PixConfig, data: str | os.PathLike | PairSource | None,
                       data_dir: str | os.PathLike | None = None) -> Pix2PixConfig:
    """`config` with what `data` implies (a dataset's usual direction, a task's channels)
    for the options it leaves unset; explicit options win, with a warning where they
    contradict the data. `train()` and `make_dataset` apply this, so the CLI, the
    Python API and the notebooks agree."""
    defaults = data_defaults(data, data_dir)
    where = data.description if isinstance(data, PairSource) else f"--data {data}"
    return config.with_data_defaults(defaults, where)


def data_defaults(data, data_dir=None) -> dict:
    """The config values `data` implies, without reading the data."""
    if isinstance(data, PairSource):
        return dict(data.defaults)
    if data is None or str(data) == "builtin":
        return {"direction": "AtoB"}
    task, sep, _ = str(data).partition(":")
    if sep and task in TASKS:
        return dict(TASKS[task].defaults)
    if str(data) in standard.STANDARD_DATASETS:
        return {"direction": standard.STANDARD_DATASETS[str(data)][1]}
    path = _local(data)
    if path.is_file() and str(path).lower().endswith(ARCHIVE_SUFFIXES):
        try:
            return {"direction": standard.STANDARD_DATASETS[standard.name_from_archive(path)][1]}
        except DataError:
            return {}
    return {}
