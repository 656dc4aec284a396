"""Batch translation on Ray Data: `translate` over many images, on one machine or a cluster.

The same `Translator` as `translate` (`pix2pix_tf.translator`), one per actor of a Ray
Data actor pool (`ray.data.read_binary_files` -> `map_batches` with `TranslateBatch`,
a stateful callable class, `compute=ActorPoolStrategy(size=workers)`): Ray schedules,
streams, retries and scales; this module only says what one batch is.

- Outputs are `translate`'s: the same names (`output_names`), the same PNG bytes
  (tested), written atomically by the actor that translated them (a temporary name,
  then a rename; the folder must be one every node sees, as the inputs).
- An output already there is skipped, not recomputed (a re-run continues where a
  stopped one ended), unless `overwrite`; an input is never overwritten.
- An image that cannot be read is reported by name and the others are translated.

    python -m pix2pix_tf translate --engine ray --model runs/facades photos/ --out results/
    python -m pix2pix_tf translate --engine ray --ray-address auto --workers 16 ...

Needs the `ray` extra (`pip install -e .[ray]`, `ray[data]`); nothing imports Ray
unless this engine runs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pix2pix_tf.errors import ConfigError, DataError, tf_reason

__all__ = ["EngineResult", "TranslateBatch", "translate_with_ray"]


@dataclass
class EngineResult:
    """What a `translate_with_ray` run did.

    Attributes:
        written: outputs written by this run.
        skipped: outputs already there (not recomputed; `overwrite=False`).
        failed: input path -> why it was not translated (one line each).
    """

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class TranslateBatch:
    """The Ray Data callable class: one `Translator` per actor, a batch of encoded
    images in, their PNG files written, one status row per image out.

    Args:
        model: run directory or generator `.keras` file (on a path every node sees).
        out_dir: the output folder.
        names: input path -> output file name, for the inputs whose name is not
            `stem.png` (a shared stem, see `translate.output_names`).
        translator_options: keyword arguments of `Translator.load` (direction,
            inference_mode, ...): the same as the single-process `translate`.
        layout: "auto", "single" or "ab" (A|B pairs).
        overwrite: replace an existing output (else leave it: done by another run).
        threads: TensorFlow's intra-op threads in this actor (its CPUs).
    """

    def __init__(self, model: str, out_dir: str, names: dict[str, str],
                 translator_options: dict[str, Any], layout: str = "auto",
                 overwrite: bool = False, threads: int = 1):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        from pix2pix_tf.translator import Translator

        # Ray gives the actor `threads` CPUs; TensorFlow would otherwise start a thread
        # per core of the machine in every actor.
        try:
            tf.config.threading.set_intra_op_parallelism_threads(max(1, int(threads)))
            tf.config.threading.set_inter_op_parallelism_threads(max(1, min(2, int(threads))))
        except RuntimeError:  # TensorFlow already running in this process (not an actor)
            pass
        self.translator = Translator.load(model, **translator_options)
        self.out_dir, self.names = Path(out_dir), names
        self.layout, self.overwrite = layout, overwrite

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        """`{"path": [...], "bytes": [...]}` -> `{"path", "output", "error"}` per image
        (`error` "" when written, "exists" when another run wrote it meanwhile)."""
        from pix2pix_tf.images import save_png
        from pix2pix_tf.translate import _read

        paths = [str(p) for p in batch["path"]]
        targets = [self.out_dir / self.names.get(p, f"{Path(p).stem}.png") for p in paths]
        errors = [""] * len(paths)
        images = {}
        for i, (path, contents) in enumerate(zip(paths, batch["bytes"])):
            try:
                images[i] = _read(Path(path), bytes(contents))
            except DataError as e:
                errors[i] = str(e)
        for i, pixels in self._translate(images, errors).items():
            if not self.overwrite and targets[i].exists():
                errors[i] = "exists"
                continue
            save_png(pixels, targets[i])
        return {"path": paths, "output": [str(t) for t in targets], "error": errors}

    def _translate(self, images: dict[int, Any], errors: list[str]) -> dict[int, Any]:
        """The batch in one call; should it fail, image by image, so one image's
        failure (its size, say) is reported by name and costs no other image."""
        keys = list(images)
        try:
            return dict(zip(keys, self.translator.translate_images(
                [images[i] for i in keys], self.layout)))
        except Exception:  # noqa: BLE001  (retried one by one below, each error kept)
            pass
        done = {}
        for i in keys:
            try:
                done[i] = self.translator.translate_image(images[i], self.layout)
            except Exception as e:  # noqa: BLE001  (reported by name, the run goes on)
                said = tf_reason(e)
                errors[i] = f"not translated ({type(e).__name__}: {said[:200]})"
        return done


def _plan(files: list[Path], out_dir: Path, overwrite: bool):
    """(to do, their output names where not `stem.png`, outputs already there)."""
    from pix2pix_tf.translate import output_targets

    todo, names, skipped = [], {}, []
    for f, target in zip(files, output_targets(files, out_dir)):
        name = target.name
        if target.exists() and not overwrite:
            skipped.append(target)
            continue
        path = os.path.abspath(f)
        todo.append(path)
        if name != f"{f.stem}.png":
            names[path] = name
    return todo, names, skipped


def _start_ray(address: str | None, cpus: float):
    """Ray, connected to `address` ("auto", "HOST:6379") or, by
    default, a local instance started here with `cpus` logical CPUs; returns (ray,
    whether this call started it)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the machine
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray Data: pip install 'ray[data]' (or the "
                          "package's extra: pip install -e '.[ray]').") from None
    if ray.is_initialized():
        return ray, False
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=max(os.cpu_count() or 1, math.ceil(cpus)), include_dashboard=False,
                 log_to_driver=False)
    return ray, True


