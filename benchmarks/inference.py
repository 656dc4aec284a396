"""Inference latency per 256x256 image: the Keras generator and every export format.

    python -m benchmarks.inference [--model RUN_DIR] [--data ../shared/data/facades/train]

Keras is timed eagerly and as a compiled `tf.function` (all cores); the exported
artifacts come from the export pipeline (`benchmarks.export_full`), which runs each
one and reports its median latency on `--threads` threads (default 2).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=None)
    p.add_argument("--data", default=None)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf

    from benchmarks.common import emit, machine, print_table
    from benchmarks.export_full import export_full
    from pix2pix_tf import load_generator
    from pix2pix_tf.export.common import median_latency_ms

    info = machine()
    entries, _, model_path = export_full(args.model, args.data, args.steps)
    generator, _ = load_generator(model_path)
    x = np.random.default_rng(0).uniform(-1, 1, (1, *generator.input_shape[1:]))
    x = x.astype(np.float32)
    compiled = tf.function(lambda t: generator(t, training=False))
    rows = []
    for name, fn in (("keras eager", lambda t: generator(t, training=False).numpy()),
                     ("keras tf.function", lambda t: compiled(t).numpy())):
        rows.append({"artifact": name, "quantization": "fp32", "threads": "all",
                     "latency_ms": median_latency_ms(fn, x, args.repeats), "size_mb": None})
    for e in entries:
        if e["format"] != "keras":
            rows.append({"artifact": e["format"], "quantization": e["quantization"],
                         "threads": e.get("threads"), "latency_ms": e.get("latency_ms"),
                         "size_mb": (e.get("size_bytes") or 0) / 1e6})
    for r in rows:
        emit({"benchmark": "inference", **r})
    print_table(info, rows, ["artifact", "quantization", "threads", "latency_ms", "size_mb"])


if __name__ == "__main__":
    main()
