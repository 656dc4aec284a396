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


def score(generator, config, source, training: bool = False, sharpness: bool = False,
          segmenter=None) -> dict:
    """Held-out L1 / PSNR / SSIM (images in [-1, 1]; one image per call for
    `training=True`, so batch statistics are each image's own); optionally the
    sharpness ratio and, with a segmenter, the semantic score against the input labels."""
    import tensorflow as tf

    from pix2pix_tf.data import make_dataset
    from pix2pix_tf.metrics import psnr, sharpness_ratio, ssim

    l1s, psnrs, ssims, sharp = [], [], [], []
    for x, y in make_dataset(source, config, training=False, batch_size=1):
        fake = generator(x, training=training)
        l1s.append(float(tf.reduce_mean(tf.abs(y - fake))))
        psnrs.append(float(psnr(y, fake)[0]))
        ssims.append(float(ssim(y, fake)[0]))
        if sharpness:
            sharp.append(float(sharpness_ratio(y, fake)[0]))
    result = {"l1": float(np.mean(l1s)), "psnr": float(np.mean(psnrs)),
              "ssim": float(np.mean(ssims)), "n": len(l1s)}
    if sharpness:
        result["sharpness"] = float(np.mean(sharp))
    if segmenter is not None:
        from pix2pix_tf.semantic import semantic_scores

        result.update(semantic_scores(segmenter, config, source, generator=generator))
    return result


def write_results(path: Path, title: str, command: str, table: list[str], notes: str,
                  raw: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"# {title}\n\nCommand: `{command}`\n\nMachine: {machine()}\n\n"
            + "\n".join(table) + "\n\n" + notes.strip() + "\n")
    path.write_text(text)
    path.with_suffix(".json").write_text(json.dumps(raw, indent=2))
