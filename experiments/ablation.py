"""Study: the paper's ablation at this machine's scale (Isola et al., tables 1 and 2).

Objective: L1 only, cGAN only, L1 + cGAN (70x70 PatchGAN); and the PatchGAN's receptive
field with L1 + cGAN: 1x1 (PixelGAN), 16x16, 70x70, 286x286. Facades labels -> photo
(BtoA), 50 pairs held out (seeded), the same steps and seed for every arm. Scores on the
held-out pairs: L1, PSNR, SSIM, sharpness (high-frequency energy of outputs relative
to targets) and, with `--semantic SEGMENTER`, the FCN-style semantic score of the
generated photos against their input labels.

    python -m experiments.ablation --data ../shared/data/facades/train --image-size 128 \\
        --steps 1050 --out runs/ablation [--semantic runs/segmenter.keras]
    python -m experiments.ablation ... --score-only --semantic runs/segmenter.keras

Writes `experiments/results/ablation.md` (+ .json); the held-out grids are written
next to the runs (not committed: facades images are not redistributed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ARMS = {  # name -> config overrides
    "L1": {"lambda_gan": 0.0},
    "cGAN": {"lambda_l1": 0.0},
    "L1+cGAN (70x70)": {},
    "L1+cGAN PixelGAN 1x1": {"discriminator_layers": 0},
    "L1+cGAN 16x16": {"discriminator_layers": 1},
    "L1+cGAN 286x286": {"discriminator_layers": 5},
}


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_").lower()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder of facades A|B pairs")
    p.add_argument("--out", default="runs/ablation")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=1050)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arms", default=";".join(ARMS), help="arm names, separated by ';'")
    p.add_argument("--semantic", default=None, help="segmenter .keras (see "
                   "`python -m pix2pix_tf segmenter`)")
    p.add_argument("--score-only", action="store_true", help="score existing runs")
    p.add_argument("--results", default="experiments/results/ablation.md")
    args = p.parse_args(argv)

    import keras
    import numpy as np

    from experiments.common import HOLDOUT, facades_split, score, write_results
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.data import sample_batch
    from pix2pix_tf.images import image_grid, save_png
    from pix2pix_tf.translator import Translator

    segmenter = None
    if args.semantic:
        from pix2pix_tf.semantic import load_segmenter

        segmenter = load_segmenter(args.semantic)
    raw = []
    ceiling = None
    previous = {}  # --score-only keeps the training minutes of the run that trained
    results_json = Path(args.results).with_suffix(".json")
    if args.score_only and results_json.exists():
        import json

        previous = {r["arm"]: r.get("minutes") for r in json.loads(results_json.read_text())}
    for name in args.arms.split(";"):
        config = Pix2PixConfig(image_size=args.image_size, direction="BtoA", seed=args.seed,
                               sample_every=0, **ARMS[name])
        train_src, held = facades_split(args.data, config)
        epochs = max(1, round(args.steps / len(train_src)))
        config = config.replace(steps_per_epoch=len(train_src), epochs=epochs, save_every=epochs)
        run = Path(args.out) / _slug(name)
        minutes = previous.get(name)
        if not args.score_only:
            t0 = time.time()
            train(config, run, data=train_src, validation_data=held, verbose=2)
            minutes = round((time.time() - t0) / 60, 1)
        translator = Translator.load(run)
        keras.utils.set_random_seed(args.seed)
        result = score(translator, held, sharpness=True, segmenter=segmenter)
        if segmenter is not None and ceiling is None:
            from pix2pix_tf.semantic import semantic_scores

            ceiling = semantic_scores(segmenter, config, held)
        result.update(arm=name, steps=epochs * len(train_src), minutes=minutes)
        raw.append(result)
        print(result, flush=True)
        xs, ys = sample_batch(held, config, 6)
        save_png(image_grid(xs, translator(xs), ys), run / "heldout.png")

    head = "| arm | L1 | PSNR (dB) | SSIM | sharpness |"
    rule = "|---|---|---|---|---|"
    if segmenter is not None:
        head += " per-pixel acc. | per-class acc. | class IoU |"
        rule += "---|---|---|"
    rows = [head, rule]
    for r in raw:
        row = (f"| {r['arm']} | {r['l1']:.4f} | {r['psnr']:.2f} | {r['ssim']:.4f} | "
               f"{r['sharpness']:.3f} |")
        if segmenter is not None:
            row += f" {r['pixel_acc']:.3f} | {r['class_acc']:.3f} | {r['class_iou']:.3f} |"
        rows.append(row)
    if ceiling is not None:
        rows.append(f"| real photos (ceiling) | – | – | – | 1.000 | {ceiling['pixel_acc']:.3f} | "
                    f"{ceiling['class_acc']:.3f} | {ceiling['class_iou']:.3f} |")
    notes = (f"{HOLDOUT} facades pairs held out (seeded, seed 0), labels -> photo, "
             f"{args.image_size}x{args.image_size}, batch 1, {raw[0]['steps']} steps per arm, "
             f"seed {args.seed}, inference mode image_stats. Training minutes per arm (2 cores, "
             "other work running): " + ", ".join(f"{r['arm']} {r['minutes']}" for r in raw
                                                 if r.get("minutes") is not None) + ".")
    write_results(Path(args.results), "The paper's ablation at this machine's scale",
                  "python -m experiments.ablation " + " ".join(
                      sys.argv[1:] if argv is None else argv), rows, notes,
                  raw + ([{"arm": "real photos", **ceiling}] if ceiling else []))
    print("\n".join(rows))
    del np
    return 0


if __name__ == "__main__":
    sys.exit(main())
