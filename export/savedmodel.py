"""Generator -> TensorFlow SavedModel, in TF Serving's versioned layout (`NAME/1/`).

Three signatures:
- `serving_default`: `image` float32 (N, H, W, C) in [-1, 1] -> `output` float32.
- `serving_uint8` (for apps): `image` uint8 (N, H, W, C) -> `output` uint8; the
  normalisation is inside the graph.
- `serving_bytes` (for TF Serving's REST and gRPC clients): `image_bytes` string (N,)
  encoded images (PNG, JPEG, GIF, BMP, WebP, JPEG XL; any size) and `key` string (N,)
  -> `output_bytes` string (N,) PNG files and `key`, passed through so a batch client
  can match results.
  The graph runs the inference contract (`pix2pix_tf.translator`, steps 2-6: channels,
  Lab L*, resize or crop, range, network, pixels, back to the image's size), so its
  PNGs hold `translate`'s pixels. Inputs are single images (an A|B pair is not split).
  The `_bytes` suffixes are TF Serving's REST convention: such strings travel as
  `{"b64": ...}` in JSON. `serving_default` stays the float signature: existing clients
  and the export's own verification call it.

The module tracks the generator's TensorFlow variables directly, so each weight is
stored once (Keras' `Model.export()` stores every weight twice: 416 MB for the
208 MB paper generator).
"""

from __future__ import annotations

import os
from pathlib import Path

from pix2pix_tf.export.serving import INPUT, KEY, OUTPUT
from pix2pix_tf.export.serving import SIGNATURE as BYTES_SIGNATURE

# Magic numbers (offset, bytes) of the formats `tf.io.decode_image` reads: a request
# with anything else fails with a message naming the instance's key, not the decoder's.
_MAGIC = ((0, b"\x89PNG"), (0, b"\xff\xd8\xff"), (0, b"GIF8"), (0, b"BM"), (8, b"WEBP"),
          (0, b"\xff\x0a"), (4, b"JXL "))
FORMATS = "PNG, JPEG, GIF, BMP, WebP or JPEG XL"


def bytes_function(generator, preprocessor, training: bool = False):
    """The `serving_bytes` function: encoded images and keys -> PNG files and keys.

    Args:
        generator: the exported network (model input in [-1, 1] -> RGB in [-1, 1]; a Lab
            model's L -> RGB conversion inside, see `Translator.export_model`).
        preprocessor: the model's `Preprocessor` (channels, colour space, size, fit).
        training: run the generator in training mode (as `serving_module`).

    Returns:
        A `tf.function` taking `image_bytes` and `key` (string vectors of one length)
        and returning `{"output_bytes": PNG strings, "key": key}`.
    """
    import tensorflow as tf

    from pix2pix_tf.preprocessor import decode

    pre = preprocessor
    h, w = pre.image_size
    model_input = tf.TensorSpec([h, w, pre.input_channels], tf.float32)

    def prepare(args):
        contents, key = args
        # The first 12 bytes, padded (a substring past the end is an error, not "").
        head = tf.strings.join([tf.strings.substr(contents, 0, 12), b"\0" * 12])
        known = tf.reduce_any([tf.strings.substr(head, at, len(m)) == m for at, m in _MAGIC])
        check = tf.debugging.Assert(known, [f"image_bytes: not a {FORMATS} image; key:", key])
        with tf.control_dependencies([check]):
            # As `translate` reads files: RGB first, the model's channels in `prepare`.
            image = decode(contents, 3)
        return pre.prepare(image), tf.shape(image)[:2]

    def finish(args):
        rgb, size = args  # step 6 as `translate` runs it (`Preprocessor.restore`)
        return tf.io.encode_png(pre.output(rgb, size))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=INPUT),
                                  tf.TensorSpec([None], tf.string, name=KEY)])
    def serve_bytes(image_bytes, key):
        x, sizes = tf.map_fn(prepare, (image_bytes, key), fn_output_signature=(
            model_input, tf.TensorSpec([2], tf.int32)))
        y = tf.cast(generator(x, training=training), tf.float32)
        png = tf.map_fn(finish, (y, sizes), fn_output_signature=tf.string)
        return {OUTPUT: png, KEY: tf.identity(key)}

    return serve_bytes


def serving_module(generator, training: bool = False, batch: int | None = None,
                   preprocessor=None):
    """A `tf.Module` with the serving functions and the generator's variables:
    `serve_float` ([-1, 1] in and out), `serve_uint8` (uint8 pixels) and, given the
    model's `preprocessor`, `serve_bytes` (encoded images, see `bytes_function`)."""
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
    if preprocessor is not None:
        module.serve_bytes = bytes_function(generator, preprocessor, training)
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
            `assets.extra/pix2pix_tf.json` (TF Serving's folder for extra files) and
            folded into the `serving_bytes` signature (without it, the generator's own
            `pix2pix_config` if it has one; else no `serving_bytes`).
    """
    import tensorflow as tf

    from pix2pix_tf.preprocessor import Preprocessor

    contract = config if config is not None else getattr(generator, "pix2pix_config", None)
    pre = Preprocessor.from_config(contract) if contract is not None else None
    module = serving_module(generator, training=training, preprocessor=pre)
    path = Path(out_dir) / name / str(version)
    signatures = {"serving_default": module.serve_float, "serving_uint8": module.serve_uint8}
    if pre is not None:
        signatures[BYTES_SIGNATURE] = module.serve_bytes
    tf.saved_model.save(module, str(path), signatures=signatures)
    if config is not None:
        import json

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
