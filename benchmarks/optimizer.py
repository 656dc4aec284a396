"""Adam's update for the generator: Keras' element-wise ops vs TensorFlow's fused kernel.

    python -m benchmarks.optimizer [--size 128] [--repeats 10]

Times `optimizer.apply` (inside `tf.function`) on the paper's generator's variables with
fixed random gradients, Keras' `Adam` and `pix2pix_tf.optimizers.Adam` (the package's
default, `ResourceApplyAdam`) interleaved, and checks that both give the same weights.
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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--repeats", type=int, default=10)
    args = p.parse_args()

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
