"""Study: simultaneous vs alternating updates, and the generator's inference modes.

Trains one model per update order on the facades pairs (labels -> photo, BtoA),
holding out 50 pairs, then scores each trained generator on the held-out pairs in
every inference mode, on the same weights:

- moving_stats: BatchNorm moving averages (Keras' `training=False`);
- batch_stats: the paper's test time at batch 1: each image by its own statistics,
  dropout on (seeded; pix2pix_tf/translator.py);
- image_stats: each image by its own statistics, dropout off (deterministic,
  batch-independent, exportable).

    python -m experiments.update_and_inference --data ../shared/data/facades/train \\
        --image-size 128 --steps 2100 --out runs/study_update

Writes `experiments/results/update_and_inference.md` (+ .json) and, per run, a
held-out grid next to the run (not committed: facades images are not
redistributed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODES = ("moving_stats", "batch_stats", "image_stats")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder of facades A|B pairs")
    p.add_argument("--out", default="runs/study_update")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=2100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--updates", default="simultaneous,alternating")
    p.add_argument("--results", default="experiments/results/update_and_inference.md")
    args = p.parse_args(argv)

    import numpy as np

    from experiments.common import HOLDOUT, facades_split, score, write_results
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.data import sample_batch
    from pix2pix_tf.images import image_grid, save_png
    from pix2pix_tf.translator import Translator

    rows, raw = [], []
    for update in args.updates.split(","):
        config = Pix2PixConfig(image_size=args.image_size, direction="BtoA", seed=args.seed,
                               update=update, sample_every=0, save_every=1000)
        train_src, held = facades_split(args.data, config)
        steps = len(train_src)
        config = config.replace(steps_per_epoch=steps, epochs=max(1, round(args.steps / steps)),
                                save_every=max(1, round(args.steps / steps)))
        run = Path(args.out) / update
        t0 = time.time()
        model = train(config, run, data=train_src, validation_data=held, verbose=2)
        minutes = (time.time() - t0) / 60
        for mode in MODES:
            # The same contract as translate/evaluate: float32, batch_stats = each image's
            # own statistics with seeded dropout.
            result = score(Translator(model.generator, model.config, inference_mode=mode,
                                      seed=args.seed), held)
            result.update(update=update, mode=mode, steps=config.epochs * steps,
                          minutes=round(minutes, 1))
            raw.append(result)
            print(result, flush=True)
        xs, ys = sample_batch(held, config, 6)
        translator = Translator(model.generator, model.config, inference_mode="image_stats")
        save_png(image_grid(xs, translator(xs), ys), run / "heldout_image_stats.png")

    rows = ["| update | inference mode | held-out L1 | PSNR (dB) | SSIM |",
            "|---|---|---|---|---|"]
    for r in raw:
        rows.append(f"| {r['update']} | {r['mode']} | {r['l1']:.4f} | {r['psnr']:.2f} | "
                    f"{r['ssim']:.4f} |")
    steps = raw[0]["steps"]
    notes = (f"{HOLDOUT} facades pairs held out (seeded permutation, seed 0), trained on the "
             f"other {400 - HOLDOUT}; {args.image_size}x{args.image_size}, batch 1, "
             f"{steps} steps per run, seed {args.seed}; same weights scored in every mode "
             "through the Translator (float32; L1 on [-1, 1], PSNR and SSIM on [0, 1]). "
             "Training minutes per run: "
             + ", ".join(f"{r['update']} {r['minutes']}" for r in raw[::len(MODES)]) + ".")
    write_results(Path(args.results), "Update order and inference mode (facades, held out)",
                  "python -m experiments.update_and_inference " + " ".join(
                      sys.argv[1:] if argv is None else argv), rows, notes, raw)
    print("\n".join(rows))
    np.set_printoptions()
    return 0


if __name__ == "__main__":
    sys.exit(main())
