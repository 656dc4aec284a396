"""Training memory: peak RSS at 256x256, batch 1, and RSS growth over 500 steps.

    python -m benchmarks.memory [--steps 500] [--data ../shared/data/facades/train]

RSS is sampled every 10 steps; growth is measured from step 50 (after tracing and
allocator warm-up) to the end, and must stay under 5% (no leak).
"""

from __future__ import annotations

import argparse
import os
import resource

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--data", default=None)
    args = p.parse_args()

    import keras
    import psutil

    from benchmarks.common import emit, machine, table
    from pix2pix_tf import Pix2Pix, Pix2PixConfig
    from pix2pix_tf.data import make_dataset, resolve_data

    process = psutil.Process()
    samples: list[tuple[int, float]] = []

    class Sampler(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % 10 == 0:
                samples.append((batch + 1, process.memory_info().rss / 2**20))

    config = Pix2PixConfig(image_size=args.size, seed=0)
    source = resolve_data(args.data, config)
    model = Pix2Pix(config)
    model.compile()
    model.fit(make_dataset(source, config), steps_per_epoch=args.steps, epochs=1, verbose=0,
              callbacks=[Sampler()])
    at50 = next(rss for step, rss in samples if step >= 50)
    end = samples[-1][1]
    row = {"size": args.size, "batch": 1, "steps": args.steps,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "rss_step50_mb": at50, "rss_end_mb": end, "growth_pct": 100 * (end - at50) / at50}
    info = machine()
    emit({"benchmark": "memory", **info, **row, "samples": samples})
    print(f"\n{info['date']}, {info['cpu']}, {info['cores']} cores")
    print(table([row], list(row)))


if __name__ == "__main__":
    main()
