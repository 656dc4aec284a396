"""Shared pieces of the studies: the held-out facades split and held-out scoring."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

HOLDOUT = 50  # pairs held out of the 400 facades training pairs (seeded, see `split`)


def machine() -> str:
    import tensorflow as tf

    cpu = ""
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{cpu or platform.processor()}, {os.cpu_count()} cores, TensorFlow "
            f"{tf.__version__}, {time.strftime('%Y-%m-%d')}")


def facades_split(path: str, config, holdout: int = HOLDOUT, seed: int = 0):
    """`(train, held_out)` sources from a folder of facades A|B pairs."""
    from pix2pix_tf.data import resolve_data

    return resolve_data(path, config, "train").split(holdout, seed)


def score(translator, source, sharpness: bool = False, segmenter=None) -> dict:
    """Held-out L1 / PSNR / SSIM of a `Translator` (the inference contract: the same
    preprocessing, network and output as `translate` and `evaluate`; SSIM and PSNR on
    [0, 1]); optionally the sharpness ratio and, with a segmenter, the semantic score
    against the input labels."""
    import tensorflow as tf

    from pix2pix_tf.data import make_dataset
    from pix2pix_tf.metrics import psnr, sharpness_ratio, ssim

    l1s, psnrs, ssims, sharp = [], [], [], []
    for x, y in make_dataset(source, translator.config, training=False, batch_size=8):
        fake, y = translator(x), translator.to_rgb(x, y)
        l1s.extend(tf.reduce_mean(tf.abs(y - fake), axis=[1, 2, 3]).numpy().tolist())
        psnrs.extend(psnr(y, fake).numpy().tolist())
        ssims.extend(ssim(y, fake).numpy().tolist())
        if sharpness:
            sharp.extend(sharpness_ratio(y, fake).numpy().tolist())
    result = {"l1": float(np.mean(l1s)), "psnr": float(np.mean(psnrs)),
              "ssim": float(np.mean(ssims)), "n": len(l1s)}
    if sharpness:
        result["sharpness"] = float(np.mean(sharp))
    if segmenter is not None:
        from pix2pix_tf.semantic import semantic_scores

        result.update(semantic_scores(segmenter, translator.config, source,
                                      translator=translator))
    return result


def write_results(path: Path, title: str, command: str, table: list[str], notes: str,
                  raw: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"# {title}\n\nCommand: `{command}`\n\nMachine: {machine()}\n\n"
            + "\n".join(table) + "\n\n" + notes.strip() + "\n")
    path.write_text(text)
    path.with_suffix(".json").write_text(json.dumps(raw, indent=2))


def builtin_holdout(config, n: int = 200, seed: int = 2_000_000):
    """`n` built-in pairs no run ever trains on (the built-in train split is seed 0, its
    val split seed 1,000,000): a larger held-out set than the 16 val pairs."""
    from pix2pix_tf.data import PairSource
    from pix2pix_tf.data.synthetic import synthetic_facades

    labels, photos = synthetic_facades(n, config.load_height_width, seed=seed)
    return PairSource("pair", "arrays", labels, photos, [f"heldout_{i:04d}" for i in range(n)],
                      f"built-in synthetic facades (held out, seed {seed}, {n} pairs)",
                      defaults={"direction": "AtoB"}, spec="builtin")


def checkerboard(translator, source) -> dict:
    """Mean `metrics.checkerboard_energy` of the translator's outputs and of the targets
    on `source` (the targets' value is the floor: real pictures have some energy there)."""
    import tensorflow as tf

    from pix2pix_tf.data import make_dataset
    from pix2pix_tf.metrics import checkerboard_energy

    fakes, reals = [], []
    for x, y in make_dataset(source, translator.config, training=False, batch_size=8):
        fakes.extend(checkerboard_energy(translator(x)).numpy().tolist())
        reals.extend(checkerboard_energy(translator.to_rgb(x, y)).numpy().tolist())
    del tf
    return {"checkerboard": float(np.mean(fakes)), "checkerboard_targets": float(np.mean(reals))}
