"""Evaluate a trained generator on a data split: L1, PSNR, SSIM per image and overall.

    python -m pix2pix_tf evaluate --model runs/facades --data path/to/facades --split val

Writes `metrics.csv` (one row per image), `summary.json` (means, the data, the
model, the inference mode) and `best_worst.png` (the best and the worst images by
L1: input | output | target) to `--out` (default: `RUN/eval_SPLIT`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from pix2pix_tf import layout
from pix2pix_tf.errors import ConfigError, DataError


def _source(data, config, split: str | None, val_fraction: float | None, seed: int,
            data_dir):
    """`(source, label)`: the pairs to score and the name of the `eval_LABEL` folder."""
    from pix2pix_tf.data.resolve import is_flat_folder, resolve_data

    if val_fraction is not None:
        if not 0.0 < val_fraction < 1.0:
            raise ConfigError(f"`val_fraction` must be in (0, 1). Received: {val_fraction}")
        return resolve_data(data, config, "train", data_dir).split_fraction(
            val_fraction, seed)[1], "holdout"
    flat = is_flat_folder(data)
    if split is None:  # the data's test split, else its val split, else a flat folder whole
        for name in () if flat else ("test", "val"):
            if (source := resolve_data(data, config, name, data_dir)) is not None:
                return source, name
        if flat:
            return resolve_data(data, config, "train", data_dir), "all"
        raise DataError(f"--data {data}: no 'test' or 'val' split. Use --split train, or "
                        "--val-fraction F to hold out a fraction of its pairs (the same "
                        "--seed holds out the same pairs as training did).")
    if flat:
        # A flat folder is all "train" (what training read); it has no val or test.
        if split != "train":
            raise DataError(f"--split {split}: --data {data} is one folder of pairs without "
                            "train/val/test subfolders; leave out --split to score all of it, "
                            "or use --val-fraction F to score a held-out fraction.")
        print(f"note: --split train: {data} has no train/val/test subfolders; scoring all "
              "of it.")
    source = resolve_data(data, config, split, data_dir)
    if source is None:
        raise DataError(f"--data {data}: no '{split}' split. Use --split with a split it has, "
                        "or --val-fraction F to hold out a fraction of its pairs (the same "
                        "--seed holds out the same pairs as training did).")
    return source, split


def evaluate(model: str | os.PathLike, data: str | os.PathLike | None = None,
             split: str | None = None, out: str | os.PathLike | None = None,
             val_fraction: float | None = None, seed: int = 0, batch_size: int = 8,
             data_dir: str | os.PathLike | None = None,
             inception_weights: str | os.PathLike | None = None,
             semantic: str | os.PathLike | None = None, direction: str | None = None,
             inference_mode: str | None = None) -> dict:
    """Scores a generator on a split; returns the summary (also written to `out`).

    Args:
        model: run directory or generator `.keras` file.
        data: `--data` spec; default: the run's recorded training data.
        split: "test", "val" or "train" of the data; default: its test split, else its
            val split, else (a folder without split subfolders) all of its pairs.
        out: output folder; default `RUN/eval_SPLIT` (`eval_all` for a whole folder; or
            beside the `.keras` file).
        val_fraction: instead of a split, hold out this fraction of the training pairs
            (a seeded permutation: deterministic given `seed`).
        seed: the hold-out permutation's seed.
        batch_size: images per call of the compiled generator.
        data_dir: cache folder for standard datasets.
        inception_weights: InceptionV3 weights (or a `.keras` feature model) on disk:
            adds FID and KID of the outputs against the targets (see `pix2pix_tf.fid`).
        semantic: a segmenter `.keras` (see `pix2pix_tf.semantic`): adds the semantic
            score of the outputs, and of the real photos (`semantic_real`, the
            ceiling), against the input label maps.
        direction: which side of the pairs is the input; default: the model's own.
        inference_mode: override of the model's (see `pix2pix_tf.translator`).

    The images go through the model's `Translator` (the inference contract): the same
    preprocessing, network and output as `translate`; scores do not depend on
    `batch_size`. SSIM and PSNR are computed on images in [0, 1].
    """
    import tensorflow as tf

    from pix2pix_tf.data.pipeline import make_dataset
    from pix2pix_tf.images import image_grid, save_png
    from pix2pix_tf.metrics import psnr, ssim
    from pix2pix_tf.translator import Translator

    feature_model = None
    if inception_weights is not None:  # load first: a bad file fails before scoring
        from pix2pix_tf.fid import load_feature_model

        feature_model = load_feature_model(inception_weights)
    segmenter = None
    if semantic is not None:
        from pix2pix_tf.semantic import load_segmenter

        segmenter = load_segmenter(semantic)
    translator = Translator.load(model, direction=direction, inference_mode=inference_mode)
    config = translator.config
    if data is None:
        data = layout.recorded_data(model) if Path(model).is_dir() else None
        if data is None:
            raise DataError(f"{model}: no recorded training data; pass --data.")
    source, label = _source(data, config, split, val_fraction, seed, data_dir)
    where = f"{source.description}" + (f" (--val-fraction {val_fraction}, seed {seed})"
                                       if val_fraction is not None else "")
    rows: list[dict] = []
    inputs, outputs, targets = [], [], []
    names = list(source.names)
    for x, y in make_dataset(source, config, training=False, batch_size=batch_size):
        fake = translator(x)  # RGB, and the targets too (Lab models: L joined with ab)
        y = translator.to_rgb(x, y)
        l1 = tf.reduce_mean(tf.abs(y - fake), axis=[1, 2, 3]).numpy()
        for i, values in enumerate(zip(l1, psnr(y, fake).numpy(), ssim(y, fake).numpy())):
            rows.append({"image": names[len(rows)], "l1": float(values[0]),
                         "psnr": float(values[1]), "ssim": float(values[2])})
            inputs.append(x[i].numpy())
            outputs.append(fake[i].numpy())
            targets.append(y[i].numpy())
    name = f"eval_{label}"
    if out is None:
        out = (Path(model) / name if Path(model).is_dir()
               else Path(model).parent / f"{Path(model).stem}_{name}")
    from pix2pix_tf.atomic import atomic_path, output_folder

    out = output_folder(out)
    with atomic_path(out / "metrics.csv") as tmp, open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["image", "l1", "psnr", "ssim"])
        writer.writeheader()
        writer.writerows(rows)
    summary = {"model": str(model), "data": where, "images": len(rows),
               "inference_mode": config.inference_mode,
               **{k: float(np.mean([r[k] for r in rows])) for k in ("l1", "psnr", "ssim")}}
    if feature_model is not None:
        from pix2pix_tf.fid import features, frechet_distance, kernel_inception_distance

        real, fake = features(feature_model, np.stack(targets)), features(
            feature_model, np.stack(outputs))
        summary.update(fid=frechet_distance(real, fake),
                       kid=kernel_inception_distance(real, fake),
                       feature_model=str(inception_weights))
    else:
        summary["fid"] = summary["kid"] = None
    if segmenter is not None:
        from pix2pix_tf.semantic import _confusion, scores_from_confusion

        x, y, f = (tf.constant(np.stack(v)) for v in (inputs, targets, outputs))
        summary["semantic"] = scores_from_confusion(_confusion(segmenter, f, x))
        summary["semantic_real"] = scores_from_confusion(_confusion(segmenter, y, x))
    layout.write_json(out / "summary.json", summary)
    order = np.argsort([r["l1"] for r in rows])
    k = min(4, len(rows))
    pick = list(order[:k]) + [i for i in order[::-1][:k] if i not in order[:k]]
    save_png(image_grid(np.stack([inputs[i] for i in pick]), np.stack([outputs[i] for i in pick]),
                        np.stack([targets[i] for i in pick])), out / "best_worst.png")
    print(f"Evaluated {len(rows)} image(s) of {where}: L1 {summary['l1']:.4f}, PSNR "
          f"{summary['psnr']:.2f} dB, SSIM {summary['ssim']:.4f}"
          + (f", FID {summary['fid']:.2f}, KID {summary['kid']:.4f}"
             if summary["fid"] is not None else "")
          + f" ({config.inference_mode}). "
          f"Wrote {out}/metrics.csv, summary.json, best_worst.png")
    return {**summary, "out": str(out)}


