"""Reading Keras model files: every failure is one `DataError` line naming the file."""

from __future__ import annotations

import os
from pathlib import Path

from pix2pix_tf.errors import DataError


def load_model_file(path: str | os.PathLike, what: str = "Keras model"):
    """`keras.models.load_model(path, compile=False)`, with a missing, damaged or foreign
    file reported as one `DataError` line naming it."""
    import keras

    from pix2pix_tf import register_keras_classes

    register_keras_classes()  # the command line imports the package without them
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file.")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a bad archive
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise DataError(f"{path}: not a readable {what} file ({type(e).__name__}: "
                        f"{first[:200]}).") from None
