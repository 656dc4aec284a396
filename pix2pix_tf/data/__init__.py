"""Paired data: sources (folders, archives, dataset names, built-in) and tf.data pipelines."""

from pix2pix_tf.data.pipeline import make_dataset, preprocess_pair, sample_batch
from pix2pix_tf.data.resolve import TASKS, configure_for_data, resolve_data
from pix2pix_tf.data.sources import PairSource, ab_folder, builtin, paired_folders
from pix2pix_tf.data.standard import STANDARD_DATASETS, fetch_archive, standard_dataset
from pix2pix_tf.data.synthetic import synthetic_facades

__all__ = [
    "PairSource", "STANDARD_DATASETS", "TASKS", "ab_folder", "builtin", "configure_for_data",
    "fetch_archive", "make_dataset", "paired_folders", "preprocess_pair", "resolve_data",
    "sample_batch", "standard_dataset", "synthetic_facades",
]
