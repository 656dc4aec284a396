"""Study: the self-paired tasks (`--data TASK:FOLDER`) trained briefly on real photos.

Two uses, one script:

- `--photos FOLDER` (e.g. the facades photos: `--photos ../shared/data/facades/train
  --ab-half left` takes the photo half of each A|B pair): each task is trained on the
  photos with 1/8 held out (`val_fraction`, seeded) and scored on the held-out photos
  with `pix2pix_tf.evaluate` (L1, PSNR, SSIM of RGB outputs). Results:
  `experiments/results/tasks.md` (+ .json). No pictures are committed.
- `--photos skimage`: the public-domain / CC0 colour photos that ship inside the
  scikit-image wheel (`pip install scikit-image`), cut into 256x256 tiles; two photos
  (the cat and the coffee cup) are held out and shown in `--figure` (the README's task
  figure: input | output | target per task, on the held-out tiles).

    python -m experiments.tasks --photos ../shared/data/facades/train --ab-half left \\
        --steps 500 --out runs/tasks_facades
    python -m experiments.tasks --photos skimage --steps 600 --out runs/tasks_skimage \\
        --figure docs/tasks_skimage_128.png --results experiments/results/tasks_skimage.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from pix2pix_tf.data.sample_photos import HELD_OUT, SKIMAGE_PHOTOS, write_sample_photos

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# name -> (task, config overrides)
ARMS = {
    "colorize (RGB)": ("colorize", {}),
    "colorize (Lab, paper)": ("colorize", {"color_space": "lab"}),
    "decolorize": ("decolorize", {}),
    "sketch": ("sketch", {}),
    "edges": ("edges", {}),
    "edges -> photo": ("edges", {"direction": "BtoA"}),
}
# scikit-image's shipped colour photos and their licences: pix2pix_tf.data.sample_photos.
SKIMAGE = SKIMAGE_PHOTOS
SHOWN = HELD_OUT  # held out, shown in the figure
TILE = 256


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_").lower()


def skimage_photos(out: Path, tile: int = TILE) -> tuple[Path, Path]:
    """`(train, shown)` folders of `tile` x `tile` tiles (default 256) of scikit-image's
    colour photos, cut at the photos' own scale."""
    return write_sample_photos(out, tile, SHOWN)


