"""Study: which full-integer recipe gives the paper-size generator >= 30 dB, dependably?

For each trained generator (`--models`) and each candidate recipe, the `.tflite` is
converted in its own process (peak RSS read with os.wait4), then scored against the
Keras generator on 16 held-out images that no candidate calibrated on (PSNR in [-1, 1]
units, as the export's bar), sized, and timed on 2 threads (XNNPACK).

Candidates (calibration images are real training inputs, never the 16 scored ones; all
with uint8 pixel input/output):
- `int8_first32`: the TFLite converter's full int8 on the first 32 images in sorted
  order (the export's recipe before this study);
- `int8_random32`: the same converter on 32 images drawn at random (seeded);
- `int8_shuffled128`: the same converter on 128 random images;
- `aeq_int8`: the export's recipe after this study (`export/int8.py`): LiteRT's own
  quantizer (ai-edge-quantizer, static int8), 32 random images, on the graph written
  with ops it quantises (LeakyReLU as maximum, transposed convolutions native), so every
  op is integer.

Measured earlier and dropped (numbers in `experiments/results/int8.md`): the
converter's 16x8 mode (refused: DEPTH_TO_SPACE has no 16x8 kernel), ai-edge-quantizer
on the phase-form graph (LEAKY_RELU and DEPTH_TO_SPACE left float, so not full integer),
its selective int16 recipe for the worst layers (no gain), and a typical-range pass on
the normalisation's rsqrt (no effect; commit dc55c16).

    python -m experiments.int8 --models runs/int8/facades400,runs/int8/facades2000,\\
        runs/int8/mobile/paper,runs/int8/facades400_AtoB --data ../shared/data/facades/train

Writes `experiments/results/int8.md` (+ .json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CANDIDATES = ("int8_first32", "int8_random32", "int8_shuffled128", "aeq_int8")
VERIFY = 16


def _images(model: str, data: str):
    """All the model's inputs from `data` (no jitter), float [-1, 1]."""
    from pix2pix_tf.data import make_dataset, resolve_data
    from pix2pix_tf.export.common import load

    _, config = load(model)
    source = resolve_data(data, config, "train")
    batches = [x.numpy() for x, _ in make_dataset(source, config, training=False,
                                                  batch_size=50)]
    return np.concatenate(batches)


def split(n: int, seed: int = 0):
    """(verify indices, shuffled calibration order) — disjoint."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[:VERIFY]), order[VERIFY:]


def convert(candidate: str, model: str, calibration: str, out: str) -> None:
    """One candidate's conversion (run in a child process)."""
    from pix2pix_tf.export.common import load
    from pix2pix_tf.export.tflite import export_tflite

    generator, config = load(model)
    calib = np.load(calibration)
    recipe = "int8" if candidate == "aeq_int8" else "converter_int8"
    export_tflite(generator, out, recipe, calib, "uint8", config)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", required=True, help="comma-separated run directories")
    p.add_argument("--data", required=True)
    p.add_argument("--candidates", default=",".join(CANDIDATES))
    p.add_argument("--out", default="runs/int8/study")
    p.add_argument("--results", default="experiments/results/int8")
    p.add_argument("--child", nargs=4, metavar=("CANDIDATE", "MODEL", "CALIB", "OUT"),
                   help=argparse.SUPPRESS)
    p.add_argument("--retime", nargs="+", metavar="RESULTS_JSON",
                   help="only re-time the .tflite files of earlier results (a quiet machine) "
                        "and write them together to --results")
    args = p.parse_args()
    if args.child:
        convert(*args.child)
        return
    if args.retime:
        return retime(args)

    from pix2pix_tf.export.common import load, median_latency_ms, psnr_db
    from pix2pix_tf.export.tflite import TFLiteRunner

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for model in args.models.split(","):
        images = _images(model, args.data)
        verify_idx, calib_order = split(len(images))
        check = images[verify_idx]
        generator, _ = load(model)
        reference = np.asarray(generator(check, training=False))
        name = Path(model).name
        for candidate in args.candidates.split(","):
            take = (np.setdiff1d(np.arange(len(images)), verify_idx)[:32]
                    if candidate == "int8_first32" else
                    calib_order[:32] if candidate in ("int8_random32", "aeq_int8")
                    else calib_order[:128])
            calib = out / f"{name}_{candidate}_calib.npy"
            np.save(calib, images[take])
            path = out / f"{name}_{candidate}.tflite"
            start = time.time()
            proc = subprocess.Popen(
                [sys.executable, "-m", "experiments.int8", "--models", model, "--data",
                 args.data, "--child", candidate, model,
                 str(calib), str(path)], stderr=subprocess.PIPE, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            err = proc.stderr.read()
            calib.unlink()
            row = {"model": name, "candidate": candidate,
                   "peak_rss_mb": round(usage.ru_maxrss / 1024),
                   "convert_s": round(time.time() - start, 1)}
            if os.waitstatus_to_exitcode(status) != 0:
                row["error"] = (err.strip().splitlines() or ["?"])[-1][:300]
            else:
                runner = TFLiteRunner(path, 2)
                got = runner(check)
                row.update(size_mb=round(path.stat().st_size / 1e6, 1),
                           psnr_db=round(psnr_db(reference, got), 2),
                           latency_ms=round(median_latency_ms(runner, check, 7), 1))
            rows.append(row)
            print(json.dumps(row), flush=True)
    write(args, rows)


def retime(args) -> None:
    """Latency again for every kept .tflite (conversions ran beside other jobs)."""
    from pix2pix_tf.export.common import median_latency_ms
    from pix2pix_tf.export.tflite import TFLiteRunner

    rows, out = [], Path(args.out)
    for path in args.retime:
        rows += json.loads(Path(path).read_text())["rows"]
    for row in rows:
        path = out / f"{row['model']}_{row['candidate']}.tflite"
        if "error" not in row and path.exists():
            runner = TFLiteRunner(path, 2)
            x = np.zeros((1, *runner.shape[1:]), np.float32)
            row["latency_ms"] = round(median_latency_ms(runner, x, 9), 1)
            print(json.dumps(row), flush=True)
    write(args, rows)


def write(args, rows: list[dict]) -> None:
    from experiments.common import machine

    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.with_suffix(".json").write_text(json.dumps(
        {"machine": machine(), "models": args.models, "data": args.data, "rows": rows},
        indent=2))
    lines = [f"Machine: {machine()}. Scored on {VERIFY} held-out images per model (never "
             "calibrated on); latency: median of 7, batch 1, 2 threads (XNNPACK).", "",
             "| model | candidate | size (MB) | PSNR vs Keras (dB) | latency (ms) | "
             "peak RSS (MB) | ≥ 30 dB |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        ok = "error: " + r["error"] if "error" in r else ("yes" if r["psnr_db"] >= 30 else "no")
        lines.append(f"| {r['model']} | {r['candidate']} | {r.get('size_mb', '–')} | "
                     f"{r.get('psnr_db', '–')} | {r.get('latency_ms', '–')} | "
                     f"{r['peak_rss_mb']} | {ok} |")
    results.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