def translate_with_ray(model: str | os.PathLike, inputs: list[str | os.PathLike],
                       out_dir: str | os.PathLike, translator_options: dict | None = None,
                       layout: str = "auto", batch_size: int = 8, overwrite: bool = False,
                       workers: int | None = None, cpus_per_worker: float = 1,
                       gpus_per_worker: float = 0, address: str | None = None) -> EngineResult:
    """Translates images with a pool of Ray actors and writes `out_dir/<name>.png`.

    Args:
        model: run directory or generator `.keras` file.
        inputs: image files and folders (as `translate_files`).
        out_dir: output folder (created).
        translator_options: keyword arguments of `Translator.load` (direction,
            inference_mode, ...), the same as the single-process path's.
        layout: "auto", "single" or "ab".
        batch_size: images per call of an actor (the results do not depend on it).
        overwrite: recompute outputs already there (default: skip them).
        workers: actors, each with its own translator; default: the cluster's CPUs
            (GPUs with `gpus_per_worker`) divided by what one actor takes.
        cpus_per_worker, gpus_per_worker: Ray resources of one actor.
        address: the Ray cluster (`ray.init(address=...)`); default: the Ray already
            initialised in this process, else a local one started (and stopped) here.

    Returns:
        An `EngineResult`: written, skipped and failed (by input path, with reasons).
    """
    from pix2pix_tf.atomic import output_folder
    from pix2pix_tf.translate import list_inputs

    options = dict(translator_options or {})
    if options.get("inference_mode") == "batch_stats":
        print("note: inference_mode batch_stats draws dropout per call: outputs depend on "
              "which actor translates which batch (not reproducible across runs).")
    from pix2pix_tf.preprocessor import LAYOUTS

    if layout not in LAYOUTS:
        raise ConfigError(f"`layout` must be one of {LAYOUTS}. Received: {layout!r}")
    if workers is not None and workers < 1:
        raise ConfigError(f"`--workers` must be at least 1. Received: {workers}")
    if cpus_per_worker <= 0 or gpus_per_worker < 0:
        raise ConfigError("`--cpus-per-worker` must be > 0 and `--gpus-per-worker` >= 0. "
                          f"Received: {cpus_per_worker}, {gpus_per_worker}")
    files = list_inputs(inputs)
    out = output_folder(out_dir)
    todo, names, skipped = _plan(files, out, overwrite)
    result = EngineResult(skipped=skipped)
    if skipped:
        print(f"Skipping {len(skipped)} image(s) whose output is already in {out} "
              "(--overwrite recomputes them).")
    if not todo:
        return result
    ray, started = _start_ray(address, (workers or 1) * cpus_per_worker)
    try:
        if workers is None:
            have = ray.cluster_resources()
            workers = int(have.get("GPU", 0) // gpus_per_worker if gpus_per_worker
                          else have.get("CPU", 1) // cpus_per_worker) or 1
        # Reading is I/O: its tasks take no CPU, so a pool holding every CPU still gets
        # its input (with a CPU each, the reads would wait for the actors forever).
        dataset = ray.data.read_binary_files(
            todo, include_paths=True, num_cpus=0,
            override_num_blocks=min(len(todo), max(workers, math.ceil(len(todo) / batch_size)),
                                    max(200, 4 * workers)))
        remote = {"num_gpus": gpus_per_worker} if gpus_per_worker else {}
        statuses = dataset.map_batches(
            TranslateBatch, batch_size=max(1, int(batch_size)),
            compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=cpus_per_worker,
            fn_constructor_kwargs=dict(
                model=str(Path(model).resolve()), out_dir=str(out.resolve()), names=names,
                translator_options=options, layout=layout, overwrite=overwrite,
                threads=max(1, math.floor(cpus_per_worker))), **remote)
        for row in statuses.iter_rows():
            if not row["error"]:
                result.written.append(Path(row["output"]))
            elif row["error"] == "exists":
                result.skipped.append(Path(row["output"]))
            else:  # each reason names its file
                reason = row["error"]
                result.failed[row["path"]] = (reason if reason.startswith(row["path"])
                                              else f"{row['path']}: {reason}")
    finally:
        if started:
            ray.shutdown()
    return result
