"""Input pipeline speed: images/s of the tf.data pipeline alone (read, decode, resize,
random crop, mirror, batch), compared with the train step's rate.

    python -m benchmarks.pipeline [--data ../shared/data/facades/train] [--size 256]

The pipeline must deliver >= 10x the train step's images/s so it never stalls
training (`--step-seconds`: measured s/step of the train step, default 0.40).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=None, help="default: the built-in dataset")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--images", type=int, default=800)
    p.add_argument("--step-seconds", type=float, default=0.40,
                   help="train step time per batch to compare with")
    args = p.parse_args()

    from benchmarks.common import emit, machine, print_table
    from pix2pix_tf import Pix2PixConfig
    from pix2pix_tf.data import make_dataset, resolve_data

    config = Pix2PixConfig(image_size=args.size, batch_size=args.batch, seed=0)
    source = resolve_data(args.data, config)
    ds = make_dataset(source, config, training=True)
    it = iter(ds)
    for _ in range(20):  # warm-up: thread pools, autotune
        next(it)
    batches = args.images // args.batch
    t = time.perf_counter()
    for _ in range(batches):
        next(it)
    elapsed = time.perf_counter() - t
    rate = batches * args.batch / elapsed
    train_rate = args.batch / args.step_seconds
    row = {"source": source.description, "size": args.size, "batch": args.batch,
           "images_per_s": rate, "train_step_images_per_s": train_rate,
           "ratio": rate / train_rate}
    info = machine()
    emit({"benchmark": "pipeline", **info, **row})
    print_table(info, [row], list(row))


if __name__ == "__main__":
    main()
