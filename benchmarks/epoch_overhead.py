"""What a training epoch costs besides its steps, and that cost on a GPU.

    python -m benchmarks.epoch_overhead [--size 256] [--repeats 3] [--gpu-epoch-s 5]

Measures on this machine, for the paper generator (Pix2PixConfig() defaults, float32):
one training step and one validation step (to scale compute to a GPU), the full
training state checkpoint, generator.keras, the host copy of the state that
`TrainingCheckpoint` keeps for an interruption, and one sample grid (4 images: forward
pass, PNG, TensorBoard). Then each piece as a share of a GPU epoch of `--gpu-epoch-s`
seconds and 400 steps (facades at batch 1): compute scales by the GPU's step time over
this machine's; disk writes are taken as measured here (a GPU host's disk may be
faster); the host copy as a device-to-host copy at `--d2h-gbps`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=4, help="training steps timed")
    p.add_argument("--gpu-epoch-s", type=float, default=5.0)
    p.add_argument("--gpu-steps", type=int, default=400)
    p.add_argument("--val-images", type=int, default=100, help="facades val: 100")
    p.add_argument("--d2h-gbps", type=float, default=10.0)
    p.add_argument("--save-every-minutes", type=float, default=10.0)
    p.add_argument("--validate-every", type=int, default=5)
    args = p.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.common import emit, machine, print_table
    from pix2pix_tf import Pix2Pix, Pix2PixConfig, layout
    from pix2pix_tf.callbacks import SampleGrid
    from pix2pix_tf.checkpoint import save_training_state, training_state

    info = machine()
    keras.utils.set_random_seed(0)
    config = Pix2PixConfig(image_size=args.size, seed=0, precision="float32")
    model = Pix2Pix(config)
    model.compile()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (args.steps + 1, args.size, args.size, 3)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, x)).batch(1).repeat()
    model.fit(ds, steps_per_epoch=1, epochs=1, verbose=0)  # compile the step
    t = time.perf_counter()
    model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
    train_step = (time.perf_counter() - t) / args.steps
    model.evaluate(ds, steps=1, verbose=0)
    t = time.perf_counter()
    model.evaluate(ds, steps=args.steps, verbose=0)
    val_step = (time.perf_counter() - t) / args.steps

    run = Path(tempfile.mkdtemp(prefix="epoch_overhead_"))
    grid = SampleGrid(x[:4], x[:4], run / "samples", run / "logs" / "samples")
    grid.set_model(model)
    grid.on_epoch_end(0)  # warm: the first call traces
    pieces = {
        "checkpoint (full state)": (_timed(lambda: save_training_state(
            model, run / "checkpoints", 1), args.repeats), "disk"),
        "generator.keras": (_timed(lambda: layout.save_generator(model.generator, run),
                                   args.repeats), "disk"),
        "host copy of the state": (_timed(lambda: training_state(model), args.repeats),
                                   "copy"),
        "sample grid (4 images)": (_timed(lambda: grid.on_epoch_end(0), args.repeats),
                                   "mixed"),
        f"validation ({args.val_images} images)": (val_step * args.val_images, "compute"),
    }
    state_gb = sum(a.nbytes for a in training_state(model).values()) / 1e9
    gpu_step = args.gpu_epoch_s / args.gpu_steps
    scale = gpu_step / train_step
    rows = []
    for name, (seconds, kind) in pieces.items():
        if kind == "disk":
            gpu = seconds
        elif kind == "copy":
            gpu = state_gb / args.d2h_gbps
        elif kind == "mixed":  # 4 forward passes scale, the PNG and summary do not
            forward = 4 * val_step
            gpu = max(0.0, seconds - forward) + forward * scale
        else:
            gpu = seconds * scale
        rows.append({"piece": name, "here_s": seconds, "gpu_est_s": gpu,
                     "pct_of_gpu_epoch": 100 * gpu / args.gpu_epoch_s})
        emit({"piece": name, "here_s": seconds, "gpu_est_s": gpu})
    # The defaults before and after: what an average GPU epoch pays.
    g = {r["piece"]: r["gpu_est_s"] for r in rows}
    val = g[f"validation ({args.val_images} images)"]
    write = g["checkpoint (full state)"] + g["generator.keras"]
    epochs_per_write = max(1.0, 60 * args.save_every_minutes / args.gpu_epoch_s)
    totals = {
        "old defaults: state + generator.keras + grid + validation, every epoch":
            write + g["sample grid (4 images)"] + val,
        f"new defaults: host copy + grid every epoch, validation every "
        f"{args.validate_every}, writes every {args.save_every_minutes:g} min":
            g["host copy of the state"] + g["sample grid (4 images)"]
            + val / args.validate_every + write / epochs_per_write,
    }
    for name, seconds in totals.items():
        rows.append({"piece": name, "here_s": "", "gpu_est_s": seconds,
                     "pct_of_gpu_epoch": 100 * seconds / args.gpu_epoch_s})
    print_table(info, rows, ["piece", "here_s", "gpu_est_s", "pct_of_gpu_epoch"],
                note=f"; {args.size}x{args.size} paper generator, train step {train_step:.2f} "
                     f"s, val step {val_step:.2f} s here; GPU: {args.gpu_steps} steps in "
                     f"{args.gpu_epoch_s:g} s ({1e3 * gpu_step:.1f} ms/step, x{scale:.4f}); "
                     f"state {state_gb:.2f} GB, D2H {args.d2h_gbps:g} GB/s")
    import shutil

    shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
