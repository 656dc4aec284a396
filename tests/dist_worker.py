"""Helper process for test_distribute.py: `python dist_worker.py MODE RUN_DIR`.

MODE: single | mirrored (2 logical CPU devices) | multiworker (TF_CONFIG from env);
a third argument "syncbn" trains with BatchNorm synchronised across replicas instead of
instance norm.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

mode, run_dir = sys.argv[1], sys.argv[2]
sync_bn = sys.argv[3:] == ["syncbn"]
if mode == "mirrored":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

from pix2pix_tf import Pix2PixConfig, train  # noqa: E402

# Instance norm (or synchronised BatchNorm) and no dropout: per-replica work then equals
# the single-device batch.
config = Pix2PixConfig(image_size=32, generator_filters=4, discriminator_filters=4, seed=0,
                       epochs=2, steps_per_epoch=3, batch_size=2,
                       norm="batch" if sync_bn else "instance", sync_batch_norm=sync_bn,
                       dropout=False, sample_every=0, precision="float32")
train(config, run_dir, verbose=0, strategy="default" if mode == "single" else mode)
