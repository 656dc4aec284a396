"""`python -m export --model PATH --formats ... --quantize ... --out DIR`."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

EPILOG = """examples:
  python -m export --model runs/facades --out exports/facades
  python -m export --model runs/facades/generator.keras --formats tflite --quantize int8 \\
      --representative-data ../shared/data/facades/train --out exports/phone
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m export", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="run directory or generator .keras file")
    p.add_argument("--formats", default="savedmodel,tflite,onnx")
    p.add_argument("--quantize", default="fp32,fp16,int8",
                   help="fp32, fp16, int8 (full integer), dynamic (slow: see export/README.md)")
    p.add_argument("--representative-data", default=None,
                   help="inputs for verification and int8 calibration (folder, archive or "
                        "dataset name); default: the run's training data")
    p.add_argument("--out", required=True)
    p.add_argument("--num-verify", type=int, default=8)
    p.add_argument("--calibration-samples", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default 17, max 18)")
    p.add_argument("--onnx-layout", choices=("nhwc", "nchw"), default="nhwc")
    p.add_argument("--int8-io", choices=("uint8", "int8", "float"), default="uint8")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args(argv)

    from export import ExportError, run_export
    from export.onnx import DEFAULT_OPSET
    from pix2pix_tf.errors import DataError

    try:
        run_export(args.model, args.formats, args.quantize, args.out, args.representative_data,
                   args.num_verify, args.calibration_samples, args.threads,
                   args.opset or DEFAULT_OPSET, args.onnx_layout == "nchw", args.int8_io)
    except ExportError as e:
        print(open(os.path.join(args.out, "report.md")).read())
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (DataError, ValueError, OSError) as e:
        if args.debug:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(open(os.path.join(args.out, "report.md")).read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
