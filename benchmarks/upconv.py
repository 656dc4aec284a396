"""The generator's transposed convolutions: native op vs four 2x2 phase convolutions.

    python -m benchmarks.upconv [--size 256] [--repeats 15] [--tflite]

Builds the paper's generator twice with the same weights — every `Conv2DTranspose` in the
native form, and in the phase form (the package's default at float32 inference) —
and times generator inference per image (`tf.function`, batch 1) interleaved, in
float32 and mixed_bfloat16; with `--tflite`, the fp32 `.tflite` of each (XNNPACK,
2 threads). Prints the max abs difference of the outputs too (the phase form is exact
to float rounding). Weights are random: latency does not depend on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _pair(config):
    import keras

    from pix2pix_tf.generator import build_generator
    from pix2pix_tf.layers import Conv2DTranspose

    keras.utils.set_random_seed(0)
    phase = build_generator(config)
    native = build_generator(config)
    native.set_weights(phase.get_weights())
    for layer in native.layers:
        if isinstance(layer, Conv2DTranspose):
            layer.phase_inference = False
    return native, phase


def _interleaved(fns: dict, x, repeats: int) -> dict:
    for fn in fns.values():
        for _ in range(3):
            fn(x)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - t)
    return {name: 1000 * statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--tflite", action="store_true")
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf

    from benchmarks.common import emit, machine, print_table
    from pix2pix_tf import Pix2PixConfig

    info = machine()
    x = np.random.default_rng(0).uniform(-1, 1, (1, args.size, args.size, 3)).astype("float32")
    rows = []
    from pix2pix_tf.layers import Conv2DTranspose

    Conv2DTranspose.PHASE_DTYPES = ("float32", "bfloat16")  # time the phase form in both
    for precision in ("float32", "mixed_bfloat16"):
        native, phase = _pair(Pix2PixConfig(image_size=args.size, precision=precision))
        fns = {form: tf.function(lambda t, m=m: m(t, training=False))
               for form, m in (("native", native), ("phase", phase))}
        diff = float(np.abs(np.asarray(fns["native"](x)) - np.asarray(fns["phase"](x))).max())
        ms = _interleaved({k: (lambda t, f=f: f(t).numpy()) for k, f in fns.items()}, x,
                          args.repeats)
        for form, value in ms.items():
            rows.append({"runtime": f"Keras tf.function, {precision}", "form": form,
                         "ms_per_image": value, "max_abs_diff": diff})
        if args.tflite and precision == "float32":
            from pix2pix_tf.export.tflite import TFLiteRunner, export_tflite

            with tempfile.TemporaryDirectory() as tmp:
                runners = {}
                for form, m in (("native", native), ("phase", phase)):
                    path = export_tflite(m, Path(tmp) / f"{form}.tflite", "fp32")
                    runners[form] = TFLiteRunner(path, 2)
                diff = float(np.abs(runners["native"](x) - runners["phase"](x)).max())
                ms = _interleaved(runners, x, args.repeats)
            for form, value in ms.items():
                rows.append({"runtime": "TFLite fp32, XNNPACK, 2 threads", "form": form,
                             "ms_per_image": value, "max_abs_diff": diff})
    for r in rows:
        emit({"benchmark": "upconv", "size": args.size, **r})
    print_table(info, rows, ["runtime", "form", "ms_per_image", "max_abs_diff"],
                f"; generator {args.size}x{args.size}, batch 1")


if __name__ == "__main__":
    main()
