"""`tf.data` pipelines: decode, jitter (resize, random crop, mirror), batch, prefetch.

Randomness is stateless and keyed by `(seed, position in the stream)`: the order of
each epoch is a permutation seeded by `(seed, epoch)`, and the crop and mirror of
each example by its position. So the stream is the same however it is split into
runs: `make_dataset(..., start_step=k)` continues exactly where step k left off,
which is what makes resumed training identical to uninterrupted training.
"""

from __future__ import annotations

import tensorflow as tf

from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.data.sources import PairSource
from pix2pix_tf.errors import DataError
from pix2pix_tf.preprocessor import decode, fit_to_model, to_channels, to_unit_range

AUTOTUNE = tf.data.AUTOTUNE


def _encoded(source: PairSource, values):
    """A function: example index -> encoded image bytes (a scalar string tensor)."""
    if source.storage == "random_access":
        # Read on demand (a TFDS ArrayRecord source): nothing is held in memory.
        def fetch(i):
            return tf.constant(values[int(i)])

        def read(i):
            data = tf.py_function(fetch, [i], tf.string)
            data.set_shape([])
            return data
        return read
    table = tf.constant(values)
    if source.storage == "files":
        return lambda i: tf.io.read_file(table[i])
    return lambda i: table[i]


def _loader(source: PairSource, config: Pix2PixConfig):
    """A function: example index -> (A, B) uint8 images with the configured channels."""
    ca, cb = config.a_channels, config.b_channels
    if source.storage == "arrays":
        a_all, b_all = tf.constant(source.a), tf.constant(source.b)
        return lambda i: (to_channels(tf.gather(a_all, i), ca),
                          to_channels(tf.gather(b_all, i), cb))
    read_a = _encoded(source, source.a)
    if source.layout == "task":
        from pix2pix_tf.data.tasks import TASKS

        make_pair = TASKS[source.task].pair

        def load_task(i):
            a, b = make_pair(decode(read_a(i), 3))
            return to_channels(a, ca), to_channels(b, cb)
        return load_task
    if source.layout == "ab":
        def load_ab(i):
            img = decode(read_a(i), max(ca, cb))
            half = tf.shape(img)[1] // 2
            return to_channels(img[:, :half], ca), to_channels(img[:, half:2 * half], cb)
        return load_ab
    read_b = _encoded(source, source.b)
    return lambda i: (decode(read_a(i), ca), decode(read_b(i), cb))


def preprocess_pair(a: tf.Tensor, b: tf.Tensor, config: Pix2PixConfig, training: bool,
                    seed: tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """uint8 A, B -> (input, target) float32 in [-1, 1], jittered when `training`.

    The same crop and mirror apply to input and target (they are stacked on the
    channel axis first). `seed` is a shape-[2] int tensor for the stateless ops.
    """
    x, y = (a, b) if config.direction == "AtoB" else (b, a)
    cin = config.input_channels
    lab = config.color_space == "lab"
    if lab:  # L and ab both come from the colour target (the paper's colourisation)
        pair = tf.cast(y, tf.float32)
        size = [config.height, config.width, 3]
    else:
        pair = tf.concat([tf.cast(x, tf.float32), tf.cast(y, tf.float32)], axis=-1)
        size = [config.height, config.width, cin + config.output_channels]
    if training:
        if config.preprocess == "resize_and_crop":
            pair = tf.image.resize(pair, config.load_height_width, antialias=True)
        elif config.preprocess == "none":
            pair = tf.image.resize(pair, config.image_size, antialias=True)
        pair = tf.image.stateless_random_crop(pair, size, seed=seed)
        if config.flip:
            pair = tf.image.stateless_random_flip_left_right(pair, seed=seed + [0, 1])
    else:  # the inference contract's fit (pix2pix_tf.translator, step 3)
        pair = fit_to_model(pair, config.image_size,
                            "crop" if config.preprocess == "crop" else "resize")
    pair = tf.ensure_shape(pair, size)
    if lab:
        from pix2pix_tf.color import lab_pair

        return lab_pair(tf.clip_by_value(pair, 0.0, 255.0))
    pair = to_unit_range(pair)
    return pair[..., :cin], pair[..., cin:]


def make_dataset(source: PairSource, config: Pix2PixConfig, training: bool = True,
                 start_step: int = 0, batch_size: int | None = None,
                 input_context: tf.distribute.InputContext | None = None) -> tf.data.Dataset:
    """Batches of `(input, target)` in [-1, 1] from `source`.

    Args:
        source: the examples (see `resolve_data`).
        config: sizes, channels, direction, jitter, batch size and seed.
        training: True: an endless, shuffled and jittered stream (use `steps_per_epoch`
            with `fit`); False: one pass in order, resized without jitter.
        start_step: with `training`, skip the first `start_step` batches of the stream
            (cheaply: only indices are skipped) to resume a run.
        batch_size: defaults to `config.batch_size`.
        input_context: under `strategy.distribute_datasets_from_function` (multi-worker
            training), this worker's context: the stream keeps only this worker's
            share of every global batch *before* loading, so each worker reads and
            decodes only its own examples, batched per replica.

    Returns:
        A `tf.data.Dataset` of `(input, target)` float32 batches.
    """
    # The data's own defaults (a dataset's direction, a task's channels) for options the
    # config leaves unset: the same resolution `train()` applies before building models.
    config = config.with_data_defaults(source.defaults, source.description)
    batch_size = batch_size or config.batch_size
    n = len(source)
    if training and n < batch_size:
        raise DataError(f"{source.description}: {n} pair(s), fewer than the batch size "
                        f"{batch_size}. Use a smaller --batch-size.")
    load = _loader(source, config)
    seed = tf.constant(config.seed or 0, tf.int64)
    if not training:
        ds = tf.data.Dataset.range(n).map(
            lambda i: preprocess_pair(*load(i), config, training=False),
            num_parallel_calls=AUTOTUNE)
        return ds.batch(batch_size).prefetch(AUTOTUNE)

    def epoch_order(epoch):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([seed, epoch]))
        return tf.data.Dataset.from_tensor_slices(perm)

    def load_jittered(position, index):
        return preprocess_pair(*load(index), config, training=True,
                               seed=tf.stack([seed, 2 * position]))

    ds = (tf.data.Dataset.range(2**62).flat_map(epoch_order).enumerate()
          .skip(start_step * batch_size))
    options = tf.data.Options()
    if input_context is not None and input_context.num_input_pipelines > 1:
        # Global batch g is positions [g*B, (g+1)*B); worker p serves the p-th contiguous
        # slice of it (its replicas' shares), selected on indices, before any image is read.
        pipelines, pipeline = input_context.num_input_pipelines, input_context.input_pipeline_id
        share = batch_size // pipelines
        ds = ds.filter(lambda position, index: (position % batch_size) // share == pipeline)
        per_replica = input_context.get_per_replica_batch_size(batch_size)
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.OFF)
    else:
        per_replica = batch_size
        # Keras' experimental_distribute_dataset splits every global batch over replicas.
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA)
    ds = (ds.map(load_jittered, num_parallel_calls=AUTOTUNE, deterministic=True)
          .batch(per_replica, drop_remainder=True))
    return ds.with_options(options).prefetch(AUTOTUNE)


def sample_batch(source: PairSource, config: Pix2PixConfig, count: int):
    """The first `count` examples, without jitter, as numpy `(inputs, targets)`."""
    ds = make_dataset(source, config, training=False, batch_size=max(1, min(count, len(source))))
    x, y = next(iter(ds))
    return x.numpy(), y.numpy()
