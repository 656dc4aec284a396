"""Export the full-size (256x256, 54.4M-parameter) generator to every format.

    python -m benchmarks.export_full [--model RUN_DIR] [--data ../shared/data/facades/train]

Without --model it trains the paper generator for --steps steps first (int8 parity
is judged on trained weights), then runs `python -m pix2pix_tf export`'s pipeline and prints
the report with each conversion's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def export_full(model=None, data=None, steps: int = 40, out=None,
                formats: str = "savedmodel,tflite,onnx", quantize: str = "fp32,fp16,int8"):
    """Trains (unless `model` is given) and exports the 256x256 generator.

    Returns:
        `(entries, out_dir, model_path)`; a missed threshold is kept in the entries.
    """
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.export import ExportError, run_export

    out = Path(out or tempfile.mkdtemp(prefix="export_full_"))
    if model is None:
        model = out / "run"
        train(Pix2PixConfig(seed=0, epochs=1, steps_per_epoch=steps, sample_every=0,
                            direction="BtoA" if data else "AtoB"), model, data=data, verbose=2)
    try:
        entries = run_export(model, formats, quantize, out / "exports", data, num_verify=8,
                             calibration_samples=32)
    except ExportError as e:  # keep the report of a missed threshold
        print(f"error: {e}")
        entries = e.entries
    return entries, out / "exports", model


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=None, help="a run dir or .keras (default: train one)")
    p.add_argument("--data", default=None, help="training / calibration data")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--out", default=None)
    p.add_argument("--formats", default="savedmodel,tflite,onnx")
    p.add_argument("--quantize", default="fp32,fp16,int8")
    args = p.parse_args()

    from benchmarks.common import emit, machine

    emit({"benchmark": "export_full", **machine()})
    entries, exports, _ = export_full(args.model, args.data, args.steps, args.out, args.formats,
                                      args.quantize)
    for e in entries:
        emit({"benchmark": "export_full", **e})
    print((exports / "report.md").read_text())


if __name__ == "__main__":
    main()
