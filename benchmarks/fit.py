"""Training speed through `fit`, as a user trains: the package vs the TF-tutorial loop.

    python -m benchmarks.fit [--size 128] [--data PATH_OR_NAME] [--chunk 25] [--rounds 6]
        [--cached]

Every variant trains from the same `tf.data` stream (the package's jittered pipeline
on the same pairs, same order) in ONE process; variants take turns in chunks of
`--chunk` steps (`--rounds` turns each), so drift of the machine hits all alike. The
s/step of a variant is the median interval between consecutive steps inside its
chunks (each chunk's first step, which pays the iterator's start, is left out).

Variants: the package's default (`Pix2Pix(config)` + `compile()` + `fit`, precision
"auto"), the same in float32, and the TF tutorial's loop (`for x, y in dataset:
train_step(x, y)` with its own models and `tf.function` step, float32). `--cached`
feeds one pre-loaded batch instead of the pipeline, to separate the input pipeline's
cost from the step's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--data", default=None, help="--data spec (default: the built-in set)")
    p.add_argument("--chunk", type=int, default=25)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--cached", action="store_true", help="one pre-loaded batch, no pipeline")
    p.add_argument("--variants", default="default,float32,tutorial")
    args = p.parse_args()

    import keras
    import tensorflow as tf

    from benchmarks.baseline import TutorialTrainer
    from benchmarks.common import emit, machine, table
    from pix2pix_tf import Pix2Pix, Pix2PixConfig
    from pix2pix_tf.data import configure_for_data, make_dataset, resolve_data
    from pix2pix_tf.precision import resolve_precision

    info = machine()
    config = configure_for_data(Pix2PixConfig(image_size=args.size, seed=0), args.data)
    source = resolve_data(args.data, config, "train")
    dataset = make_dataset(source, config, training=True)
    if args.cached:
        dataset = dataset.take(1).cache().repeat()
    policy, why = resolve_precision(config.precision)
    emit({"benchmark": "fit", **info, "data": source.description, "size": args.size,
          "auto_precision": policy, "why": why, "cached": args.cached})

    class Stamps(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter())

    def fit_chunk(model):
        stamps = Stamps()
        model.fit(dataset, epochs=1, steps_per_epoch=args.chunk, verbose=0,
                  callbacks=[stamps], shuffle=False)
        return stamps.times

    def tutorial_chunk(trainer):
        times = []
        for x, y in dataset.take(args.chunk):
            trainer.train_step(x, y)
            times.append(time.perf_counter())
        return times

    variants = {}
    names = args.variants.split(",")
    if "default" in names:
        keras.utils.set_random_seed(0)
        model = Pix2Pix(config)
        model.compile()
        variants[f"pix2pix_tf default ({model.config.precision})"] = (fit_chunk, model)
    if "float32" in names:
        keras.utils.set_random_seed(0)
        model = Pix2Pix(config.replace(precision="float32"))
        model.compile()
        variants["pix2pix_tf float32"] = (fit_chunk, model)
    if "tutorial" in names:
        keras.utils.set_random_seed(0)
        variants["TF-tutorial loop (float32)"] = (tutorial_chunk, TutorialTrainer(args.size))
    intervals = {name: [] for name in variants}
    for fn, obj in variants.values():  # warm-up: tracing, thread pools
        fn(obj)
    for _ in range(args.rounds):
        for name, (fn, obj) in variants.items():
            times = fn(obj)
            intervals[name] += [b - a for a, b in zip(times, times[1:])]
    base = statistics.median(intervals["TF-tutorial loop (float32)"]) if (
        "tutorial" in names) else None
    rows = []
    for name, ts in intervals.items():
        s = statistics.median(ts)
        row = {"variant": name, "size": args.size, "s_per_step": s, "images_per_s": 1 / s,
               "speedup_vs_tutorial": base / s if base else None, "steps": len(ts)}
        emit({"benchmark": "fit", **row})
        rows.append(row)
    print(f"\n{info['date']}, {info['cpu']}, {info['cores']} cores, TF {info.get('tensorflow')}, "
          f"load {info['load_1min']:.2f}; data: {source.description}"
          + (" (one cached batch)" if args.cached else " (the jittered pipeline)")
          + f"; auto precision here: {policy} ({why})")
    print(table(rows, ["variant", "size", "s_per_step", "images_per_s", "speedup_vs_tutorial",
                       "steps"]))
    del tf


if __name__ == "__main__":
    main()
