"""Train-step speed: the package's `Pix2Pix` step vs the TF-tutorial baseline.

    python -m benchmarks.train_step [--size 256] [--batches 1,4] [--steps 15] [--xla]

Both run in ONE process, interleaved step by step (drift of the machine cancels),
on the same inputs. Prints one JSON line per measurement and a Markdown table with
s/step, images/s, the ratio to the baseline, and achieved GFLOP/s against the
analytic FLOP count of the step and a matmul peak measured in the same process.
Run on a quiet machine (`uptime`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pix2pix_tf.cli import DEFAULT_INTER_OP_THREADS  # noqa: E402


def matmul_peak_gflops(n: int = 4096, reps: int = 5, dtype: str = "float32") -> float:
    """Best-of-`reps` GFLOP/s of an n^3 matmul. 4096: a 2048^3 product is short enough
    for timing artefacts to inflate it (it once read 447 GFLOP/s on a ~200 GFLOP/s CPU)."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal([n, n]), dtype)
    b = tf.cast(tf.random.normal([n, n]), dtype)
    tf.linalg.matmul(a, b).numpy()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        times.append(time.perf_counter() - t)
    return 2 * n**3 / min(times) / 1e9


def _baseline_step(trainer, x, y):
    return [t.numpy() for t in trainer.train_step(x, y)]  # .numpy(): wait for the step


def _package_step(model, x, y):
    return model.train_on_batch(x, y, return_dict=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batches", default="1")
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--xla", action="store_true", help="also time the package step with XLA")
    p.add_argument("--bf16", action="store_true",
                   help="also time the package step under the mixed_bfloat16 policy")
    p.add_argument("--inter-op-threads", type=int, default=DEFAULT_INTER_OP_THREADS,
                   help="process-wide, shared by all variants (default: the CLI's; 0 = TF's)")
    args = p.parse_args()

    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    import keras
    import numpy as np

    from benchmarks.baseline import TutorialTrainer
    from benchmarks.common import emit, machine, table
    from benchmarks.flops import train_step_flops
    from pix2pix_tf import Pix2Pix, Pix2PixConfig

    info = machine()
    emit({"benchmark": "train_step", **info, "inter_op_threads": args.inter_op_threads})
    peak = matmul_peak_gflops()
    emit({"benchmark": "matmul_peak", "dtype": "float32", "gflops": round(peak, 1)})
    if args.bf16:
        peak_bf16 = matmul_peak_gflops(dtype="bfloat16")
        emit({"benchmark": "matmul_peak", "dtype": "bfloat16", "gflops": round(peak_bf16, 1)})
    rows = []
    for batch in map(int, args.batches.split(",")):
        keras.utils.set_random_seed(0)
        config = Pix2PixConfig(image_size=args.size, batch_size=batch, seed=0)
        rng = np.random.default_rng(0)
        x = tf.constant(rng.uniform(-1, 1, (batch, args.size, args.size, 3)), tf.float32)
        y = tf.constant(rng.uniform(-1, 1, (batch, args.size, args.size, 3)), tf.float32)
        variants = {"tutorial baseline": partial(_baseline_step, TutorialTrainer(args.size), x, y)}
        model = Pix2Pix(config.replace(precision="float32"))
        model.compile()
        variants["pix2pix_tf (float32)"] = partial(_package_step, model, x, y)
        if args.xla:
            xla = Pix2Pix(config.replace(precision="float32"))
            xla.compile(jit_compile=True)
            variants["pix2pix_tf + XLA"] = partial(_package_step, xla, x, y)
        if args.bf16:
            bf16 = Pix2Pix(config.replace(precision="mixed_bfloat16"))
            bf16.compile()
            # The variant must compute in bfloat16 (an earlier version timed float32 here).
            compute = bf16.generator.get_layer("down2_conv").compute_dtype
            if compute != "bfloat16":
                raise SystemExit(f"bf16 variant computes in {compute}")
            variants["pix2pix_tf + mixed_bfloat16"] = partial(_package_step, bf16, x, y)
        flops = train_step_flops(model.generator, model.discriminator) * batch
        for fn in variants.values():
            for _ in range(args.warmup):
                fn()
        times = {name: [] for name in variants}
        for _ in range(args.steps):
            for name, fn in variants.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        base = statistics.median(times["tutorial baseline"])
        for name, ts in times.items():
            s = statistics.median(ts)
            row = {"variant": name, "size": args.size, "batch": batch, "s_per_step": s,
                   "images_per_s": batch / s, "speedup_vs_baseline": base / s,
                   "step_gflop": flops / 1e9, "gflops": flops / s / 1e9,
                   "pct_of_matmul_peak": 100 * flops / s / 1e9 / (
                       peak_bf16 if "bfloat16" in name else peak)}
            emit({"benchmark": "train_step", **row})
            rows.append(row)
    print(f"\n{info['date']}, {info['cpu']}, {info['cores']} cores, TF {info.get('tensorflow')}, "
          f"load {info['load_1min']:.2f}, inter-op threads {args.inter_op_threads}, "
          f"matmul peak {peak:.0f} GFLOP/s float32"
          + (f", {peak_bf16:.0f} GFLOP/s bfloat16 (bf16 rows use it)" if args.bf16 else ""))
    print(table(rows, ["variant", "size", "batch", "s_per_step", "images_per_s",
                       "speedup_vs_baseline", "step_gflop", "gflops", "pct_of_matmul_peak"]))


if __name__ == "__main__":
    main()
