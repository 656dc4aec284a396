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
import os
import sys

__version__ = "0.1.0"


def register_keras_classes() -> None:
    """Registers the package's serialisable Keras classes (generator, discriminator,
    `Pix2Pix`, their layers), so `keras.models.load_model` reads their files. Done by
    `import pix2pix_tf`; the command line does it once its arguments are parsed."""
    from pix2pix_tf import discriminator, generator, model  # noqa: F401


def _command_line() -> bool:
    """True while Python imports this package to run its command line: `python -m
    pix2pix_tf[.MODULE]` (runpy imports the parents with sys.argv[0] == "-m" before
    it runs the module) or the `pix2pix-tf` script. The command line then parses its
    arguments before TensorFlow loads (`--help` in a fraction of a second) and
    registers the classes itself."""
    argv = getattr(sys, "orig_argv", [])
    if sys.argv[:1] == ["-m"] and "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1].split(".")[0] == __name__
    return os.path.basename(sys.argv[0] if sys.argv else "") == "pix2pix-tf"


if not _command_line():
    register_keras_classes()

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
