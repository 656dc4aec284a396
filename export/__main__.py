"""`python -m pix2pix_tf export --model PATH --formats ... --quantize ... --out DIR`."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

EPILOG = """examples:
  python -m pix2pix_tf export --model runs/facades --out exports/facades
  python -m pix2pix_tf serve --model exports/facades      # the web page, on localhost
  python -m pix2pix_tf export web --model exports/facades --out site   # static offline app
  python -m pix2pix_tf serve --site site                 # ... served on localhost
  python -m pix2pix_tf export --model runs/facades/generator.keras --formats tflite \\
      --quantize int8 \\
      --representative-data ../shared/data/facades/train --out exports/phone
"""


def web_main(argv: list[str]) -> int:
    """`python -m pix2pix_tf export web --model EXPORT_DIR --out SITE [--ship auto]`.

    Returns:
        The exit status: 0 written, 2 bad input (one `error:` line).
    """
    from pix2pix_tf.errors import Pix2PixError

    p = argparse.ArgumentParser(
        prog="python -m pix2pix_tf export web",
        description="Write the web page, LiteRT.js and the chosen .tflite model(s) as a "
                    "static, installable web app that works offline after the first visit "
                    "(a service worker caches it). Any static host serves the folder; the "
                    "camera, offline use and installing need HTTPS or localhost.")
    p.add_argument("--model", required=True, help="export folder with .tflite files")
    p.add_argument("--out", required=True, help="site folder to write (new or empty)")
    p.add_argument("--ship", default="auto",
                   help="models to include: auto (the int8 model if there is one, else the "
                        "smallest), all, or quantizations / file names, comma-separated "
                        "(default: auto)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the content of a non-empty --out")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    args = p.parse_args(argv)
    from pix2pix_tf.export.site import build_site

    try:
        info = build_site(args.model, args.out, args.ship, args.overwrite)
    except Pix2PixError as e:
        return _bad_input(e, args.debug)
    print(f"Wrote {info['out']} ({info['bytes'] / 1e6:.1f} MB; model(s): "
          f"{', '.join(info['models'])}; cache {info['version']}).\n"
          f"Try it: python -m pix2pix_tf serve --site {info['out']}  (then open "
          "http://127.0.0.1:8000/), or publish the folder on any HTTPS static host.")
    return 0


def serve_main(argv: list[str]) -> int:
    """`python -m pix2pix_tf serve (--model EXPORT_DIR | --site SITE) [--port] [--host]`."""
    from pix2pix_tf.errors import Pix2PixError

    p = argparse.ArgumentParser(
        prog="python -m pix2pix_tf serve",
        description="Serve the web page (export/web) that runs the folder's "
                    ".tflite files in the browser with LiteRT.js, or a static site built "
                    "by `python -m pix2pix_tf export web`.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", help="export folder with .tflite files")
    which.add_argument("--site", help="a folder written by `python -m pix2pix_tf export web`")
    p.add_argument("--port", type=int, default=8000, help="(default: 8000)")
    p.add_argument("--host", default="127.0.0.1",
                   help="(default: 127.0.0.1) requests must name it, localhost or 127.0.0.1 "
                        "in their Host header; 0.0.0.0 also accepts IP addresses and this "
                        "machine's name")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    args = p.parse_args(argv)
    from pix2pix_tf.export.serve import serve

    try:
        serve(args.model, args.host, args.port, site=args.site)
    except Pix2PixError as e:
        return _bad_input(e, args.debug)
    return 0


def main(argv: list[str] | None = None) -> int:
    import inspect

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        return serve_main(argv[1:])
    if argv[:1] == ["web"]:
        return web_main(argv[1:])

    from pix2pix_tf.export import run_export

    defaults = {k: v.default for k, v in inspect.signature(run_export).parameters.items()}

    def opt(flag: str, help: str, **kwargs) -> None:
        name = flag[2:].replace("-", "_")
        shown = defaults.get(name, kwargs.get("default"))
        p.add_argument(flag, help=f"{help} (default: {shown})", default=None, **kwargs)

    p = argparse.ArgumentParser(prog="python -m pix2pix_tf export", description=__doc__,
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="run directory or generator .keras file")
    p.add_argument("--out", required=True, help="output folder")
    # Defaults live in run_export's signature only; unset flags are not passed.
    opt("--formats", "savedmodel, tflite, onnx (comma-separated)")
    opt("--quantize", "fp32, fp16, int8 (full integer), dynamic (slow: see export/README.md)")
    opt("--representative-data", "inputs for verification and int8 calibration (folder, "
        "archive or dataset name); None: the run's recorded training data")
    opt("--num-verify", "inputs compared with Keras", type=int)
    opt("--calibration-samples", "int8 representative images", type=int)
    opt("--threads", "threads of the runtimes when timing", type=int)
    opt("--opset", "ONNX opset, at most 18", type=int)
    p.add_argument("--onnx-layout", choices=("nhwc", "nchw"), default="nhwc")
    opt("--int8-io", "TFLite int8 input/output type", choices=("uint8", "int8", "float"))
    opt("--direction", "which half of an A|B image is the input; None: the one the model "
        "file records", choices=("AtoB", "BtoA"))
    p.add_argument("--debug", action="store_true")
    args = p.parse_args(argv)
    given = {k: v for k, v in vars(args).items()
             if v is not None and k in defaults and k not in ("model", "out")}
    if args.onnx_layout == "nchw":
        given["nchw"] = True

    from pix2pix_tf.errors import Pix2PixError
    from pix2pix_tf.export import ExportError

    try:
        run_export(args.model, out=args.out, **given)
    except ExportError as e:
        print(open(os.path.join(args.out, "report.md")).read())
        refused = [x for x in e.entries if not x["passed"]]
        if refused and "quantize" not in given and all(
                x["quantization"] == "int8" for x in refused):
            # The default list tries int8 for phones, but full-integer parity depends on
            # the trained weights: a refusal is reported, not a failed export.
            print(_int8_refused(refused, e.entries))
            return 0
        print(f"error: {e}", file=sys.stderr)
        return 1
    except Pix2PixError as e:  # bad input; anything else keeps its traceback
        return _bad_input(e, args.debug)
    print(open(os.path.join(args.out, "report.md")).read())
    return 0


def _bad_input(error: Exception, debug: bool) -> int:
    """One `error:` line (the traceback too with --debug); exit status 2."""
    if debug:
        traceback.print_exc()
    print(f"error: {error}", file=sys.stderr)
    return 2


def _int8_refused(refused: list[dict], entries: list[dict]) -> str:
    """The note printed when the default command's int8 missed its parity bar."""
    small = sorted((x for x in entries if x["passed"] and x["format"] == "tflite"),
                   key=lambda x: x.get("size_bytes") or 0)
    best = (f"the smallest .tflite that passed is {small[0]['path']} "
            f"({small[0]['quantization']}, {small[0]['size_bytes'] / 1e6:.1f} MB)"
            if small else "no other .tflite was requested")
    scores = ", ".join(f"{x['format']} {x['quantization']}: PSNR {x.get('psnr_db')} dB, "
                       f"needs {x.get('threshold')}" for x in refused)
    removed = [Path(x["previous_removed"]).name for x in refused if x.get("previous_removed")]
    gone = (f" (the previous export's {', '.join(removed)} was removed)" if removed else "")
    return (f"note: full-integer int8 was refused ({scores}); nothing was written for it"
            f"{gone}. "
            f"{best}. For int8 weights try `--quantize dynamic` (see export/README.md); "
            "asking for `--quantize int8` explicitly makes a refusal an error (exit 1).")


if __name__ == "__main__":
    from pix2pix_tf.tf_log import quiet_tensorflow

    with quiet_tensorflow("--debug" not in sys.argv):
        status = main()
    sys.exit(status)
