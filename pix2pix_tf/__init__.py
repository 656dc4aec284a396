"""pix2pix_tf: Pix2Pix paired image-to-image translation in Keras 3 / TensorFlow.

Public API:
    Pix2PixConfig, build_generator, build_discriminator, Pix2Pix, train, Translator
    (the inference contract), translate_files, evaluate,
    and the `data`, `callbacks`, `losses`, `metrics` modules.

The Keras classes (generator, discriminator, Pix2Pix, their layers) are imported
here, so `import pix2pix_tf` alone registers them and
`keras.models.load_model("generator.keras")` works; other names load on first use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Registers the serialisable classes with Keras (see the module docstring).
from pix2pix_tf import discriminator as _discriminator  # noqa: E402, F401
from pix2pix_tf import generator as _generator  # noqa: E402, F401
from pix2pix_tf import model as _model  # noqa: E402, F401

_EXPORTS = {
    "Pix2PixConfig": "pix2pix_tf.config",
    "build_generator": "pix2pix_tf.generator",
    "Generator": "pix2pix_tf.generator",
    "build_discriminator": "pix2pix_tf.discriminator",
    "Discriminator": "pix2pix_tf.discriminator",
    "Pix2Pix": "pix2pix_tf.model",
    "train": "pix2pix_tf.training",
    "load_generator": "pix2pix_tf.translator",
    "Translator": "pix2pix_tf.translator",
    "Preprocessor": "pix2pix_tf.translator",
    "translate_files": "pix2pix_tf.translate",
    "evaluate": "pix2pix_tf.evaluation",
    "DataError": "pix2pix_tf.errors",
    "TrainingDiverged": "pix2pix_tf.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pix2pix_tf' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
