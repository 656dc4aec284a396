"""Generator -> TFLite / LiteRT flatbuffer: fp32, fp16 weights, full-integer int8.

Converted with Keras' own LiteRT exporter (`model.export(format="litert")`, which goes
ExportArchive -> SavedModel -> TFLiteConverter) from `serving_model`: a fixed batch of 1
(the shape phones run), input `image`, output `output`. (A TFLite converted from a bare
concrete function of a Keras 3 model came out 60 KB and output NaN; Keras 3.15's exporter
gives the same file as the package's former tf.Module path: export/README.md.)

Quantisations:
- fp32: float weights and maths.
- fp16: float16 weights (half the size), float maths.
- int8: full-integer (every op integer) with LiteRT's own quantizer, calibrated on a
  representative dataset; input/output uint8 pixels (default), int8 or float
  (export/int8.py: why not the converter's int8).
- dynamic: int8 weights; activations quantised per inference by the runtime. With
  LiteRT 2.3's XNNPACK (dynamically quantised int8 kernels) the trained 256x256 paper
  generator ran at 20.6 ms per image on 2 threads with 49.9 dB parity here (an earlier
  session, BatchNorm moving statistics); runtimes without those kernels fall back to
  hybrid ones (13 s per image was reported on an older stack). Offered with that warning.
- converter_int8: the TFLite converter's own full int8 (the export's int8 until the study
  in experiments/results/int8.md); for that study only.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

DYNAMIC_WARNING = ("dynamic-range int8 is fast only where the runtime has XNNPACK's "
                   "dynamically quantised kernels (LiteRT 2.3 here: 20.6 ms per 256x256 image "
                   "on 2 threads, 49.9 dB); older runtimes ran it at ~13 s per image. Time it "
                   "on your target device.")
IO_TYPES = ("float", "int8", "uint8")


def export_tflite(generator, path: str | os.PathLike, quantization: str = "fp32",
                  representative: np.ndarray | None = None, io: str = "uint8",
                  config=None, palette: list[dict] | None = None) -> Path:
    """Converts the generator and writes `path` (a `.tflite` file).

    Every file carries a `pix2pix_tf` metadata entry (`export.litert_model.read_metadata`):
    sizes, channels, direction, value ranges of input and output, package version.

    Args:
        generator: the Keras generator.
        path: output file.
        quantization: "fp32", "fp16", "int8" or "dynamic" ("converter_int8": the
            study's former recipe).
        representative: float inputs in [-1, 1], (N, H, W, C); required for int8.
        io: with int8, the input/output type: "uint8" (the default: RGB pixels 0-255 in
            and out, the normalisation inside the integer graph with fixed ranges),
            "int8" or "float" (both in the generator's [-1, 1] units).
        config: the run's `Pix2PixConfig`, for the metadata (direction, colour space).
        palette: the label colours of a label-map model (`[{"name", "rgb"}]`), stored
            as the metadata's `palette`: the web app then offers its drawing mode.

    Example:
        >>> export_tflite(generator, "g.tflite", "int8", calibration_images)
    """
    import tensorflow as tf

    from pix2pix_tf.export.int8 import integer_friendly, quantize_int8
    from pix2pix_tf.export.litert_model import pin_pixel_ranges, write_metadata

    quantized = quantization in ("int8", "converter_int8")
    if quantized and (representative is None or len(representative) == 0):
        raise ValueError("int8 quantisation needs a representative dataset: it is empty.")
    if io not in IO_TYPES:
        raise ValueError(f"`io` must be one of {IO_TYPES}. Received: io={io!r}")
    pixels = quantized and io == "uint8"
    if pixels:  # calibrate the pixel graph on the same images, as pixels
        representative = np.round((representative + 1.0) * 127.5).astype(np.float32)
    builtins = [tf.lite.OpsSet.TFLITE_BUILTINS]  # never TF "Flex" ops: phones lack them
    if quantization in ("fp32", "int8"):  # int8: float here, LiteRT's quantizer below
        options = {"target_spec": {"supported_ops": builtins}}
    elif quantization == "fp16":
        options = {"optimizations": [tf.lite.Optimize.DEFAULT],
                   "target_spec": {"supported_types": [tf.float16], "supported_ops": builtins}}
    elif quantization == "dynamic":
        warnings.warn(DYNAMIC_WARNING, stacklevel=2)
        options = {"optimizations": [tf.lite.Optimize.DEFAULT],
                   "target_spec": {"supported_ops": builtins}}
    elif quantization == "converter_int8":
        # The TFLite converter's own full int8 (what `int8` was before experiments.int8):
        # kept for the study only.
        calibration = representative
        io_type = {"float": tf.float32, "int8": tf.int8, "uint8": tf.uint8}[io]
        options = {"optimizations": [tf.lite.Optimize.DEFAULT],
                   "representative_dataset": lambda: ([calibration[i:i + 1]]
                                                      for i in range(len(calibration))),
                   "target_spec": {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
                   "inference_input_type": io_type, "inference_output_type": io_type}
    else:
        raise ValueError(f"Unknown TFLite quantisation. Received: {quantization!r}")
    integer = quantization == "int8"
    traced = integer_friendly(generator) if integer else generator
    with tempfile.TemporaryDirectory() as tmp:
        # Keras' own LiteRT exporter (ExportArchive -> SavedModel -> TFLiteConverter): the
        # same artifact, size and parity as the package's former path (export/README.md).
        out = os.path.join(tmp, "model.tflite")
        model = serving_model(traced, pixels)
        # A static batch of 1 (Keras would export a dynamic one): what phones, GPU
        # delegates and LiteRT.js expect.
        spec = tf.TensorSpec(model.inputs[0].shape, tf.float32, name="image")
        model.export(out, format="litert", verbose=False, input_signature=[spec], **options)
        flatbuffer = Path(out).read_bytes()
    if integer:  # LiteRT's quantizer on the float model (export/int8.py says why)
        flatbuffer = quantize_int8(flatbuffer, representative, io)
    if pixels:
        flatbuffer = pin_pixel_ranges(flatbuffer)
    info = describe(generator, quantization, io if quantized else "float", config)
    if palette:
        info["palette"] = palette
    flatbuffer = write_metadata(flatbuffer, info)
    path = Path(path)
    path.write_bytes(flatbuffer)
    return path


def serving_model(generator, pixels: bool = False):
    """The generator as the `.tflite` serves it: batch 1, input `image`, output `output`.

    With `pixels`, float pixels 0-255 in and out (`p / 127.5 - 1` before the generator,
    `(y + 1) * 127.5` after): converted with uint8 input/output, the normalisation
    becomes part of the integer graph (see `export.litert_model.pin_pixel_ranges`).
    """
    import keras

    _, h, w, c = generator.input_shape
    image = keras.Input((h, w, c), batch_size=1, name="image")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="from_pixels")(image) \
        if pixels else image
    y = generator(x, training=False)
    if pixels:
        y = keras.layers.Rescaling(127.5, offset=127.5, name="to_pixels")(y)
    return keras.Model(image, {"output": y}, name="serving")


def describe(generator, quantization: str, io: str, config=None) -> dict:
    """The metadata stored in a `.tflite` file (see `export_tflite`)."""
    from pix2pix_tf import __version__

    _, h, w, c_in = generator.input_shape
    c_out = generator.output_shape[-1]
    lab = config is not None and config.color_space == "lab"
    what_in = "lightness L* (0-100 scaled to the range)" if lab else (
        "grayscale" if c_in == 1 else "RGB")
    what_out = "RGB" if c_out == 3 else f"{c_out}-channel image"
    if io == "uint8":
        ranges = {"dtype": "uint8", "range": [0, 255], "scale": 1.0, "zero_point": 0,
                  "normalisation": "in the graph: x = p / 127.5 - 1, p = (y + 1) * 127.5"}
    else:
        ranges = {"dtype": "int8" if io == "int8" else "float32", "range": [-1.0, 1.0],
                  "normalisation": "outside: x = p / 127.5 - 1, p = (y + 1) * 127.5"
                                   + (" (int8: apply the tensor's scale and zero point)"
                                      if io == "int8" else "")}
    direction = getattr(config, "direction", None)
    preprocessor = None
    if config is not None:
        from pix2pix_tf.preprocessor import Preprocessor

        preprocessor = Preprocessor.from_config(config).to_dict()
    return {
        "model": "pix2pix_tf generator", "version": __version__,
        "quantization": quantization, "signature": "serving_default",
        "input": {"name": "image", "shape": [1, h, w, c_in], "content": what_in},
        "output": {"name": "output", "shape": [1, h, w, c_out], "content": what_out},
        "pixels": ranges, "direction": direction,
        "color_space": getattr(config, "color_space", "rgb"),
        # The inference contract (pix2pix_tf.translator): what the web page reads.
        "preprocessor": preprocessor,
        "description": (f"pix2pix_tf {__version__} generator: {h}x{w} {what_in} -> "
                        f"{what_out}{f' ({direction})' if direction else ''}, {quantization}, "
                        f"{ranges['dtype']} {ranges['range'][0]}..{ranges['range'][1]}"),
    }


class TFLiteRunner:
    """Runs a `.tflite` generator with LiteRT (XNNPACK) on float inputs in [-1, 1].

    A uint8 pixel model (metadata `pixels.dtype == "uint8"`) gets `p = (x + 1) * 127.5`
    rounded, and its pixels are mapped back; other quantised inputs/outputs are
    converted with the model's own scale and zero point. `pixels(uint8 array)` runs a
    pixel model exactly as an app does.
    """

    def __init__(self, path: str | os.PathLike, threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        from pix2pix_tf.export.litert_model import read_metadata

        self.metadata = read_metadata(path) or {}
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.inp = self.interpreter.get_input_details()[0]
        self.out = self.interpreter.get_output_details()[0]
        self.shape = (None, *map(int, self.inp["shape"][1:]))
        self.is_pixel_model = self.metadata.get("pixels", {}).get("dtype") == "uint8"

    def pixels(self, image: np.ndarray) -> np.ndarray:
        """uint8 pixels (N, H, W, C) in, uint8 pixels out (pixel models only)."""
        from pix2pix_tf.export.verify import check_input

        if not self.is_pixel_model:
            raise ValueError("pixels() runs uint8 pixel models (int8 exported with "
                             "--int8-io uint8). Received: a model with "
                             f"{np.dtype(self.inp['dtype']).name} input")
        check_input(image, self.shape, np.uint8, "TFLite")
        out = []
        for i in range(len(image)):
            self.interpreter.set_tensor(self.inp["index"], image[i:i + 1])
            self.interpreter.invoke()
            out.append(self.interpreter.get_tensor(self.out["index"]))
        return np.concatenate(out)

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        if self.is_pixel_model:
            p = np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)
            return self.pixels(p).astype(np.float32) / 127.5 - 1.0
        scale, zero = self.inp["quantization"]
        if self.inp["dtype"] != np.float32:
            info = np.iinfo(self.inp["dtype"])
            x = np.clip(np.round(x / scale + zero), info.min, info.max)
        self.interpreter.set_tensor(self.inp["index"], x.astype(self.inp["dtype"]))
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self.out["index"])
        scale, zero = self.out["quantization"]
        if self.out["dtype"] != np.float32:
            y = (y.astype(np.float32) - zero) * scale
        return y

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from pix2pix_tf.export.verify import check_input

        check_input(x, self.shape, np.float32, "TFLite")
        return np.concatenate([self._run_one(x[i:i + 1]) for i in range(len(x))])


def gpu_compatibility(path: str | os.PathLike) -> dict:
    """What LiteRT's model analyzer says of the GPU delegate for a `.tflite` file.

    Returns:
        `{"gpu_delegate": "compatible" | "not compatible", "gpu_issues": [lines]}`:
        the analyzer's GPU compatibility warnings (the ops that would fall back to
        the CPU). The analyzer checks op support statically; a compatible model can
        still meet runtime limits on a given phone.
    """
    import contextlib
    import io

    import tensorflow as tf

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        tf.lite.experimental.Analyzer.analyze(model_path=str(path), gpu_compatibility=True)
    return parse_gpu_report(text.getvalue())


def parse_gpu_report(text: str) -> dict:
    """The GPU verdict and warnings from the analyzer's printed report."""
    issues = [line.strip() for line in text.splitlines()
              if "GPU COMPATIBILITY WARNING" in line]
    ok = "looks compatible with GPU delegate" in text and not issues
    return {"gpu_delegate": "compatible" if ok else "not compatible", "gpu_issues": issues}
