"""Train-step speed: the package's `Pix2Pix` step vs the TF-tutorial and PyTorch peers.

    python -m benchmarks.train_step [--sizes 128,256] [--batches 1,4] [--steps 15] [--xla]

Variants: the package's default (`Pix2Pix(config)` + `compile()`, precision "auto":
the row names what it picked here), the package in float32, the TF tutorial's step
(float32) and — when PyTorch is installed (`pip install -e .[benchmarks]`) — the
PyTorch reference implementation's step (float32, eager, in a child process). All are
interleaved step by step (drift of the machine cancels), on the same shapes. Prints
one JSON line per measurement and a Markdown table with s/step, images/s, the ratio to
the TF-tutorial step, and achieved GFLOP/s against the analytic FLOP count of the step
and matmul peaks (float32, and bfloat16 when used) measured in the same process.
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
    p.add_argument("--sizes", default="128,256", help="image sizes")
    p.add_argument("--batches", default="1")
    p.add_argument("--steps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--xla", action="store_true", help="also time the package step with XLA")
    p.add_argument("--bf16", action="store_true",
                   help="also time an explicit mixed_bfloat16 variant (when auto is not)")
    p.add_argument("--no-torch", action="store_true", help="leave out the PyTorch peer")
    p.add_argument("--inter-op-threads", type=int, default=DEFAULT_INTER_OP_THREADS,
                   help="process-wide, shared by all variants (default: the CLI's; 0 = TF's)")
    args = p.parse_args()

    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(args.inter_op_threads)
    from benchmarks.common import emit, machine, table
    from benchmarks.torch_reference import available
    from pix2pix_tf.precision import resolve_precision

    info = machine()
    auto, why = resolve_precision("auto")
    emit({"benchmark": "train_step", **info, "inter_op_threads": args.inter_op_threads,
          "auto_precision": auto, "why": why})
    peak = matmul_peak_gflops()
    emit({"benchmark": "matmul_peak", "dtype": "float32", "gflops": round(peak, 1)})
    peak_bf16 = None
    if args.bf16 or auto == "mixed_bfloat16":
        peak_bf16 = matmul_peak_gflops(dtype="bfloat16")
        emit({"benchmark": "matmul_peak", "dtype": "bfloat16", "gflops": round(peak_bf16, 1)})
    torch_peer = not args.no_torch and available()
    rows = []
    for size in map(int, args.sizes.split(",")):
        for batch in map(int, args.batches.split(",")):
            rows += _measure(args, size, batch, peak, peak_bf16, torch_peer)
    print(f"\n{info['date']}, {info['cpu']}, {info['cores']} cores, TF {info.get('tensorflow')}, "
          f"load {info['load_1min']:.2f}, inter-op threads {args.inter_op_threads}, "
          f"auto precision: {auto} ({why}); matmul peak {peak:.0f} GFLOP/s float32"
          + (f", {peak_bf16:.0f} GFLOP/s bfloat16 (bf16 rows use it)" if peak_bf16 else "")
          + ("" if torch_peer else "; PyTorch not installed: no PyTorch row"))
    print(table(rows, ["variant", "size", "batch", "s_per_step", "images_per_s",
                       "speedup_vs_baseline", "step_gflop", "gflops", "pct_of_matmul_peak"]))


def _measure(args, size: int, batch: int, peak: float, peak_bf16: float | None,
             torch_peer: bool) -> list[dict]:
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.baseline import TutorialTrainer
    from benchmarks.common import emit
    from benchmarks.flops import train_step_flops
    from benchmarks.torch_reference import TorchPeer
    from pix2pix_tf import Pix2Pix, Pix2PixConfig

    keras.utils.set_random_seed(0)
    config = Pix2PixConfig(image_size=size, batch_size=batch, seed=0)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)), tf.float32)
    y = tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)), tf.float32)
    variants = {"TF-tutorial step (float32)": partial(_baseline_step, TutorialTrainer(size),
                                                       x, y)}
    default = Pix2Pix(config)  # precision "auto", exactly what a user gets
    default.compile()
    dtype = default.generator.get_layer("down2_conv").compute_dtype
    variants[f"pix2pix_tf default ({default.config.precision})"] = partial(
        _package_step, default, x, y)
    model = Pix2Pix(config.replace(precision="float32"))
    model.compile()
    if default.config.precision != "float32":
        variants["pix2pix_tf float32"] = partial(_package_step, model, x, y)
    if args.xla:
        xla = Pix2Pix(config)
        xla.compile(jit_compile=True)
        variants[f"pix2pix_tf default + XLA ({xla.config.precision})"] = partial(
            _package_step, xla, x, y)
    if args.bf16 and default.config.precision != "mixed_bfloat16":
        bf16 = Pix2Pix(config.replace(precision="mixed_bfloat16"))
        bf16.compile()
        # The variant must compute in bfloat16 (an earlier version timed float32 here).
        compute = bf16.generator.get_layer("down2_conv").compute_dtype
        if compute != "bfloat16":
            raise SystemExit(f"bf16 variant computes in {compute}")
        variants["pix2pix_tf mixed_bfloat16"] = partial(_package_step, bf16, x, y)
    peer = None
    if torch_peer:
        peer = TorchPeer(size, batch)
        variants["PyTorch reference step (float32)"] = peer
    flops = train_step_flops(model.generator, model.discriminator) * batch
    for fn in variants.values():
        for _ in range(args.warmup):
            fn()
    times = {name: [] for name in variants}
    for _ in range(args.steps):
        for name, fn in variants.items():
            t = time.perf_counter()
            elapsed = fn()
            wall = time.perf_counter() - t
            # The PyTorch peer reports its own step time (without the pipe's round trip).
            times[name].append(elapsed if fn is peer else wall)
    if peer is not None:
        peer.close()
    base = statistics.median(times["TF-tutorial step (float32)"])
    rows = []
    for name, ts in times.items():
        s = statistics.median(ts)
        bf16_row = "bfloat16" in name or (name.startswith("pix2pix_tf default")
                                          and dtype == "bfloat16")
        row = {"variant": name, "size": size, "batch": batch, "s_per_step": s,
               "images_per_s": batch / s, "speedup_vs_baseline": base / s,
               "step_gflop": flops / 1e9, "gflops": flops / s / 1e9,
               "pct_of_matmul_peak": 100 * flops / s / 1e9 / (
                   peak_bf16 if bf16_row and peak_bf16 else peak)}
        emit({"benchmark": "train_step", **row})
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
