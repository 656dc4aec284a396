"""Generator -> TensorFlow SavedModel, in TF Serving's versioned layout (`NAME/1/`).

Two signatures:
- `serving_default`: `image` float32 (N, H, W, C) in [-1, 1] -> `output` float32.
- `serving_uint8` (for apps): `image` uint8 (N, H, W, C) -> `output` uint8; the
  normalisation is inside the graph.

The module tracks the generator's TensorFlow variables directly, so each weight is
stored once (Keras' `Model.export()` stores every weight twice: 416 MB for the
208 MB paper generator).
"""

from __future__ import annotations

import os
from pathlib import Path


def serving_module(generator, training: bool = False, batch: int | None = None):
    """A `tf.Module` with the two serving functions and the generator's variables:
    `serve_float` ([-1, 1] in and out) and `serve_uint8` (uint8 pixels)."""
    import tensorflow as tf

    _, h, w, c = generator.input_shape
    module = tf.Module()
    # Track the underlying tf.Variables once; the functions capture the same objects.
    module.variables_ = [v.value for v in generator.variables]

    @tf.function(input_signature=[tf.TensorSpec([batch, h, w, c], tf.float32, name="image")])
    def serve_float(image):
        return {"output": generator(image, training=training)}

    @tf.function(input_signature=[tf.TensorSpec([batch, h, w, c], tf.uint8, name="image")])
    def serve_uint8(image):
        x = tf.cast(image, tf.float32) / 127.5 - 1.0
        y = generator(x, training=training)
        return {"output": tf.cast(tf.round(tf.clip_by_value((y + 1.0) * 127.5, 0, 255)),
                                  tf.uint8)}

    module.serve_float, module.serve_uint8 = serve_float, serve_uint8
    return module


def export_savedmodel(generator, out_dir: str | os.PathLike, name: str = "generator",
                      version: int = 1, training: bool = False, config=None) -> Path:
    """Writes `out_dir/name/version/` (a SavedModel) and returns that path.

    Args:
        generator: the Keras generator.
        out_dir: folder for the model repository.
        name, version: TF Serving's `model_name/version` layout.
        training: run the generator in training mode (default False: the config's
            deterministic `inference_mode`, which the generator computes itself).
        config: the model's `Pix2PixConfig`: its inference contract is written to
            `assets.extra/pix2pix_tf.json` (TF Serving's folder for extra files).
    """
    import tensorflow as tf

    module = serving_module(generator, training=training)
    path = Path(out_dir) / name / str(version)
    tf.saved_model.save(module, str(path), signatures={
        "serving_default": module.serve_float, "serving_uint8": module.serve_uint8})
    if config is not None:
        import json

        from pix2pix_tf.translator import Preprocessor

        (path / "assets.extra").mkdir(exist_ok=True)
        (path / "assets.extra" / "pix2pix_tf.json").write_text(json.dumps(
            {"preprocessor": Preprocessor.from_config(config).to_dict()}, indent=2))
    return path


class SavedModelRunner:
    """Runs the float signature of an exported SavedModel, checking inputs."""

    def __init__(self, path: str | os.PathLike, signature: str = "serving_default"):
        import tensorflow as tf

        self.tf = tf
        self.model = tf.saved_model.load(str(path))
        self.fn = self.model.signatures[signature]
        spec = self.fn.structured_input_signature[1]["image"]
        self.shape, self.dtype = tuple(spec.shape), spec.dtype.as_numpy_dtype

    def __call__(self, x):
        from pix2pix_tf.export.verify import check_input

        check_input(x, self.shape, self.dtype, "SavedModel")
        return self.fn(image=self.tf.constant(x))["output"].numpy()
