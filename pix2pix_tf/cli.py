"""Command line: `python -m pix2pix_tf train|translate|evaluate|export|serve` (also
`pix2pix-tf`).

Every `Pix2PixConfig` field is a `train` flag (`--image-size`, `--gan-mode`, ...),
generated from the config, so the defaults live in one place.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import traceback

from pix2pix_tf.config import ARCHITECTURE, DATA, PRESETS, Pix2PixConfig, cli_fields

EXAMPLES = """examples:
  # built-in synthetic data, small and quick (no download):
  python -m pix2pix_tf train --out runs/demo --image-size 128 --epochs 5
  # a folder of side-by-side A|B images, labels on the right:
  python -m pix2pix_tf train --data path/to/facades/train --direction BtoA --out runs/facades
  # folders A/ and B/ paired by file name, grayscale -> colour:
  python -m pix2pix_tf train --data path/with/A_and_B --input-channels 1 --out runs/color
  # self-paired colourisation from any folder of colour photos (grayscale -> colour):
  python -m pix2pix_tf train --data colorize:path/to/photos --out runs/color
  # photo -> pencil sketch, photo -> Canny edges, and back with --direction BtoA:
  python -m pix2pix_tf train --data sketch:path/to/photos --out runs/sketch
  python -m pix2pix_tf train --data edges:path/to/photos --direction BtoA --out runs/edges2photo
  # a standard dataset by name (downloaded once; its usual direction, facades: BtoA):
  python -m pix2pix_tf train --data facades --out runs/facades
  # the reference implementation's training, exactly (alternating updates, 100+100 epochs):
  python -m pix2pix_tf train --data facades --preset reference --out runs/facades_ref
  # all local GPUs (global batch 16 = 8 GPUs x 2); add --sync-batch-norm or --norm instance:
  python -m pix2pix_tf train --data facades --strategy mirrored --batch-size 16 --out runs/f
  # continue after an interruption:
  python -m pix2pix_tf train --out runs/facades --resume
  # translate images with a trained model:
  python -m pix2pix_tf translate --model runs/facades photos/*.png --out results/
  # many images on Ray Data actors (here, or a cluster: --ray-address auto); outputs
  # already there are skipped, so re-running continues an interrupted run:
  python -m pix2pix_tf translate --engine ray --model runs/facades photos/ --out results/
  # large photos at their own size: tiles at the model's size, blended (or --size native):
  python -m pix2pix_tf translate --model runs/edges photos/ --out results/ --size tiled
  # a video, frame by frame (frame rate, frame count, size and audio kept):
  python -m pix2pix_tf translate --model runs/day2night input.mp4 --out output.mp4
  # L1 / PSNR / SSIM on a split (or on a seeded hold-out of data without one):
  python -m pix2pix_tf evaluate --model runs/facades --split val
"""

# Threading: TensorFlow's own defaults (0 = as many threads as cores, intra- and
# inter-op), exactly what the Python API and a notebook get, so the CLI and `fit` train
# at the same speed. On the 2-core development machine that is inter-op 2, which beat
# inter-op 1 by ~15% per step when quiet (under load 1 can win: set the flags).
DEFAULT_INTER_OP_THREADS = 0


def _flag_type(f: dataclasses.Field):
    ann = str(f.type)
    if f.name == "image_size":
        return str  # N or HxW, parsed by the config
    if ann.startswith("bool"):
        return bool
    if "float" in ann:
        return float
    if "int" in ann:
        return int
    return str


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    groups = {g: parser.add_argument_group(f"{g} options (Pix2PixConfig)")
              for g in (ARCHITECTURE, DATA, "training")}
    for f in cli_fields():
        group = groups[f.metadata["group"]]
        flag = "--" + f.name.replace("_", "-")
        kind = _flag_type(f)
        default = f.default if not isinstance(f.default, tuple) else "x".join(map(str, f.default))
        # A None default is explained by the help text itself ("default: ...").
        help_text = f.metadata.get("help", "") + ("" if default is None else
                                                  f" (default: {default})")
        if kind is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                               help=help_text)
        else:
            group.add_argument(flag, type=kind, default=None, choices=f.metadata.get("choices"),
                               metavar=None if f.metadata.get("choices") else f.name.upper(),
                               help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pix2pix_tf", description="Pix2Pix image-to-image translation.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("--data", default=None,
                   help="folder of A|B images, folder with A/ and B/, dataset archive, or a "
                        "dataset name (facades, cityscapes, maps, edges2shoes, edges2handbags, "
                        "night2day), or TASK:FOLDER, a self-paired task on plain photos (colorize, "
                        "decolorize, sketch, edges);"
                        " default: built-in synthetic facades")
    t.add_argument("--out", required=True, help="run directory")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its latest checkpoint")
    t.add_argument("--data-dir", default=None, help="cache for downloaded datasets")
    t.add_argument("--preset", default="default", choices=tuple(PRESETS),
                   help="named option set: default, paper (the paper's network exactly: "
                        "transposed convolutions in the decoder), mobile (half-width "
                        "generator for phones), reference (the reference code's training: "
                        "alternating updates, 100 + 100 decay epochs, Adam eps 1e-8); "
                        "flags override it")
    t.add_argument("--intra-op-threads", type=int, default=0, help="0 = all cores")
    t.add_argument("--inter-op-threads", type=int, default=DEFAULT_INTER_OP_THREADS,
                   help="0 = TensorFlow's default (one per core)")
    t.add_argument("--strategy", default="default",
                   choices=("default", "mirrored", "multiworker", "tpu"),
                   help="tf.distribute strategy; --batch-size is the global batch")
    t.add_argument("--verbose", default="auto", help="Keras fit verbosity: auto, 0, 1, 2")
    t.add_argument("--debug", action="store_true", help="show Python tracebacks")
    _add_config_flags(t)

    r = sub.add_parser("translate", help="translate images with a trained model")
    r.add_argument("--model", required=True, help="run directory or generator .keras file")
    r.add_argument("inputs", nargs="+", help="image files or folders, or video files "
                                              "(.mp4, .mov, .mkv, .avi, .webm)")
    r.add_argument("--out", required=True,
                   help="output folder (PNG files; videos as NAME.mp4), or for one video "
                        "input the output video file")
    r.add_argument("--inference-mode", default=None,
                   choices=("image_stats", "moving_stats", "batch_stats"),
                   help="override the run's inference mode (see train --help)")
    r.add_argument("--layout", default="auto", choices=("auto", "single", "ab"),
                   help="auto: images twice the model's aspect ratio are A|B pairs, their "
                        "input half is translated; single: never split; ab: always split")
    r.add_argument("--direction", default=None, choices=("AtoB", "BtoA"),
                   help="which half of an A|B image is the input (default: the one the "
                        "model file records)")
    r.add_argument("--batch-size", type=int, default=8,
                   help="images per call (the results do not depend on it)")
    # Validated by the Translator (one line naming the option), not by argparse.
    r.add_argument("--size", default=None, metavar="{resize,crop,native,tiled}",
                   help="how an image's size is treated: resize (to the model's size and "
                        "back) or crop (the model's centre crop), the model's recorded "
                        "default; native (the whole image at its own size, padded to what "
                        "the network takes); tiled (tiles at the model's size, overlapped "
                        "and blended; any size, bounded memory)")
    r.add_argument("--tile-overlap", default=0.25, type=str, metavar="FRACTION",
                   help="--size tiled: the fraction of a tile shared with each neighbour "
                        "(default: 0.25)")
    r.add_argument("--memory-limit", default=4.0, type=str, metavar="GB",
                   help="--size native refuses an image whose estimated activations "
                        "exceed this (default: 4)")
    r.add_argument("--overwrite", action="store_true",
                   help="replace existing output files (never an input); with --engine "
                        "ray: recompute them (default: skip them)")
    g = r.add_argument_group("engine (images only; pip install -e '.[ray]')")
    g.add_argument("--engine", default="local", choices=("local", "ray"),
                   help="local: this process; ray: a pool of Ray Data actors, each with "
                        "the same translator, on this machine or a Ray cluster (outputs "
                        "already there are skipped, failed images reported by name)")
    g.add_argument("--ray-address", default=None,
                   help="the Ray cluster this node belongs to: auto (the one `ray start` "
                        "joined here) or HEAD:6379 (default: a local Ray started "
                        "in-process)")
    g.add_argument("--workers", type=int, default=None,
                   help="actors (default: the cluster's CPUs / --cpus-per-worker, or its "
                        "GPUs / --gpus-per-worker)")
    g.add_argument("--cpus-per-worker", type=float, default=1,
                   help="Ray CPUs of each actor, also its TensorFlow threads (default: 1)")
    g.add_argument("--gpus-per-worker", type=float, default=0,
                   help="Ray GPUs of each actor (default: 0)")
    r.add_argument("--debug", action="store_true", help="show Python tracebacks")

    e = sub.add_parser("evaluate", help="L1 / PSNR / SSIM of a trained model on a data split")
    e.add_argument("--model", required=True, help="run directory or generator .keras file")
    e.add_argument("--data", default=None,
                   help="--data spec as for train; default: the run's recorded data")
    e.add_argument("--direction", default=None, choices=("AtoB", "BtoA"),
                   help="which side of the pairs is the input (default: the one the model "
                        "file records)")
    e.add_argument("--inference-mode", default=None,
                   choices=("image_stats", "moving_stats", "batch_stats"),
                   help="override the model's inference mode (batch_stats: seeded dropout)")
    e.add_argument("--split", default=None,
                   help="test, val or train (default: test, else val; a folder without "
                        "train/val/test subfolders: all of it)")
    e.add_argument("--val-fraction", type=float, default=None,
                   help="instead of --split: hold out this fraction of the training pairs "
                        "(seeded permutation, see --seed)")
    e.add_argument("--seed", type=int, default=0, help="seed of the --val-fraction hold-out")
    e.add_argument("--out", default=None, help="output folder (default: RUN/eval_SPLIT)")
    e.add_argument("--batch-size", type=int, default=8, help="images per call")
    e.add_argument("--data-dir", default=None, help="cache for downloaded datasets")
    e.add_argument("--inception-weights", default=None,
                   help="adds FID and KID: Keras InceptionV3 notop weights (.h5) or a .keras "
                        "feature model, on disk (nothing is downloaded)")
    e.add_argument("--semantic", default=None,
                   help="a segmenter .keras (see the segmenter command): adds the paper's "
                        "FCN-style score of outputs and of real photos against the input labels")
    e.add_argument("--debug", action="store_true", help="show Python tracebacks")

    # Listed for --help; `main` hands them to pix2pix_tf.export's own parser.
    sub.add_parser("export", help="export the generator (SavedModel, TFLite, ONNX), verified "
                                  "against Keras: export --help; `export web`: the page as a "
                                  "static offline web app", add_help=False)
    sub.add_parser("serve", help="the web page running exported .tflite files: serve --help",
                   add_help=False)
    s = sub.add_parser("segmenter", help="train the segmenter behind evaluate --semantic "
                                         "(real photos -> label maps of labels -> photo data)")
    s.add_argument("--data", required=True, help="--data spec of labels -> photo pairs")
    s.add_argument("--direction", default=None, choices=("AtoB", "BtoA"),
                   help="which side is the label map (default: the data's usual direction)")
    s.add_argument("--image-size", default="128", help="N or HxW (default: 128)")
    s.add_argument("--holdout", type=int, default=50,
                   help="pairs held out (seeded, seed 0; the same as the studies' split and "
                        "evaluate --val-fraction's permutation) and never seen (default: 50)")
    s.add_argument("--classes", type=int, default=12, help="label colours (facades: 12)")
    s.add_argument("--epochs", type=int, default=10)
    s.add_argument("--out", required=True, help="the segmenter file (.keras)")
    s.add_argument("--debug", action="store_true", help="show Python tracebacks")
    return parser


def _config_from_args(args: argparse.Namespace) -> Pix2PixConfig:
    from pathlib import Path

    from pix2pix_tf import layout

    given = {f.name: getattr(args, f.name) for f in cli_fields()
             if getattr(args, f.name) is not None}
    saved = layout.config_path(Path(args.out))
    if args.resume and saved.exists():
        # The run's config is the base; a flag that would change what is trained is
        # refused by the same check as `train(..., resume=True)` in Python.
        preset = PRESETS[args.preset]
        return Pix2PixConfig.load(saved).resumed({**preset, **given}, str(saved))
    # Options the data implies (a dataset's direction, a task's channels) are applied by
    # `train()` itself, so the CLI and the Python API agree.
    return Pix2PixConfig.preset(args.preset, **given)


def _configure_threads(intra: int, inter: int) -> None:
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:  # TF already running in this process (main() called from Python)
        print("note: TensorFlow is already initialised here; thread settings unchanged.")


def _run(args: argparse.Namespace) -> int:
    if args.command == "train":
        config = _config_from_args(args)
        _configure_threads(args.intra_op_threads, args.inter_op_threads)
        from pix2pix_tf.training import train

        verbose = int(args.verbose) if str(args.verbose).isdigit() else args.verbose
        train(config, args.out, data=args.data, resume=args.resume, verbose=verbose,
              data_dir=args.data_dir, strategy=args.strategy)
        print(f"Done. Generator: {args.out}/generator.keras, samples: {args.out}/samples/, "
              f"TensorBoard: tensorboard --logdir {args.out}/logs")
        return 0
    if args.command == "segmenter":
        from pix2pix_tf.data.resolve import configure_for_data, resolve_data
        from pix2pix_tf.semantic import train_segmenter

        given = {"direction": args.direction} if args.direction else {}
        config = configure_for_data(Pix2PixConfig(image_size=args.image_size, seed=0, **given),
                                    args.data)
        source = resolve_data(args.data, config, "train")
        if args.holdout:
            source = source.split(args.holdout, seed=0)[0]
        train_segmenter(source, config, args.out, epochs=args.epochs, classes=args.classes)
        print(f"Wrote {args.out} (trained on {source.description}).")
        return 0
    if args.command == "evaluate":
        from pix2pix_tf.evaluation import evaluate

        evaluate(args.model, args.data, split=args.split, out=args.out,
                 val_fraction=args.val_fraction, seed=args.seed, batch_size=args.batch_size,
                 data_dir=args.data_dir, inception_weights=args.inception_weights,
                 semantic=args.semantic, direction=args.direction,
                 inference_mode=args.inference_mode)
        if args.inception_weights is None:
            from pix2pix_tf.fid import MISSING

            print("note: " + MISSING)
        return 0
    from pathlib import Path

    from pix2pix_tf.errors import ConfigError
    from pix2pix_tf.sizes import check_overlap, check_size
    from pix2pix_tf.translate import translate_files
    from pix2pix_tf.translator import Translator
    from pix2pix_tf.video import is_video, translate_video

    # Options checked before the model loads: a typo costs nothing.
    size = check_size(args.size) if args.size is not None else None
    overlap = check_overlap(args.tile_overlap)
    try:
        memory_limit = float(args.memory_limit)
    except ValueError:
        raise ConfigError("`--memory-limit` must be a number of GB. "
                          f"Received: {args.memory_limit!r}") from None
    # The translator's options, the same for this process and every --engine ray actor.
    options = dict(direction=args.direction, inference_mode=args.inference_mode, size=size,
                   tile_overlap=overlap, memory_limit_gb=memory_limit)
    videos = [p for p in args.inputs if is_video(p) and Path(p).is_file()]
    images = [p for p in args.inputs if p not in videos]
    if args.engine == "ray" and videos:
        raise ConfigError(f"{videos[0]}: --engine ray translates images; translate "
                          "videos without it.")
    translator = Translator.load(args.model, **options)  # a bad model fails here, once
    if args.engine == "ray":
        return _translate_on_ray(args, options)
    if videos:
        single = len(args.inputs) == 1 and is_video(args.out)
        for video in videos:
            target = Path(args.out) if single else Path(args.out) / f"{Path(video).stem}.mp4"
            info = translate_video(translator, video, target, batch_size=args.batch_size,
                                   overwrite=args.overwrite)
            flicker = "n/a" if info["flicker"] is None else f"{info['flicker']:.2f}"
            print(f"Wrote {target}: {info['frames']} frames at {info['fps']:.3g} fps, "
                  f"{info['size'][0]}x{info['size'][1]}, {info['audio_streams']} audio "
                  f"stream(s) copied; temporal flicker {flicker} (consecutive-frame change "
                  "of the output / of the input)")
    if images:
        written = translate_files(translator, images, args.out, layout=args.layout,
                                  batch_size=args.batch_size, overwrite=args.overwrite)
        print(f"Wrote {len(written)} image(s) to {args.out}")
    return 0


def _translate_on_ray(args: argparse.Namespace, options: dict) -> int:
    """`translate --engine ray`: 0 when every image is translated (or already was);
    2 with one line per failed image when some were not (the others are written)."""
    from pix2pix_tf.engine import translate_with_ray

    result = translate_with_ray(args.model, args.inputs, args.out, options, layout=args.layout,
                                batch_size=args.batch_size, overwrite=args.overwrite,
                                workers=args.workers, cpus_per_worker=args.cpus_per_worker,
                                gpus_per_worker=args.gpus_per_worker, address=args.ray_address)
    print(f"Wrote {len(result.written)} image(s) to {args.out}; {len(result.skipped)} "
          f"already there (skipped); {len(result.failed)} failed.")
    for reason in result.failed.values():
        print(f"error: {reason}", file=sys.stderr)
    if result.failed:
        print(f"error: {len(result.failed)} image(s) could not be translated (listed "
              "above); the others were written. Re-running skips those done.", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 training diverged, 2 bad input).

    TensorFlow's C++ log lines are kept off stderr (`pix2pix_tf.tf_log`) unless
    `--debug` is given."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # `--debug` may stand before or after the subcommand.
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    from pix2pix_tf.tf_log import quiet_tensorflow

    with quiet_tensorflow(enabled=not debug):
        return _main(argv, debug)


def _main(argv: list[str], debug: bool) -> int:
    first = next((a for a in argv if not a.startswith("-")), None)
    if first in ("export", "serve"):  # the export module has its own parser
        from pix2pix_tf.export.__main__ import main as export_main

        rest = argv[argv.index(first) + 1:]
        return export_main((["serve"] if first == "serve" else []) + rest
                           + (["--debug"] if debug else []))
    args = build_parser().parse_args(argv)
    args.debug = debug
    from pix2pix_tf.errors import Pix2PixError, TrainingDiverged

    try:
        return _run(args)
    except KeyboardInterrupt:
        print("\nInterrupted." + (" Continue with --resume." if args.command == "train"
                                  else ""), file=sys.stderr)
        return 130
    except Pix2PixError as e:
        # Only the package's own errors (a full disk while writing a run file is one,
        # see pix2pix_tf.atomic) are one line; anything else (a bug, an I/O error, a
        # CUDA library that fails to load) keeps its traceback.
        if args.debug:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return 1 if isinstance(e, TrainingDiverged) else 2


if __name__ == "__main__":
    sys.exit(main())
