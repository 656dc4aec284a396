"""The reference run: held-out scores and pictures every 1,000 steps (docs/reference.md).

The run (label map -> facade on the built-in procedural set, 20,000 steps at 128x128;
a checkpoint every 1,000 steps):

    python -m pix2pix_tf train --out runs/reference_128 --image-size 128 --epochs 20 \\
        --steps-per-epoch 1000 --lr-schedule linear_decay --decay-epochs 10 \\
        --validate-every 1 --save-every 1 --keep-checkpoints 25 --seed 0 --verbose 2

then this script, which restores every checkpoint (and the seeded initialisation, step
0), scores it on 200 built-in pairs no run trains on (L1, PSNR, SSIM, and the semantic
score: a segmenter trained on the built-in train split's photos -> label maps, applied
to the generated photos), and draws docs/reference_steps.png, docs/reference_curves.png
and, with `--demo runs/demo` (the README's first command), the README's top picture:

    python -m experiments.reference --run runs/reference_128 --demo runs/demo

With `--data`, a run on other labels -> photo pairs trained with `--val-fraction`
(the CMP facades, whose images may not be shown) is scored on its own held-out pairs,
numbers only (no pictures); the segmenter is trained on the run's training part:

    python -m pix2pix_tf train --data ../shared/data/facades/train --direction BtoA \
        --val-fraction 0.1 --out runs/facades_ref_128 --image-size 128 --epochs 8 \
        --lr-schedule linear_decay --decay-epochs 4 --save-every 1 --keep-checkpoints 25 \
        --seed 0 --verbose 2
    python -m experiments.reference --run runs/facades_ref_128 \
        --data ../shared/data/facades/train --segmenter runs/segmenter_facades_128.keras \
        --results experiments/results/reference_facades.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SHOWN_STEPS = (0, 1000, 5000, 20000)


def _models(run: Path, steps: int):
    """`(step, model)` for the seeded initialisation and every checkpoint, in order."""
    import keras

    from pix2pix_tf import Pix2Pix, Pix2PixConfig, layout
    from pix2pix_tf.checkpoint import checkpoint_candidates, restore_training_state

    config = Pix2PixConfig.load(layout.config_path(run))
    keras.utils.set_random_seed(config.seed)  # train()'s initialisation: the same weights
    model = Pix2Pix(config)
    model.compile()
    yield 0, model
    for path, epoch in sorted(checkpoint_candidates(layout.checkpoints(run)),
                              key=lambda item: item[1]):
        restore_training_state(model, path)
        yield epoch * steps, model


def _figure_steps(pictures: dict, xs, ys, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def rgb(t):
        return np.clip((np.asarray(t, np.float32) + 1) / 2, 0, 1)

    rows, cols = len(xs), len(pictures) + 2
    fig, axes = plt.subplots(rows, cols, figsize=(1.45 * cols, 1.5 * rows + 0.2))
    titles = ["label map"] + [f"step {s:,}" for s in pictures] + ["target"]
    for r in range(rows):
        tiles = [xs[r]] + [p[r] for p in pictures.values()] + [ys[r]]
        for c, tile in enumerate(tiles):
            ax = axes[r, c]
            ax.imshow(rgb(tile), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
    fig.tight_layout(pad=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _figure_curves(rows: list[dict], ceiling: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in rows]
    panels = [("l1", "L1 (lower is better)"), ("psnr", "PSNR, dB"), ("ssim", "SSIM"),
              ("pixel_acc", "semantic: per-pixel accuracy")]
    fig, axes = plt.subplots(1, 4, figsize=(12, 2.6))
    for ax, (key, title) in zip(axes, panels):
        ax.plot(steps, [r[key] for r in rows], marker="o", markersize=3)
        if key in ceiling:
            ax.axhline(ceiling[key], color="grey", linestyle="--", linewidth=1,
                       label="real photos")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("training step", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _figure_top(xs, demo, final, ys, demo_steps: int, final_steps: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def rgb(t):
        return np.clip((np.asarray(t, np.float32) + 1) / 2, 0, 1)

    titles = ["input: label map", f"first command ({demo_steps:,} steps)",
              f"reference run ({final_steps:,} steps)", "target"]
    cols = len(xs)
    fig, axes = plt.subplots(4, cols, figsize=(1.75 * cols, 1.75 * 4 + 0.1))
    for c in range(cols):
        for r, tile in enumerate((xs[c], demo[c], final[c], ys[c])):
            ax = axes[r, c]
            ax.imshow(rgb(tile), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(titles[r], fontsize=8)
    fig.tight_layout(pad=0.3)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", default="runs/reference_128")
    p.add_argument("--demo", default=None, help="the README's first command's run (runs/demo)")
    p.add_argument("--segmenter", default="runs/segmenter_builtin_128.keras",
                   help="trained here (built-in train split) when the file is missing")
    p.add_argument("--data", default=None,
                   help="the run's --data (trained with --val-fraction): numbers only")
    p.add_argument("--docs", default="docs")
    p.add_argument("--results", default="experiments/results/reference.md")
    args = p.parse_args(argv)

    import keras
    import numpy as np

    from experiments.common import builtin_holdout, checkerboard, score
    from pix2pix_tf import Pix2PixConfig, layout
    from pix2pix_tf.data import builtin, sample_batch
    from pix2pix_tf.semantic import load_segmenter, semantic_scores, train_segmenter
    from pix2pix_tf.translator import Translator

    run = Path(args.run)
    config = Pix2PixConfig.load(layout.config_path(run))
    if args.data:  # the run's own split (train()'s split_fraction of the whole data)
        from pix2pix_tf.data import resolve_data

        train_part, held = resolve_data(args.data, config, "train").split_fraction(
            config.val_fraction)
        where = f"the {len(held)} pairs of {args.data} the run held out (--val-fraction)"
    else:
        train_part, held = builtin(config, "train"), builtin_holdout(config)
        where = f"{len(held)} built-in pairs no run trains on (seed 2,000,000)"
    if not Path(args.segmenter).exists():
        Path(args.segmenter).parent.mkdir(parents=True, exist_ok=True)
        train_segmenter(train_part, config, args.segmenter, classes=12 if args.data else 6)
    segmenter = load_segmenter(args.segmenter)
    ceiling = semantic_scores(segmenter, config, held)  # the real photos
    xs, ys = sample_batch(held, config, 4)

    rows, pictures = [], {}
    steps = config.steps_per_epoch or max(1, len(train_part) // config.batch_size)
    for step, model in _models(run, steps):
        translator = Translator(model.generator, config)
        keras.utils.set_random_seed(0)
        result = {"step": step, **score(translator, held, segmenter=segmenter),
                  **checkerboard(translator, held)}
        rows.append(result)
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()},
              flush=True)
        if step in SHOWN_STEPS and not args.data:
            pictures[step] = np.asarray(translator(xs))
    final_steps = rows[-1]["step"]
    pictures.setdefault(final_steps, np.asarray(Translator(model.generator, config)(xs)))

    docs = Path(args.docs)
    if not args.data:  # else numbers only: those images may not be shown
        _figures(args, pictures, rows, ceiling, xs, ys, final_steps, docs, held, segmenter)
    _table(args, argv, rows, ceiling, where)
    return 0


def _figures(args, pictures, rows, ceiling, xs, ys, final_steps, docs, held, segmenter):
    import numpy as np

    from experiments.common import checkerboard, score
    from pix2pix_tf.translator import Translator

    docs.mkdir(parents=True, exist_ok=True)
    _figure_steps(pictures, np.asarray(xs), np.asarray(ys), docs / "reference_steps.png")
    _figure_curves(rows, ceiling, docs / "reference_curves.png")
    if args.demo:
        demo = Translator.load(args.demo)
        demo_steps = demo.config.epochs * (demo.config.steps_per_epoch or 200)
        _figure_top(np.asarray(xs), np.asarray(demo(xs)), pictures[final_steps],
                    np.asarray(ys), demo_steps, final_steps, docs / "reference_builtin_128.png")
        rows.append({"step": demo_steps, "run": "first command",
                     **score(demo, held, segmenter=segmenter), **checkerboard(demo, held)})


def _table(args, argv, rows, ceiling, where):
    from experiments.common import write_results

    table = ["| run | step | L1 | PSNR (dB) | SSIM | semantic pixel acc. | class IoU | "
             "checkerboard energy |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r.get('run', 'reference')} | {r['step']:,} | {r['l1']:.4f} | "
                     f"{r['psnr']:.2f} | {r['ssim']:.4f} | {r['pixel_acc']:.3f} | "
                     f"{r['class_iou']:.3f} | {r['checkerboard']:.2e} |")
    table.append(f"| real photos (ceiling) | — | 0 | — | 1 | {ceiling['pixel_acc']:.3f} | "
                 f"{ceiling['class_iou']:.3f} | {rows[0]['checkerboard_targets']:.2e} |")
    notes = (f"Scored on {where}, "
             "inference mode image_stats, float32. Semantic: a segmenter trained on the "
             "run's training pairs' photos -> label maps, applied to the "
             "generated photos and compared with the input label map (the paper's "
             "FCN-score); the real photos' score is its ceiling. A label map leaves the "
             "look open (built-in set: brick colour, shutters, lit windows are drawn at "
             "random per picture), so L1/PSNR/SSIM against the one target reward the "
             "average look; the semantic score measures what the label map fixes.")
    write_results(Path(args.results), "The reference run, held out, at every checkpoint",
                  "python -m experiments.reference " + " ".join(
                      sys.argv[1:] if argv is None else argv), table, notes,
                  rows + [{"run": "real photos", **ceiling}])
    print("\n".join(table))


if __name__ == "__main__":
    sys.exit(main())
