"""SSIM before and after the range fix, on the same trained models and images.

    python -m experiments.ssim_range --runs runs/tasks_facades

Until 2026-11-30 the package computed SSIM on images in [-1, 1] with `max_val=2`
(`tf.image.ssim`); it now maps them to [0, 1] first (`pix2pix_tf.metrics.ssim`). SSIM's
luminance term compares means, which the shift moves, so the two differ. For every run
directory under `--runs` (trained with a `val_fraction` hold-out, as experiments.tasks
does), this scores its held-out images both ways through the run's `Translator`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", required=True, help="folder of run directories")
    p.add_argument("--results", default="experiments/results/ssim_range.md")
    args = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from experiments.common import write_results
    from pix2pix_tf import layout
    from pix2pix_tf.data import make_dataset, resolve_data
    from pix2pix_tf.metrics import ssim
    from pix2pix_tf.translator import Translator

    raw = []
    for run in sorted(Path(args.runs).iterdir()):
        if not (run / "generator.keras").exists():
            continue
        translator = Translator.load(run)
        config = translator.config
        spec = layout.recorded_data(run)
        source = resolve_data(spec, config, "train").split_fraction(config.val_fraction, 0)[1]
        before, after = [], []
        for x, y in make_dataset(source, config, training=False, batch_size=8):
            fake, y = translator(x), translator.to_rgb(x, y)
            before.extend(tf.image.ssim(y, fake, max_val=2.0).numpy().tolist())  # the old
            after.extend(ssim(y, fake).numpy().tolist())
        raw.append({"run": run.name, "images": len(after), "ssim_old_range": float(
            np.mean(before)), "ssim": float(np.mean(after))})
        print(raw[-1], flush=True)
    rows = ["| run | images | SSIM on [-1, 1], max_val 2 (before) | SSIM on [0, 1] (now) |",
            "|---|---|---|---|"]
    rows += [f"| {r['run']} | {r['images']} | {r['ssim_old_range']:.4f} | {r['ssim']:.4f} |"
             for r in raw]
    write_results(Path(args.results), "SSIM before and after the range fix (same models)",
                  "python -m experiments.ssim_range " + " ".join(
                      sys.argv[1:] if argv is None else argv), rows,
                  "Each run's held-out images (its val_fraction, seed 0, as evaluate "
                  "--val-fraction holds them out), scored through its Translator; only the "
                  "SSIM's input range differs between the columns.", raw)
    print("\n".join(rows))
    print(json.dumps(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
