"""The mobile preset against the paper generator: int8 size, latency and quality.

    python -m benchmarks.mobile --data ../shared/data/facades/train [--steps 400]

Trains both for the same steps on the same pairs (the last --holdout pairs are held
out), scores them on the held-out pairs (L1, PSNR, SSIM against the real targets),
exports each to an int8 `.tflite` and times it on 2 threads.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=None, help="default: the built-in dataset")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--holdout", type=int, default=50)
    p.add_argument("--out", default=None)
    args = p.parse_args()

    from benchmarks.common import emit, machine, print_table
    from pix2pix_tf import Pix2Pix, Pix2PixConfig, load_generator, train
    from pix2pix_tf.data import make_dataset, resolve_data
    from pix2pix_tf.export import ExportError, run_export

    out = Path(args.out or tempfile.mkdtemp(prefix="mobile_"))
    direction = "BtoA" if args.data else "AtoB"
    base = dict(image_size=args.size, seed=0, epochs=1, steps_per_epoch=args.steps,
                sample_every=0, direction=direction)
    source = resolve_data(args.data, Pix2PixConfig(**base))
    cut = len(source) - args.holdout

    def part(lo, hi):
        return dataclasses.replace(source, a=source.a[lo:hi],
                                   b=None if source.b is None else source.b[lo:hi],
                                   names=source.names[lo:hi])

    train_src, eval_src = part(0, cut), part(cut, len(source))
    rows = []
    for name in ("paper", "mobile"):
        config = Pix2PixConfig.preset(name, **base)
        run = out / name
        train(config, run, data=train_src, validation_data=eval_src, verbose=2)
        generator, _ = load_generator(run)
        model = Pix2Pix(config, generator=generator)
        model.compile()
        scores = model.evaluate(make_dataset(eval_src, config, training=False),
                                return_dict=True, verbose=0)
        try:
            entries = run_export(run, "tflite", "int8", run / "exports", args.data,
                                 calibration_samples=32)
        except ExportError as e:  # keep the report of a missed threshold
            print(f"error: {e}")
            entries = e.entries
        int8 = entries[-1]
        row = {"generator": name, "ngf": config.generator_filters,
               "params_m": generator.count_params() / 1e6,
               "int8_mb": (int8.get("size_bytes") or 0) / 1e6,
               "int8_ms_2_threads": int8.get("latency_ms"),
               "int8_psnr_vs_keras": int8.get("psnr_db"),
               "holdout_l1": scores["l1"], "holdout_psnr": scores["psnr"],
               "holdout_ssim": scores["ssim"]}
        emit({"benchmark": "mobile", "steps": args.steps, **row})
        rows.append(row)
    info = machine()
    print_table(info, rows, list(rows[0]), f"; {args.steps} steps each on "
                f"{train_src.description}, scored on {len(eval_src)} held-out pairs")


if __name__ == "__main__":
    main()
