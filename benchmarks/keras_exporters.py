"""Keras 3's own exporters against the package's, on the same generator.

    python -m benchmarks.keras_exporters --model runs/int8/facades400 \\
        [--data ../shared/data/facades/train] [--paths ours_savedmodel,keras_litert,...]

Each path converts in its own process (peak RSS read with os.wait4), then the artifact is
sized, run on 4 real inputs and compared with the Keras generator (max abs error):
- `ours_savedmodel` (pix2pix_tf.export.savedmodel, tf.Module tracking each variable once) vs
  `keras_archive` (`keras.export.ExportArchive`) vs `keras_export_tf_saved_model`
  (`model.export(format="tf_saved_model")`);
- `ours_tflite` (pix2pix_tf.export.tflite, fp32, from our SavedModel) vs `keras_litert`
  (`model.export(format="litert")`);
- `ours_onnx` (pix2pix_tf.export.onnx, weights as graph inputs) vs `keras_onnx`
  (`model.export(format="onnx")`).
Writes `benchmarks/results/keras_exporters.md`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PATHS = ("ours_savedmodel", "keras_archive", "keras_export_tf_saved_model", "ours_tflite",
         "keras_litert", "ours_onnx", "keras_onnx")


def convert(path_name: str, model: str, out: str) -> None:
    """One conversion (child process)."""
    import keras

    from pix2pix_tf.export.common import load

    generator, config = load(model)
    sample = keras.ops.zeros((1, *generator.input_shape[1:]))
    generator(sample, training=False)
    if path_name == "ours_savedmodel":
        from pix2pix_tf.export.savedmodel import export_savedmodel

        export_savedmodel(generator, out, "g", 1)
    elif path_name == "keras_archive":
        archive = keras.export.ExportArchive()
        archive.track(generator)
        archive.add_endpoint("serve", lambda x: generator(x, training=False),
                             input_signature=[keras.InputSpec(
                                 shape=(None, *generator.input_shape[1:]), dtype="float32")])
        archive.write_out(out)
    elif path_name == "keras_export_tf_saved_model":
        generator.export(out, format="tf_saved_model")
    elif path_name == "ours_tflite":
        from pix2pix_tf.export.tflite import export_tflite

        export_tflite(generator, out, "fp32", config=config)
    elif path_name == "keras_litert":
        generator.export(out, format="litert")
    elif path_name == "ours_onnx":
        from pix2pix_tf.export.onnx import export_onnx

        export_onnx(generator, out)
    elif path_name == "keras_onnx":
        generator.export(out, format="onnx")
    else:
        raise ValueError(f"Unknown path. Received: {path_name!r}")


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _run(path_name: str, path: Path, x):
    """The artifact's outputs on `x` (float [-1, 1])."""
    import numpy as np

    if "saved" in path_name or "archive" in path_name:
        import tensorflow as tf

        loaded = tf.saved_model.load(str(path if path_name != "ours_savedmodel"
                                         else path / "g" / "1"))
        if path_name == "ours_savedmodel":
            fn = loaded.signatures["serving_default"]
            return np.concatenate([fn(image=tf.constant(x[i:i + 1]))["output"].numpy()
                                   for i in range(len(x))])
        return np.concatenate([np.asarray(loaded.serve(tf.constant(x[i:i + 1])))
                               for i in range(len(x))])
    if "litert" in path_name or "tflite" in path_name:
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_path=str(path), num_threads=2)
        it.allocate_tensors()
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        ys = []
        for i in range(len(x)):
            if list(inp["shape"]) != [1, *x.shape[1:]]:
                it.resize_tensor_input(inp["index"], [1, *x.shape[1:]])
                it.allocate_tensors()
            it.set_tensor(inp["index"], x[i:i + 1])
            it.invoke()
            ys.append(it.get_tensor(out["index"]))
        return np.concatenate(ys)
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--data", default=None, help="default: the run's recorded data")
    p.add_argument("--paths", default=",".join(PATHS))
    p.add_argument("--out", default="runs/keras_exporters")
    p.add_argument("--results", default="benchmarks/results/keras_exporters.md")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        convert(*args.child)
        return

    import numpy as np

    from benchmarks.common import emit, machine
    from pix2pix_tf.export.common import load, sample_inputs

    generator, config = load(args.model)
    x, description = sample_inputs(config, args.data, 4, args.model)
    reference = np.asarray(generator(x, training=False))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.paths.split(","):
        suffix = {"ours_tflite": ".tflite", "keras_litert": ".tflite",
                  "ours_onnx": ".onnx", "keras_onnx": ".onnx"}.get(name, "")
        path = out / f"{name}{suffix}"
        start = time.time()
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.keras_exporters",
                                 "--model", args.model, "--child", name, args.model,
                                 str(path)], stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        err = proc.stderr.read()
        row = {"path": name, "peak_rss_mb": round(usage.ru_maxrss / 1024),
               "seconds": round(time.time() - start)}
        if os.waitstatus_to_exitcode(status) != 0:
            row["error"] = (err.strip().splitlines() or ["?"])[-1][:200]
        else:
            try:
                y = _run(name, path, x)
                row.update(size_mb=round(_size(path) / 1e6, 1),
                           max_abs_error=float(np.max(np.abs(y - reference))),
                           finite=bool(np.all(np.isfinite(y))))
            except Exception as e:  # a runtime refusing the artifact
                row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        rows.append(row)
        emit(row)
    info = machine()
    lines = [f"Machine: {info['cpu']}, {info['cores']} cores, TF {info.get('tensorflow')}, "
             f"Keras {__import__('keras').__version__}, {info['date']}. Model: "
             f"{args.model} ({generator.count_params() / 1e6:.1f}M parameters); parity on "
             f"4 inputs from {description}.", "",
             "| path | size (MB) | max abs error vs Keras | peak RSS (MB) | seconds | note |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        err = r.get("max_abs_error")
        lines.append(f"| {r['path']} | {r.get('size_mb', '–')} | "
                     f"{'–' if err is None else format(err, '.1e')} | {r['peak_rss_mb']} | "
                     f"{r['seconds']} | {r.get('error', '')} |")
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
