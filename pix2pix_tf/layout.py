"""The run directory: every file name, and every read and write of its small files.

    RUN_DIR/
      config.json        the run's Pix2PixConfig (every option, resolved)
      run.json           where the data came from (for --resume and export)
      generator.keras    the latest saved generator (architecture + weights)
      checkpoints/       full training state: ckpt-EPOCH.npz + latest.json
      samples/           epoch_NNNN.png grids (input | output | target)
      logs/              TensorBoard
      workers/N/         state of non-chief workers under multi-worker training
      .lock              pid and host of the process training in it (while it runs)

Every module that writes or reads a run directory goes through these names.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pix2pix_tf import atomic
from pix2pix_tf.errors import DataError

CONFIG = "config.json"
RUN_INFO = "run.json"
GENERATOR = "generator.keras"
BEST_GENERATOR = "generator_best.keras"  # lowest validation L1 so far (KeepBest)
BEST_INFO = "best.json"
CHECKPOINTS = "checkpoints"
SAMPLES = "samples"
LOGS = "logs"
WORKERS = "workers"
LOCK = ".lock"


def local_path(path: str | os.PathLike, option: str = "--out") -> Path:
    """`path` as a local `Path`; URLs (gs://, s3://, ...) are refused with a clear error.

    Run directories are written with local file operations (atomic renames); a
    `gs://` path would otherwise become a local folder named `gs:`.
    """
    text = str(path)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        raise DataError(f"{option} {text}: only local folders are supported (write to a "
                        "local or mounted disk, e.g. a gcsfuse mount, and copy afterwards).")
    return Path(path)


def config_path(run: Path) -> Path:
    return Path(run) / CONFIG


def run_info_path(run: Path) -> Path:
    return Path(run) / RUN_INFO


def generator_path(run: Path) -> Path:
    return Path(run) / GENERATOR


def best_generator_path(run: Path) -> Path:
    return Path(run) / BEST_GENERATOR


def best_info_path(run: Path) -> Path:
    return Path(run) / BEST_INFO


def checkpoints(run: Path) -> Path:
    return Path(run) / CHECKPOINTS


def samples(run: Path) -> Path:
    return Path(run) / SAMPLES


def logs(run: Path) -> Path:
    return Path(run) / LOGS


def lock_path(run: Path) -> Path:
    return Path(run) / LOCK


def worker_dir(run: Path, index: int) -> Path:
    """The folder a worker writes: the run itself for the chief (index 0)."""
    return Path(run) if index == 0 else Path(run) / WORKERS / str(index)


def model_file(path: str | os.PathLike) -> Path:
    """The generator file of a run directory, or `path` itself for a `.keras` file."""
    path = Path(path)
    return generator_path(path) if path.is_dir() else path


def save_generator(generator, run: Path, final: Path | None = None) -> Path:
    """Writes `generator.keras` (or `final`) atomically (temporary name, then rename)."""
    final = generator_path(run) if final is None else final
    with atomic.atomic_path(final, keep_suffix=True) as tmp:  # Keras wants .keras
        generator.save(tmp)
    return final


def write_json(path: Path, obj: Any) -> None:
    """Writes `obj` as JSON atomically (a full disk is a `DataError` naming `path`)."""
    atomic.write_text(path, json.dumps(obj, indent=2))


def read_json(path: Path, what: str) -> Any:
    """Parsed JSON of a run file; damage is a `DataError` naming the file and `what`."""
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: damaged {what} (not valid JSON at line {e.lineno}, "
                        f"column {e.colno}).") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: damaged {what} (not text).") from None


def data_spec(data) -> str | None:
    """What to record for `data`: an absolute path (keeping a `task:` prefix), a dataset
    name, "builtin", or None when it cannot be named (a `PairSource` built in Python
    without a spec)."""
    from pix2pix_tf.data.sources import PairSource

    if isinstance(data, PairSource):
        return data.spec
    if data is None or str(data) == "builtin":
        return "builtin"
    task, sep, rest = str(data).partition(":")
    if sep and not re.match(r"^[A-Za-z]$", task):  # task:FOLDER (not a Windows drive)
        return f"{task}:{Path(rest).expanduser().resolve()}"
    path = Path(data).expanduser()
    return str(path.resolve()) if path.exists() else str(data)


def write_run_info(run: Path, data) -> None:
    write_json(run_info_path(run), {"data": data_spec(data)})


def recorded_data(run: str | os.PathLike) -> str | None:
    """The data spec a run was trained on (from its `run.json`), or None when the run
    has no `run.json` or recorded none."""
    path = run_info_path(Path(run))
    if not path.exists():
        return None
    info = read_json(path, "run record")
    if not isinstance(info, dict) or "data" not in info:
        raise DataError(f"{path}: not a run record (expected an object with a 'data' key).")
    return info["data"]
