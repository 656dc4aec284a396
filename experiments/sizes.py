"""Study: images larger than the model -- resize vs native vs tiled (`translate --size`).

Two self-paired tasks whose target is computable at any size (photo -> pencil sketch, a
dodge blend with a 5-pixel blur, and the paper's Lab colourisation, whose target is the
photo itself) are trained briefly at
`--image-size` on tiles of scikit-image's CC0 / public-domain colour photos cut at their
own scale (`experiments.tasks.skimage_photos`; chelsea and coffee held out). The held-out
photos, at their own size and upscaled 2x (Lanczos), are then translated each way:

- resize: the image resized to the model's size and the output back (today's default);
- native: the whole image at its own size, reflect-padded to a multiple of 2**depth;
- tiled: tiles at the model's size, 1/4 overlap, raised-cosine cross-fade;
- tiles, no blend: tiles with no overlap and no cross-fade (what blending avoids).

Measured per mode: L1 against the task's target at the image's size (on [-1, 1]);
the seam ratio, the mean absolute step across tile edges over that elsewhere (1: no
seams; resize and native are measured on the tiled mode's edges, a content baseline);
seconds per image (one warm-up call per mode first). And the native activation-memory
estimate against the peak memory measured in a fresh process.

    nice -n 5 python -m experiments.sizes --out runs/sizes --figure docs/sizes.png \\
        --results experiments/results/sizes.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# name -> (self-paired task, config overrides). "edges" (Canny) is there to be asked for:
# at this budget its model draws a blank white page (as in experiments/results/
# tasks_skimage.md), which makes every mode score the same, so it is not a default arm.
ARMS = {"sketch": ("sketch", {}), "colorize (Lab)": ("colorize", {"color_space": "lab"}),
        "edges": ("edges", {})}
DEFAULT_ARMS = ("sketch", "colorize (Lab)")
HELD_OUT = ("chelsea.png", "coffee.png")  # experiments.tasks.SHOWN: never trained on
MODES = ("resize", "native", "tiled", "tiles, no blend")
OVERLAP = 0.25


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_").lower()


def photos() -> dict:
    """The held-out photos at their size and upscaled 2x (Lanczos), uint8 RGB."""
    import numpy as np
    import skimage
    from PIL import Image

    data = Path(skimage.__file__).parent / "data"
    out = {}
    for name in HELD_OUT:
        img = Image.open(data / name).convert("RGB")
        out[f"{Path(name).stem} {img.height}x{img.width}"] = np.asarray(img)
        big = img.resize((2 * img.width, 2 * img.height), Image.LANCZOS)
        out[f"{Path(name).stem} 2x {big.height}x{big.width}"] = np.asarray(big)
    return out


def target(task: str, rgb):
    """The task's target at the photo's own size, uint8 RGB."""
    import numpy as np
    import tensorflow as tf

    from pix2pix_tf.data.tasks import canny_edges, pencil_sketch

    if task in ("edges", "sketch"):
        make = canny_edges if task == "edges" else pencil_sketch
        return np.repeat(make(tf.constant(rgb)).numpy(), 3, axis=-1)
    return rgb


def seam_lines(height: int, width: int, tile, overlap: float):
    """Tile edges (in image rows and columns) of `sizes.tiled_apply`'s layout: the
    lines between pixel k-1 and k where a tile starts or ends inside the image."""
    from pix2pix_tf.sizes import tile_grid

    rows, cols, (ph, pw) = tile_grid(height, width, tile, overlap)
    top, left = (ph - height) // 2, (pw - width) // 2

    def lines(starts, size, offset, length):
        # Every tile start and end, in image coordinates; the image's own borders and
        # the padding are no tile edges.
        edges = {s - offset for s in starts} | {s + size - offset for s in starts}
        return sorted(e for e in edges if 0 < e < length)

    return lines(rows, tile[0], top, height), lines(cols, tile[1], left, width)


def seam_ratio(img, rows: list[int], cols: list[int]) -> float:
    """Mean |step| across the given row/column lines over the mean |step| across all
    other lines (uint8 image; 1.0 = tile edges look like the rest)."""
    import numpy as np

    x = img.astype(np.float64)
    dy = np.abs(np.diff(x, axis=0)).mean(axis=(1, 2))  # dy[k-1]: the line k-1 | k
    dx = np.abs(np.diff(x, axis=1)).mean(axis=(0, 2))
    on_y, on_x = np.zeros(dy.shape, bool), np.zeros(dx.shape, bool)
    on_y[[r - 1 for r in rows]] = True
    on_x[[c - 1 for c in cols]] = True
    seam = np.concatenate([dy[on_y], dx[on_x]])
    rest = np.concatenate([dy[~on_y], dx[~on_x]])
    return float(seam.mean() / max(rest.mean(), 1e-9)) if len(seam) else float("nan")


def border_l1_ratio(out, tgt, rows: list[int], cols: list[int], band: int = 4) -> float:
    """L1 against the target of the pixels within `band` of a tile edge over that of
    the other pixels (1.0: tile edges are translated as well as tile interiors)."""
    import numpy as np

    near = np.zeros(out.shape[:2], bool)
    for r in rows:
        near[max(0, r - band):r + band] = True
    for c in cols:
        near[:, max(0, c - band):c + band] = True
    err = np.abs(out.astype(np.float64) - tgt).mean(axis=-1)
    return float(err[near].mean() / max(err[~near].mean(), 1e-9)) if near.any() else float("nan")


def translate(translator, img, mode: str):
    """One image through the translator in `mode` (uint8 RGB out)."""
    from pix2pix_tf.sizes import tiled_apply
    from pix2pix_tf.translator import to_pixels

    if mode == "tiles, no blend":  # the contrast: hard tile edges
        x = translator.preprocessor.prepare_unfitted(img).numpy()
        return to_pixels(tiled_apply(x, lambda t: translator(t).numpy(),
                                     translator.preprocessor.image_size, 0.0, window="flat"))
    return translator.translate_image(img, layout="single", size=mode)


def _status_gb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS: now, VmHWM: peak) in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024 / 1e9
    raise RuntimeError(f"no {field} in /proc/self/status")


def probe_memory(run: str, height: int, width: int, mode: str) -> None:
    """(In a fresh process) the peak resident memory added by translating one random
    image of this size in `mode`, after a warm-up on a small one (the peak is reset
    through /proc/self/clear_refs first); prints JSON with the native estimate."""
    import numpy as np

    from pix2pix_tf.translator import Translator

    translator = Translator.load(run, memory_limit_gb=1e3)
    estimate = translator.native_memory_gb(height, width)
    img = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    translator.translate_image(img[:160, :200], size=mode)  # traced and compiled
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _status_gb("VmRSS")
    translator.translate_image(img, size=mode)
    print(json.dumps({"mode": mode, "extra_gb": _status_gb("VmHWM") - before,
                      "estimate_gb": estimate}))


def _probe(run: Path, height: int, width: int, mode: str) -> dict:
    r = subprocess.run([sys.executable, "-m", "experiments.sizes", "--probe", str(run),
                        str(height), str(width), mode], capture_output=True, text=True,
                       check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads(r.stdout.strip().splitlines()[-1])


def figure(rows: list[list], path: Path) -> None:
    """Rows of uint8 panels side by side, saved as a palette PNG (small enough for the
    README)."""
    import numpy as np
    from PIL import Image

    from pix2pix_tf.atomic import atomic_path

    gap = 4
    lines = []
    for panels in rows:
        h = panels[0].shape[0]
        sep = np.full((h, gap, 3), 255, np.uint8)
        line = [p for panel in panels for p in (panel, sep)][:-1]
        lines.append(np.concatenate(line, axis=1))
        lines.append(np.full((gap, lines[-1].shape[1], 3), 255, np.uint8))
    grid = np.concatenate(lines[:-1], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Image.fromarray(grid).quantize(256, method=Image.Quantize.MEDIANCUT).save(
            tmp, format="PNG", optimize=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/sizes")
    p.add_argument("--image-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arms", default=";".join(DEFAULT_ARMS),
                   help=f"arm names ({', '.join(ARMS)}), separated by ';'")
    p.add_argument("--figure", default=None, help="write input | resize | native | tiled here")
    p.add_argument("--results", default="experiments/results/sizes.md")
    p.add_argument("--retrain", action="store_true", help="train again over existing runs")
    p.add_argument("--probe", nargs=4, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.probe:
        run, h, w, mode = args.probe
        probe_memory(run, int(h), int(w), mode)
        return 0

    import numpy as np

    from experiments.common import write_results
    from experiments.tasks import SKIMAGE, skimage_photos
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.translator import Translator

    out = Path(args.out)
    load_before = os.getloadavg()[0]  # the timings depend on what else this machine runs
    train_dir, _ = skimage_photos(out / "photos", tile=args.image_size)
    images = photos()
    size = (args.image_size, args.image_size)
    raw, table, shown = [], [], []
    memory = {}
    for arm in args.arms.split(";"):
        task, overrides = ARMS[arm]
        run = out / _slug(arm)
        config = Pix2PixConfig(image_size=args.image_size, seed=args.seed, sample_every=0,
                               **overrides).replace(steps_per_epoch=args.steps, epochs=1)
        t0 = time.time()
        if args.retrain or not (run / "generator.keras").exists():
            shutil.rmtree(run, ignore_errors=True)  # a fresh run (ours, under --out)
            train(config, run, data=f"{task}:{train_dir}", verbose=2)
        minutes = (time.time() - t0) / 60
        translator = Translator.load(run, memory_limit_gb=1e3)
        warm = next(iter(images.values()))[:150, :200]
        for mode in MODES:  # compile each path once before timing
            translate(translator, warm, mode)
        for name, img in images.items():
            tgt = target(task, img)
            rows, cols = seam_lines(*img.shape[:2], size, OVERLAP)
            hard = seam_lines(*img.shape[:2], size, 0.0)
            for mode in MODES:
                t1 = time.perf_counter()
                y = translate(translator, img, mode)
                seconds = time.perf_counter() - t1
                lines = hard if mode == "tiles, no blend" else (rows, cols)
                result = {
                    "arm": arm, "image": name, "mode": mode, "seconds": seconds,
                    "l1": float(np.abs(y.astype(np.float64) - tgt).mean() / 127.5),
                    "seam_ratio": seam_ratio(y, *lines),
                    "border_l1_ratio": border_l1_ratio(y, tgt, *lines),
                    "target_seam_ratio": seam_ratio(tgt, *lines),
                    "train_minutes": round(minutes, 2)}
                raw.append(result)
                print(result, flush=True)
                if name.startswith("coffee") and "2x" not in name and mode != "tiles, no blend":
                    shown.append((arm, mode, img, y))
        largest = list(images)[-1]
        native = _probe(run, *images[largest].shape[:2], "native")
        tiled = _probe(run, *images[largest].shape[:2], "tiled")
        memory[arm] = {"photo": largest, "estimate_gb": native["estimate_gb"],
                       "native_extra_gb": native["extra_gb"],
                       "tiled_extra_gb": tiled["extra_gb"],
                       "estimate_4000x3000_gb": translator.native_memory_gb(3000, 4000)}
        print(arm, memory[arm], flush=True)

    # --- the table: per arm and mode, means over the images ---------------------------------
    table = ["| task | mode | L1 vs target | seam ratio (target's) | border / interior L1 "
             "| s / image |", "|---|---|---|---|---|---|"]
    summary = {}
    for arm in dict.fromkeys(r["arm"] for r in raw):
        for mode in MODES:
            rs = [r for r in raw if r["arm"] == arm and r["mode"] == mode]
            m = {k: float(np.mean([r[k] for r in rs]))
                 for k in ("l1", "seam_ratio", "target_seam_ratio", "border_l1_ratio",
                           "seconds")}
            summary[(arm, mode)] = m
            table.append(f"| {arm} | {mode} | {m['l1']:.4f} | {m['seam_ratio']:.2f} "
                         f"({m['target_seam_ratio']:.2f}) | {m['border_l1_ratio']:.2f} | "
                         f"{m['seconds']:.2f} |")
    per_image = ["", "Per image (L1 vs target / seam ratio / seconds):", "",
                 "| task | image | " + " | ".join(MODES) + " |",
                 "|---|---|" + "---|" * len(MODES)]
    for arm in dict.fromkeys(r["arm"] for r in raw):
        for name in images:
            cells = []
            for mode in MODES:
                r = next(r for r in raw if (r["arm"], r["image"], r["mode"]) == (arm, name, mode))
                cells.append(f"{r['l1']:.4f} / {r['seam_ratio']:.2f} / {r['seconds']:.2f}")
            per_image.append(f"| {arm} | {name} | " + " | ".join(cells) + " |")
    mem_rows = ["", "Activation memory: native's estimate (`Translator.native_memory_gb`: "
                "the float32 tensors live at once at the padded size, plus one layer's "
                "scratch, plus the image's copies on either side of the network) against "
                "the peak resident memory added by translating the image in a fresh process "
                "(after a warm-up on a small image; peak reset "
                "through /proc/self/clear_refs), native and tiled:", "",
                "| task | image | native estimate (GB) | native measured (GB) | "
                "tiled measured (GB) | native estimate at 4000x3000 (GB) |",
                "|---|---|---|---|---|---|"]
    for arm, m in memory.items():
        mem_rows.append(f"| {arm} | {m['photo']} | {m['estimate_gb']:.2f} | "
                        f"{m['native_extra_gb']:.2f} | {m['tiled_extra_gb']:.2f} | "
                        f"{m['estimate_4000x3000_gb']:.1f} |")
    arms = list(dict.fromkeys(r["arm"] for r in raw))
    best = {arm: min(("resize", "native", "tiled"), key=lambda mode: summary[(arm, mode)]["l1"])
            for arm in arms}
    def against_resize(arm: str, mode: str) -> str:
        m, r = summary[(arm, mode)], summary[(arm, "resize")]
        return (f"{mode} {100 * (m['l1'] / r['l1'] - 1):+.0f}% at "
                f"{m['seconds'] / r['seconds']:.0f}x the time")

    relative = "; ".join(f"{arm}: " + ", ".join(against_resize(arm, mode)
                                                for mode in ("native", "tiled"))
                         for arm in arms)
    precision = json.loads((out / _slug(arms[0]) / "config.json").read_text())["precision"]
    notes = (
        f"Models: {args.image_size}x{args.image_size} U-Net (the paper's, "
        f"depth {Pix2PixConfig(image_size=args.image_size).unet_depth}), {args.steps} steps, "
        f"batch 1, seed {args.seed}, precision {precision}, trained on "
        f"{args.image_size}x{args.image_size} tiles "
        f"cut at their own scale from scikit-image's photos ({', '.join(SKIMAGE)}), "
        f"{' and '.join(HELD_OUT)} held out. Scored on the held-out photos at their own "
        "size and upscaled 2x (Lanczos): the output at the photo's size against the task's "
        "target at that size (sketch: `pix2pix_tf.data.tasks.pencil_sketch` of the photo; "
        "colorize: the photo), L1 on [-1, 1], float32 inference, inference mode "
        "image_stats. Tiled: "
        f"overlap {OVERLAP} of the tile, raised-cosine cross-fade. Seam ratio: mean "
        "absolute step across tile edges / across every other row and column line "
        "(resize and native: on the tiled mode's edges, where they have none; in "
        "brackets the target's own ratio on the same lines). Border / interior L1: L1 "
        "against the target within 4 pixels of a tile edge / elsewhere. Seconds: one image, one "
        "call, after one warm-up call per mode, on this shared 2-core CPU (load average "
        f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: other "
        "work shared the cores, so the seconds are rough). Means over the 4 images. "
        "Lowest mean L1 of resize / native / tiled: "
        + "; ".join(f"{arm}: {mode}" for arm, mode in best.items())
        + f". Mean L1 against resize's: {relative}.")
    command = "python -m experiments.sizes " + " ".join(sys.argv[1:] if argv is None else argv)
    write_results(Path(args.results), "Images larger than the model: resize, native, tiled",
                  command, table + per_image + mem_rows, notes,
                  {"results": raw, "memory": memory})
    print("\n".join(table + per_image + mem_rows))

    if args.figure and shown:
        # input | resize | native | tiled, per task, a 256x256 crop at full resolution.
        from pix2pix_tf.data.tasks import grayscale

        rows = []
        for arm in dict.fromkeys(a for a, *_ in shown):
            panels = None
            for a, _mode, img, y in shown:
                if a != arm:
                    continue
                top, left = 60, 200
                crop = (slice(top, top + 256), slice(left, left + 256))
                if panels is None:  # the input as the model takes it
                    x = img if ARMS[arm][0] != "colorize" else np.repeat(
                        grayscale(img).numpy(), 3, -1)
                    panels = [x[crop]]
                panels.append(y[crop])
            rows.append(panels)
        figure(rows, Path(args.figure))
        print(f"figure: {args.figure} ({os.path.getsize(args.figure) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
