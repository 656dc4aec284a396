"""Study: does `precision="auto"` keep held-out quality? (the evidence for the default)

Facades labels -> photo (BtoA), 50 pairs held out (seeded), 128x128, batch 1, the same
steps, data order and seeds for float32 and for `auto` (on this CPU with AVX512_BF16:
mixed_bfloat16). Scores: held-out L1, PSNR, SSIM and sharpness, inference mode
image_stats. A run directory that already holds a finished run with the same options
(e.g. the float32 runs of `experiments.update_and_inference`, linked in) is scored
without retraining.

    python -m experiments.precision --data ../shared/data/facades/train --image-size 128 \\
        --steps 2100 --seeds 0,1 --out runs/precision

Writes `experiments/results/precision.md` (+ .json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ARMS = ("float32", "auto")


def _finished(run: Path, config) -> bool:
    """A finished run with the same options (precision compared once resolved)."""
    try:
        recorded = json.loads((run / "config.json").read_text())
    except (OSError, ValueError):
        return False
    keys = ("precision", "seed", "epochs", "steps_per_epoch", "update", "direction")
    return ((run / "generator.keras").exists()
            and all(recorded.get(k) == getattr(config, k) for k in keys)
            and recorded.get("image_size") == list(config.image_size))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder of facades A|B pairs")
    p.add_argument("--out", default="runs/precision")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=2100)
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--arms", default=",".join(ARMS))
    p.add_argument("--results", default="experiments/results/precision.md")
    args = p.parse_args(argv)

    import numpy as np

    from experiments.common import HOLDOUT, facades_split, score, write_results
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.precision import resolve_precision
    from pix2pix_tf.translator import Translator

    raw = []
    # Re-scoring keeps the training minutes recorded when the runs trained.
    results_json = Path(args.results).with_suffix(".json")
    previous = ({(r["arm"], r["seed"]): r.get("minutes")
                 for r in json.loads(results_json.read_text())}
                if results_json.exists() else {})
    for seed in (int(s) for s in args.seeds.split(",")):
        for arm in args.arms.split(","):
            policy, why = resolve_precision(arm)
            config = Pix2PixConfig(image_size=args.image_size, direction="BtoA", seed=seed,
                                   sample_every=0, precision=policy)
            train_src, held = facades_split(args.data, config)
            epochs = max(1, round(args.steps / len(train_src)))
            config = config.replace(steps_per_epoch=len(train_src), epochs=epochs,
                                    save_every=epochs)
            run = Path(args.out) / f"{arm}_seed{seed}"
            minutes = previous.get((arm, seed))
            if _finished(run, config):
                print(f"{run}: finished run with the same options; scoring it", flush=True)
            else:
                t0 = time.time()
                train(config, run, data=train_src, validation_data=held, verbose=2)
                minutes = round((time.time() - t0) / 60, 1)
            result = score(Translator.load(run), held, sharpness=True)
            result.update(arm=arm, policy=policy, why=why, seed=seed,
                          steps=epochs * len(train_src), minutes=minutes)
            raw.append(result)
            print(result, flush=True)

    rows = ["| precision | seed | held-out L1 | PSNR (dB) | SSIM | sharpness |",
            "|---|---|---|---|---|---|"]
    for r in raw:
        rows.append(f"| {r['arm']} ({r['policy']}) | {r['seed']} | {r['l1']:.4f} | "
                    f"{r['psnr']:.2f} | {r['ssim']:.4f} | {r['sharpness']:.3f} |")
    for arm in args.arms.split(","):
        mine = [r for r in raw if r["arm"] == arm]
        rows.append(f"| **{arm} mean** | {len(mine)} seeds | "
                    + " | ".join(f"{np.mean([r[k] for r in mine]):.{d}f}"
                                 for k, d in (("l1", 4), ("psnr", 2), ("ssim", 4),
                                              ("sharpness", 3))) + " |")
    notes = (f"{HOLDOUT} facades pairs held out (seeded permutation, seed 0), labels -> photo, "
             f"{args.image_size}x{args.image_size}, batch 1, {raw[0]['steps']} steps per run, "
             "simultaneous updates, inference mode image_stats. auto resolved to: "
             + "; ".join(sorted({f"{r['policy']} ({r['why']})" for r in raw
                                 if r["arm"] == "auto"}))
             + ". Scored with the generators loaded from their files (float32 inference, "
             "as exports). Training minutes (2 cores, other work running; runs made by "
             "another study are not listed): "
             + ", ".join(f"{r['arm']} seed {r['seed']} {r['minutes']}"
                         for r in raw if r["minutes"] is not None) + ".")
    write_results(Path(args.results), "Precision: auto vs float32 (held-out quality)",
                  "python -m experiments.precision " + " ".join(
                      sys.argv[1:] if argv is None else argv), rows, notes, raw)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
