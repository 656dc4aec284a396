"""Adam's update for the generator: Keras' element-wise ops vs TensorFlow's fused kernel.

    python -m benchmarks.optimizer [--size 128] [--repeats 10]
    python -m benchmarks.optimizer --train-step [--sizes 256,128] [--precisions auto,float32]
        [--rounds 7] [--warmup 3]

Default: times `optimizer.apply` (inside `tf.function`) on the paper's generator's
variables with fixed random gradients, Keras' `Adam` and `pix2pix_tf.optimizers.Adam`
(`ResourceApplyAdam`) interleaved, and checks that both give the same weights.

`--train-step`: the whole `Pix2Pix` train step (`train_on_batch`, batch 1, the config's
defaults) with each optimiser, with and without `compile(jit_compile=True)` (XLA), per
size and precision; all variants start from the same weights, take turns step by step
after warm-up (machine drift spreads over all), and are compared on their weights after
the same steps. Prints median ms/step with the spread (min-max), the per-round speed
against the fused default (median and interquartile range) and the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _compiled_apply(opt, grads, variables):
    import tensorflow as tf

    @tf.function
    def step():
        opt.apply(grads, variables)

    return step


def _train_step_variants(size: int, precision: str, rounds: int, warmup: int,
                         dropout: bool = True) -> list[dict]:
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.common import emit
    from pix2pix_tf import Pix2Pix, Pix2PixConfig
    from pix2pix_tf.optimizers import Adam

    config = Pix2PixConfig(image_size=size, batch_size=1, seed=0, precision=precision,
                           dropout=dropout)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (1, size, size, 3)), tf.float32)
    y = tf.constant(rng.uniform(-1, 1, (1, size, size, 3)), tf.float32)
    variants = {"pix2pix_tf Adam (fused)": (Adam, False),
                "Keras Adam": (keras.optimizers.Adam, False),
                "Keras Adam + XLA": (keras.optimizers.Adam, True),
                "pix2pix_tf Adam (fused) + XLA": (Adam, True)}
    models, first = {}, None
    for name, (cls, xla) in variants.items():
        keras.utils.set_random_seed(0)
        model = Pix2Pix(config)
        if first is None:
            first = model
        else:
            model.generator.set_weights(first.generator.get_weights())
            model.discriminator.set_weights(first.discriminator.get_weights())

        def opt(which, cls=cls):
            return cls(config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                       epsilon=config.adam_epsilon, name=f"{which}_adam")

        model.compile(g_optimizer=opt("g"), d_optimizer=opt("d"), jit_compile=xla)
        models[name] = model
    initial = np.concatenate([v.numpy().ravel() for v in first.generator.trainable_variables])
    times = {name: [] for name in models}
    compile_s = {}
    for name, model in models.items():
        t = time.perf_counter()
        for _ in range(warmup):
            model.train_on_batch(x, y)
        compile_s[name] = time.perf_counter() - t
    for _ in range(rounds):
        for name, model in models.items():
            t = time.perf_counter()
            model.train_on_batch(x, y)  # returns numpy logs: the step has finished
            times[name].append(time.perf_counter() - t)
    # Trainable weights only (BatchNorm's moving statistics are not the optimiser's): mean
    # |w - w_fused| over the mean distance the fused run moved them. Not the max: Adam's
    # first steps are about lr * sign(g), so any rounding difference flips the near-zero
    # gradients' steps. Dropout masks are drawn differently under XLA: compare with
    # --no-dropout.
    def flat(model):
        return np.concatenate([v.numpy().ravel() for v in model.generator.trainable_variables])

    reference = flat(first)
    moved = float(np.mean(np.abs(reference - initial)))
    load = os.getloadavg()[0]
    rows = []
    fused = times["pix2pix_tf Adam (fused)"]
    for name, ts in times.items():
        # Per round (the variants ran back to back): fused time / this one's, so load that
        # changes between rounds cancels; > 1: faster than the fused default.
        paired = sorted(f / t for f, t in zip(fused, ts))
        diff = float(np.mean(np.abs(flat(models[name]) - reference))) / moved
        ms = [1000 * t for t in ts]
        row = {"optimizer": name, "size": size, "precision": first.config.precision,
               "ms_per_step": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms),
               "vs_fused": statistics.median(paired), "vs_fused_lo": paired[len(paired) // 4],
               "vs_fused_hi": paired[-1 - len(paired) // 4], "warmup_s": compile_s[name],
               "weight_diff_rel": diff, "load_after": load}
        emit({"benchmark": "optimizer_train_step", **row, "ms_all": [round(m, 1) for m in ms]})
        rows.append(row)
    return rows


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--train-step", action="store_true",
                   help="time the whole Pix2Pix train step per optimiser, with and without XLA")
    p.add_argument("--sizes", default="256,128", help="--train-step: image sizes")
    p.add_argument("--precisions", default="auto,float32", help="--train-step: precisions")
    p.add_argument("--rounds", type=int, default=7, help="--train-step: timed steps each")
    p.add_argument("--warmup", type=int, default=3, help="--train-step: untimed steps each")
    p.add_argument("--no-dropout", action="store_true",
                   help="--train-step: dropout off, so the variants' weights can be compared")
    args = p.parse_args()
    if args.train_step:
        import gc

        import keras

        from benchmarks.common import machine, print_table

        info = machine()
        rows = []
        for size in map(int, args.sizes.split(",")):
            for precision in args.precisions.split(","):
                rows += _train_step_variants(size, precision, args.rounds, args.warmup,
                                             dropout=not args.no_dropout)
                keras.backend.clear_session()  # free the group's eight networks
                gc.collect()
        print_table(info, rows, ["optimizer", "size", "precision", "ms_per_step", "min_ms",
                                 "max_ms", "vs_fused", "vs_fused_lo", "vs_fused_hi",
                                 "warmup_s", "weight_diff_rel", "load_after"],
                    note=" (load before)")
        return

    import keras
    import tensorflow as tf

    from benchmarks.common import emit, machine, print_table
    from pix2pix_tf import Pix2PixConfig
    from pix2pix_tf.generator import build_generator
    from pix2pix_tf.optimizers import Adam

    info = machine()
    config = Pix2PixConfig(image_size=args.size, precision="float32")
    keras.utils.set_random_seed(0)
    nets = {name: build_generator(config)
            for name in ("Keras Adam", "pix2pix_tf Adam (fused)")}
    nets["pix2pix_tf Adam (fused)"].set_weights(nets["Keras Adam"].get_weights())
    grads = [tf.random.normal(v.shape) * 0.01 for v in nets["Keras Adam"].trainable_variables]
    steps = {}
    for name, cls in (("Keras Adam", keras.optimizers.Adam),
                      ("pix2pix_tf Adam (fused)", Adam)):
        variables = nets[name].trainable_variables
        opt = cls(2e-4, beta_1=0.5)
        opt.build(variables)

        steps[name] = (_compiled_apply(opt, grads, variables), variables)
    for fn, _ in steps.values():
        for _ in range(3):
            fn()
    diff = max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(
        *(v for _, v in steps.values())))
    times = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, (fn, variables) in steps.items():
            t = time.perf_counter()
            fn()
            variables[0].numpy()
            times[name].append(time.perf_counter() - t)
    params = sum(int(tf.size(v)) for v in nets["Keras Adam"].trainable_variables)
    rows = [{"optimizer": name, "size": args.size, "params_M": params / 1e6,
             "ms_per_update": 1000 * statistics.median(ts), "max_weight_diff": diff}
            for name, ts in times.items()]
    for r in rows:
        emit({"benchmark": "optimizer", **r})
    print_table(info, rows, ["optimizer", "size", "params_M", "ms_per_update", "max_weight_diff"])


if __name__ == "__main__":
    main()
