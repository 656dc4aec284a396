"""Batch translation throughput: single-process `translate` vs `--engine ray` (1 and 2
actors), and the dependency check behind choosing Ray Data over Apache Beam.

    python -m benchmarks.engine [--images 64] [--size 256] [--deps]

Translates `--images` PNG photos (crops of scikit-image's CC0 pictures, resized to
`--size`) with an untrained paper-size generator (`Pix2PixConfig(image_size=SIZE)`;
the speed does not depend on the weights), three ways, each into an empty folder:
`translate_files` in this process (TensorFlow's default threads), and
`translate_with_ray` on a local Ray with 1 actor of 2 CPUs and with 2 actors of 1 CPU,
then the single process again (the machine's load drifts). The Ray rows time the whole
call (actor start, model load in each actor, reading, translating, writing) on an
already started Ray, and the rate after each actor's first batch (its start-up);
starting Ray is timed separately. The single-process rows are timed after the model
load and one warm-up batch.
Every run's PNG files are checked byte-identical to the single-process ones.
`--deps` adds `pip install --dry-run` of `ray[data]` and `apache-beam` beside
requirements.txt (needs the package index) and the import time of `ray.data`.
Writes `benchmarks/results/engine.md`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

RESULTS = Path(__file__).parent / "results" / "engine.md"
ROOT = Path(__file__).resolve().parents[1]


def photos(folder: Path, count: int, size: int) -> list[Path]:
    """`count` PNG files: crops of scikit-image's CC0 photos, resized to size x size."""
    import numpy as np
    from PIL import Image
    from skimage import data

    pictures = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    files = []
    for i in range(count):
        img = pictures[i % len(pictures)]
        h, w = img.shape[:2]
        side = int(min(h, w) * rng.uniform(0.6, 1.0))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = Image.fromarray(img[y:y + side, x:x + side]).resize((size, size),
                                                                    Image.BILINEAR)
        files.append(folder / f"photo{i:03d}.png")
        crop.save(files[-1])
    return files


def _resolve(args: list[str]) -> tuple[int, dict[str, str], list[str]]:
    """pip's resolution of `args` from scratch (`--dry-run --ignore-installed`, so the
    answer does not depend on this environment): (exit status, {name: version}, pip's
    conflict lines)."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "-q",
                              "--ignore-installed", "--report", str(report), *args],
                             capture_output=True, text=True)
        installs = json.loads(report.read_text())["install"] if report.exists() else []
    versions = {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"]
                for i in installs}
    said = [ln.strip() for ln in run.stderr.splitlines()
            if ln.startswith("ERROR: Cannot install") or "depends on" in ln]
    return run.returncode, versions, said[:3]


def dependency_check() -> list[str]:
    """Lines of Markdown: pip's dry-run verdicts and the import time of ray.data."""
    lines = ["## Dependencies (`--deps`)", "",
             "`pip install --dry-run --ignore-installed PACKAGE -r requirements.txt` (the "
             "pins CI installs, without the engine's own line), compared with the pins "
             "resolved alone:", ""]
    # requirements.txt without the engine itself (it is pinned there once chosen).
    pins = Path(tempfile.mkdtemp()) / "requirements.txt"
    pins.write_text("".join(ln for ln in (ROOT / "requirements.txt").open()
                            if not ln.startswith(("ray", "apache-beam"))))
    base = _resolve(["-r", str(pins)])[1]
    for package in ("ray[data]==2.60.0", "apache-beam==2.77.0"):
        status, together, said = _resolve([package, "-r", str(pins)])
        if status == 0:
            added = sorted(f"{n}=={v}" for n, v in together.items() if n not in base)
            moved = sorted(f"{n} {base[n]} -> {v}" for n, v in together.items()
                           if n in base and base[n] != v)
            lines.append(f"- `{package}`: resolves beside the pins (exit 0); adds "
                         f"{', '.join(added)}; pins moved: {', '.join(moved) or 'none'}")
            continue
        lines.append(f"- `{package}`: refused beside the pins (exit {status}): "
                     + "; ".join(f"`{ln}`" for ln in said))
        _, alone, _ = _resolve([package])  # on its own: what it would move
        moved = sorted(f"{n} {base[n]} -> {alone[n]}" for n in alone
                       if n in base and base[n] != alone[n])
        lines.append(f"  - alone it would install {', '.join(moved)} (among others)")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import ray.data"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    lines += ["", f"`python -c 'import ray.data'`: {min(times):.2f} s (best of 3, the "
              "interpreter's start included); the package imports Ray only in "
              "`pix2pix_tf/engine.py`, when `--engine ray` runs.", ""]
    return lines


