"""Shared pieces of the export module: loading, sample inputs, atomic writes, timing."""

from __future__ import annotations

import os
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.errors import ConfigError, DataError, Pix2PixError

FORMATS = ("savedmodel", "tflite", "onnx")
QUANTIZATIONS = ("fp32", "fp16", "int8", "dynamic")
# Which quantisations each format offers (others are skipped with a note).
SUPPORTED = {"savedmodel": ("fp32",), "onnx": ("fp32",),
             "tflite": ("fp32", "fp16", "int8", "dynamic")}


class ExportError(Pix2PixError, RuntimeError):
    """An export or its verification failed; the message says which and why.

    `entries` holds the whole report (as written to `report.json`).
    """

    def __init__(self, message: str, entries: list[dict] | None = None):
        super().__init__(message)
        self.entries = entries or []


def parse_list(value: str | list[str], allowed: tuple[str, ...], option: str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    items = [i.strip() for i in items if i.strip()]
    bad = [i for i in items if i not in allowed]
    if bad or not items:
        raise ConfigError(f"{option}: unknown value(s) {bad or items}. Choose from "
                         f"{', '.join(allowed)}. Received: {option}={value!r}")
    return items


def load(model_path: str | os.PathLike, direction: str | None = None):
    """`(network, config)` to export, from a run directory or a generator `.keras` file.

    The network is the model's `Translator.export_model()` (the inference contract,
    `pix2pix_tf.translator`): float32 whatever precision the run trained in, its
    deterministic inference mode, a Lab model's output converted to RGB. `config` is the
    translator's (its direction and fit are written into every artifact's metadata).
    """
    from pix2pix_tf.translator import Translator

    translator = Translator.load(model_path, direction=direction)
    return translator.export_model(), exported_config(translator.config)


def drawing_palette(model_path: str | os.PathLike) -> list[dict] | None:
    """The label colours a user can draw with, for a run trained on the built-in set
    (label map -> facade); None for any other model (its inputs are photos)."""
    from pix2pix_tf import layout

    if not Path(model_path).is_dir() or layout.recorded_data(model_path) != "builtin":
        return None
    from pix2pix_tf.data.synthetic import label_palette

    return label_palette()


def exported_config(config: Pix2PixConfig) -> Pix2PixConfig:
    """What an artifact computes: float32, and batch_stats' deterministic part."""
    if config.inference_mode == "batch_stats":
        config = config.replace(inference_mode="image_stats")
    return config.replace(precision="float32")


def sample_inputs(config: Pix2PixConfig, spec: str | os.PathLike | None, count: int,
                  model_path: str | os.PathLike | None = None,
                  seed: int | None = None) -> tuple[np.ndarray, str]:
    """`count` real inputs (no jitter) for verification and int8 calibration, and a
    description of where they came from (stated in the export report).

    With `seed`, the inputs are a seeded random draw from the whole source (the same
    seed, the same images); without it, the first `count` in the source's order.

    `spec` is a `--data`-style spec (folder, archive, dataset name); default: the data
    the run was trained on, as recorded in its `run.json`. There is no silent
    fallback: a bare `.keras` file, or a run without a record, needs `spec`.
    """
    from pix2pix_tf import layout
    from pix2pix_tf.data import make_dataset, resolve_data

    if spec is None:
        if model_path is not None and Path(model_path).is_dir():
            spec = layout.recorded_data(model_path)
        if spec is None:
            raise DataError(
                f"{model_path}: no record of the data this model was trained on (a bare "
                ".keras file, or a run trained on data given in Python); pass "
                "--representative-data with images like its inputs, to verify and calibrate "
                "the export.")
    source = resolve_data(spec, config, "train")
    if source is None or len(source) == 0:
        raise DataError(f"{spec}: the representative dataset is empty.")
    description = source.description
    if seed is not None and len(source) > 1:
        order = np.random.default_rng(seed).permutation(len(source))[:count]
        source = source.subset(order, description)
    batch = next(iter(make_dataset(source, config, training=False,
                                   batch_size=min(count, len(source)))))[0]
    return batch.numpy(), description


def replace_atomically(tmp: Path, final: Path) -> None:
    """Moves a finished file or folder into place, replacing an older one (put back if
    the move fails)."""
    if final.is_dir() and tmp.is_dir():
        old = final.with_name(final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        try:
            os.replace(tmp, final)
        except OSError:
            os.replace(old, final)  # the previous one back in place
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def size_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def median_latency_ms(fn, x: np.ndarray, repeats: int = 5) -> float:
    """Median wall time of `fn(one image)` in ms, after one warm-up call."""
    fn(x[:1])
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        fn(x[i % len(x):i % len(x) + 1])
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def psnr_db(reference: np.ndarray, output: np.ndarray) -> float | None:
    """PSNR of `output` against `reference` (both in [-1, 1], peak-to-peak 2).

    None when they are identical (infinite PSNR; JSON has no infinity).
    """
    mse = float(np.mean((reference.astype(np.float64) - output.astype(np.float64)) ** 2))
    return None if mse == 0 else float(10 * np.log10(4.0 / mse))
