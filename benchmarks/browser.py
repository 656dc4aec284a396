"""The exported generator in the web page: latency and parity in headless Chromium.

    python -m benchmarks.browser --exports exports/facades --model runs/facades \\
        [--data ../shared/data/facades/train] [--files generator_int8.tflite,...]

For each `.tflite` of the export folder, the page (export/web, LiteRT.js WebAssembly on
the CPU) translates one real input; its output is compared with the Keras generator on
the same pixels (PSNR in [-1, 1] units, as the export's bar) and its median latency of 5
runs is printed with the Python LiteRT interpreter's on the same machine and threads.
Needs Chromium and `npm ci --prefix export/web`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exports", required=True, help="folder written by python -m pix2pix_tf export")
    p.add_argument("--model", required=True, help="the run (or .keras) it was exported from")
    p.add_argument("--data", default=None, help="default: the run's recorded data")
    p.add_argument("--files", default=None, help="default: every .tflite of --exports")
    args = p.parse_args()

    import numpy as np
    from PIL import Image

    from benchmarks.common import emit, machine
    from pix2pix_tf.export.browser import run_page
    from pix2pix_tf.export.common import load, median_latency_ms, psnr_db, sample_inputs
    from pix2pix_tf.export.tflite import TFLiteRunner

    emit({"benchmark": "browser", **machine()})
    generator, config = load(args.model)
    x, _ = sample_inputs(config, args.data, 1, args.model)
    pixels = np.clip(np.round((x[0] + 1) * 127.5), 0, 255).astype(np.uint8)
    keras = np.asarray(generator(pixels[None] / 127.5 - 1.0, training=False))[0]
    reference = np.clip(np.round((keras + 1) * 127.5), 0, 255) / 127.5 - 1
    files = (args.files.split(",") if args.files else
             [f.name for f in sorted(Path(args.exports).glob("*.tflite"))])
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "input.png"
        Image.fromarray(pixels.squeeze() if pixels.shape[-1] == 1 else pixels).save(image)
        for name in files:
            result = run_page(args.exports, name, image, timeout=600)
            got = result["pixels"].astype(np.float32) / 127.5 - 1
            runner = TFLiteRunner(Path(args.exports) / name, threads=result["threads"])
            emit({"benchmark": "browser", "file": name, "accelerator": result["accelerator"],
                  "threads": result["threads"],
                  "browser_latency_ms": round(result["latency_ms"], 1),
                  "python_litert_latency_ms": round(median_latency_ms(runner, x, 5), 1),
                  "psnr_db_vs_keras": round(psnr_db(reference, got) or float("inf"), 2)})


if __name__ == "__main__":
    main()