def photo_halves(folder: str, out: Path, half: str) -> Path:
    """The left or right half of every A|B image in `folder`, as plain photos."""
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(Path(folder).iterdir()):
        if f.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        img = Image.open(f).convert("RGB")
        w, h = img.size
        box = (0, 0, w // 2, h) if half == "left" else (w // 2, 0, 2 * (w // 2), h)
        target = out / f"{f.stem}.png"
        if not target.exists():
            img.crop(box).save(target)
    return out


def figure_rows(run: Path, spec: str):
    """One row per shown photo: input | output | target (uint8), through the run's
    compiled translator (RGB, whatever the colour space)."""
    import numpy as np

    from pix2pix_tf.data import make_dataset, resolve_data
    from pix2pix_tf.images import to_uint8
    from pix2pix_tf.translator import Translator

    translator = Translator.load(run)
    config = translator.config
    source = resolve_data(spec, config)
    x, y = next(iter(make_dataset(source, config, training=False, batch_size=len(source))))
    fake, target = translator(x), translator.to_rgb(x, y)
    return [np.concatenate([to_uint8(x)[i], to_uint8(fake)[i], to_uint8(target)[i]], axis=1)
            for i in range(len(x))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", required=True, help="folder of photos, or 'skimage'")
    p.add_argument("--ab-half", choices=("left", "right"), default=None,
                   help="the photos are A|B pairs: use this half")
    p.add_argument("--out", default="runs/tasks")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--val-fraction", type=float, default=0.125)
    p.add_argument("--arms", default=";".join(ARMS), help="arm names, separated by ';'")
    p.add_argument("--figure", default=None, help="write the shown tiles' grid here "
                   "(with --photos skimage)")
    p.add_argument("--results", default="experiments/results/tasks.md")
    p.add_argument("--figure-only", action="store_true",
                   help="redraw --figure from the runs already in --out (no training)")
    args = p.parse_args(argv)

    import numpy as np

    from experiments.common import write_results
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.evaluation import evaluate
    from pix2pix_tf.images import save_png

    out = Path(args.out)
    shown = None
    if args.photos == "skimage":
        photos, shown = skimage_photos(out / "photos")
        tiles = len([f for f in photos.iterdir() if f.is_file()])
        where = (f"scikit-image's colour photos ({', '.join(SKIMAGE)}), {tiles} training tiles "
                 f"of {TILE}x{TILE}; {' and '.join(SHOWN)} held out")
    elif args.ab_half:
        photos = photo_halves(args.photos, out / "photos", args.ab_half)
        where = f"the {args.ab_half} halves (photos) of {args.photos}"
    else:
        photos, where = Path(args.photos), args.photos
    raw, rows_by_arm = [], {}
    for name in args.arms.split(";"):
        task, overrides = ARMS[name]
        spec = f"{task}:{photos}"
        holdout = args.val_fraction if shown is None else None
        config = Pix2PixConfig(image_size=args.image_size, seed=args.seed, sample_every=0,
                               val_fraction=holdout, **overrides)
        config = config.replace(steps_per_epoch=args.steps, epochs=1)
        run = out / _slug(name)
        if args.figure_only:
            rows_by_arm[name] = figure_rows(run, f"{task}:{shown}")
            continue
        t0 = time.time()
        train(config, run, data=spec, verbose=2)
        minutes = round((time.time() - t0) / 60, 1)
        if shown is None:
            summary = evaluate(run, data=spec, val_fraction=holdout, seed=0,
                               out=run / "eval_holdout")
        else:
            summary = evaluate(run, data=f"{task}:{shown}", split="train",
                               out=run / "eval_shown")
            rows_by_arm[name] = figure_rows(run, f"{task}:{shown}")
        precision = json.loads((run / "config.json").read_text())["precision"]
        result = {"arm": name, "task": task, **overrides, "steps": args.steps,
                  "minutes": minutes, "precision": precision,
                  **{k: summary[k] for k in ("l1", "psnr", "ssim", "images")}}
        raw.append(result)
        print(result, flush=True)

    if raw:
        rows = ["| task | L1 | PSNR (dB) | SSIM | training minutes |", "|---|---|---|---|---|"]
        rows += [f"| {r['arm']} | {r['l1']:.4f} | {r['psnr']:.2f} | {r['ssim']:.4f} | "
                 f"{r['minutes']} |" for r in raw]
        scored = (f"{raw[0]['images']} held-out photos" if shown is None
                  else f"the {len(SHOWN)} held-out tiles")
        notes = (f"Data: {where}. {args.image_size}x{args.image_size}, batch 1, {args.steps} "
                 f"steps per task, seed {args.seed}, precision "
                 f"{', '.join(sorted({r['precision'] for r in raw}))}, the paper's jitter; "
                 f"scores on {scored} "
                 "(RGB outputs against RGB targets; L1 on [-1, 1], PSNR and SSIM on [0, 1]; "
                 "inference mode image_stats). L1/PSNR/SSIM compare tasks poorly with each "
                 "other (a "
                 "grayscale target is easier than a colour one); they are reference points for "
                 "the same task at the same budget.")
        write_results(Path(args.results), "Self-paired tasks, short runs",
                      "python -m experiments.tasks " + " ".join(
                          sys.argv[1:] if argv is None else argv), rows, notes, raw)
        print("\n".join(rows))
    if args.figure and rows_by_arm:
        grid = np.concatenate([np.concatenate(r, axis=1) for r in rows_by_arm.values()], axis=0)
        Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
        save_png(grid, args.figure)
        print(f"figure: {args.figure} (rows: {', '.join(rows_by_arm)}; per shown tile: "
              "input | output | target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
