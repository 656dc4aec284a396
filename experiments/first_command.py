"""Study: which defaults make the README's first command draw no streaks.

The first command trains 5 epochs (1,000 steps) at 128x128 on the built-in set. Each arm
here trains from the same seed for about the same minutes on this machine and is scored on
200 built-in pairs no run trains on: `metrics.checkerboard_energy` of the outputs against
the targets' own (the period-2 pattern a transposed convolution draws), L1 / PSNR / SSIM,
and minutes. The paper's decoder (transposed convolutions) stays one flag away
(`--preset paper`).

    python -m experiments.first_command --out runs/first_command

Writes `experiments/results/first_command.md` (+ .json) and `held-out.png` grids next to
the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ARMS = {  # name -> config overrides (128x128, batch 1, seed 0)
    "transpose, lr 2e-4, 5 epochs (old default)": {"upsample": "transpose", "epochs": 5},
    "resize, lr 2e-4, 5 epochs": {"upsample": "resize", "epochs": 5},
    "resize, lr 4e-4, 5 epochs": {"upsample": "resize", "epochs": 5, "learning_rate": 4e-4},
    "transpose, ngf 32, 12 epochs": {"upsample": "transpose", "generator_filters": 32,
                                     "epochs": 12},
    "resize, ngf 32, 10 epochs": {"upsample": "resize", "generator_filters": 32,
                                  "epochs": 10},
}


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_").lower()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/first_command")
    p.add_argument("--arms", default=";".join(ARMS), help="arm names, separated by ';'")
    p.add_argument("--score-only", action="store_true")
    p.add_argument("--results", default="experiments/results/first_command.md")
    args = p.parse_args(argv)

    import keras

    from experiments.common import builtin_holdout, checkerboard, score, write_results
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.data import sample_batch
    from pix2pix_tf.images import image_grid, save_png
    from pix2pix_tf.translator import Translator

    results_json = Path(args.results).with_suffix(".json")
    previous = {}
    if results_json.exists():
        previous = {r["arm"]: r for r in json.loads(results_json.read_text())}
    raw = []
    for name in args.arms.split(";"):
        config = Pix2PixConfig(image_size=128, seed=0, **ARMS[name])
        run = Path(args.out) / _slug(name)
        minutes = previous.get(name, {}).get("minutes")
        if not args.score_only:
            t0 = time.time()
            train(config, run, verbose=2)
            minutes = round((time.time() - t0) / 60, 1)
        translator = Translator.load(run)
        held = builtin_holdout(translator.config)
        keras.utils.set_random_seed(0)
        result = {"arm": name, **score(translator, held), **checkerboard(translator, held),
                  "steps": translator.config.epochs * 200, "minutes": minutes}
        raw.append(result)
        print(result, flush=True)
        xs, ys = sample_batch(held, translator.config, 4)
        save_png(image_grid(xs, translator(xs), ys), run / "held-out.png")

    rows = ["| arm | steps | minutes | checkerboard energy (targets) | L1 | PSNR (dB) | SSIM |",
            "|---|---|---|---|---|---|---|"]
    for r in raw:
        rows.append(f"| {r['arm']} | {r['steps']} | {r['minutes']} | {r['checkerboard']:.2e} "
                    f"({r['checkerboard_targets']:.2e}) | {r['l1']:.4f} | {r['psnr']:.2f} | "
                    f"{r['ssim']:.4f} |")
    notes = ("128x128, batch 1, seed 0, built-in train split (200 pairs); scored on 200 "
             "built-in pairs no run trains on (seed 2,000,000), inference mode image_stats. "
             "Minutes: training wall time on this 2-core machine, one arm at a time.")
    write_results(Path(args.results), "The first command's defaults",
                  "python -m experiments.first_command " + " ".join(
                      sys.argv[1:] if argv is None else argv), rows, notes, raw)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