def _steady(finished: list[float], start: float, first: int) -> dict[str, float]:
    """The first output's delay (start-up: actors, TensorFlow, model) and the rate after
    the first `first` images (one batch per actor), from each image's finish time (s
    since the epoch, as `start`)."""
    if len(finished) <= first:
        return {}
    return {"first output after s": finished[0] - start,
            "images/s after start-up":
                (len(finished) - first) / (finished[-1] - finished[first - 1])}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=64)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--deps", action="store_true")
    args = p.parse_args()
    command = "python -m benchmarks.engine " + " ".join(sys.argv[1:])

    import ray

    from benchmarks.common import machine, table
    from pix2pix_tf.config import Pix2PixConfig
    from pix2pix_tf.engine import translate_with_ray
    from pix2pix_tf.generator import Generator
    from pix2pix_tf.translate import translate_files
    from pix2pix_tf.translator import Translator

    info = machine()
    work = Path(tempfile.mkdtemp(prefix="engine_bench_"))
    try:
        files = photos(work / "in", args.images, args.size)
        model = work / "generator.keras"
        config = Pix2PixConfig(image_size=args.size, precision="float32")
        Generator(config).save(model)
        loads = [os.getloadavg()[0]]

        start = time.perf_counter()
        translator = Translator.load(model)
        load_s = time.perf_counter() - start
        # Warm: the first call traces the network (what a Ray actor's first batch pays).
        translate_files(translator, files[:args.batch_size], work / "warm",
                        batch_size=args.batch_size)

        def local(name: str, note: str) -> tuple[list[Path], dict]:
            start = time.perf_counter()
            written = translate_files(translator, [work / "in"], work / name,
                                      batch_size=args.batch_size)
            seconds = time.perf_counter() - start
            return written, {"engine": f"translate, one process (TF's default threads){note}",
                             "workers": "-", "seconds": seconds,
                             "images/s": args.images / seconds, "first output after s": "-",
                             "images/s after start-up": args.images / seconds,
                             "note": f"model load {load_s:.1f} s and a warm-up batch before, "
                                     "not counted"}

        reference, row = local("local", "")
        rows = [row]

        start = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        init_s = time.perf_counter() - start
        for workers, cpus in ((1, float(os.cpu_count())), (2, 1.0)):
            loads.append(os.getloadavg()[0])
            out = work / f"ray{workers}"
            start, wall = time.perf_counter(), time.time()
            result = translate_with_ray(model, [work / "in"], out, batch_size=args.batch_size,
                                        workers=workers, cpus_per_worker=cpus)
            seconds = time.perf_counter() - start
            # Each PNG's modification time is when its actor wrote it (the driver sees
            # the results later, a block at a time).
            finished = sorted(p.stat().st_mtime for p in out.iterdir())
            same = (len(result.written) == len(files) and not result.failed
                    and all((out / r.name).read_bytes() == r.read_bytes() for r in reference))
            rows.append({"engine": f"--engine ray, {workers} actor(s) x {cpus:g} CPU",
                         "workers": workers, "seconds": seconds,
                         "images/s": args.images / seconds,
                         **_steady(finished, wall, args.batch_size * workers),
                         "note": "byte-identical to translate" if same else "DIFFERENT"})
        ray.shutdown()
        loads.append(os.getloadavg()[0])
        rows.append(local("local_again", ", again after the Ray rows")[1])  # the load drifts
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "# Batch translation: one process vs Ray Data actors", "",
        f"Command: `{command}`. Machine: {info['cpu']}, {info['cores']} cores, "
        f"TF {info.get('tensorflow')}, Ray {ray.__version__}, {info['date']}; load average "
        f"{min(loads):.1f}-{max(loads):.1f} during the run (shared with other jobs).", "",
        f"{args.images} PNG photos of {args.size}x{args.size} (scikit-image CC0 crops), "
        f"untrained paper-size generator ({config.generator_filters} filters), float32, "
        f"batch {args.batch_size}. Ray rows: the whole call on a started local Ray "
        f"(actors start and load the model inside it; `ray.init` itself took "
        f"{init_s:.1f} s); *after start-up*: the images after each actor's first batch "
        "over the time they took, from the output files' modification times. One-process "
        "rows: after the model load and a warm-up "
        "batch.", "",
        table(rows, ["engine", "workers", "seconds", "images/s", "first output after s",
                     "images/s after start-up", "note"]), "",
        "On one 2-core machine the actors share the cores a single process already uses, "
        "so Ray adds start-up (actor processes, a TensorFlow and model load per actor) "
        "and gains nothing; its point is that the same command runs on a cluster "
        "(`--ray-address auto --workers N`), one translator per actor on each node.", ""]
    if args.deps:
        lines += dependency_check()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
