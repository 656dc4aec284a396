"""The static web app on a phone-sized Chromium: a screenshot and in-browser latency.

    python -m benchmarks.phone --screenshot docs/phone.png --draw runs/reference_128
    python -m benchmarks.phone --latency --results benchmarks/results/phone.md

`--screenshot`: trains a generator briefly on scikit-image's CC0 / public-domain photos
(the `sketch` task: photo -> pencil sketch, 128x128, chelsea held out; the tiles of
`experiments.tasks.skimage_photos`), exports it to int8, builds the site
(`python -m pix2pix_tf export web`), opens it in Chromium emulating a 360x800 phone
(Playwright, the system Chromium), picks the held-out chelsea photo and saves the page.

`--draw RUN`: instead, the drawing mode with a run trained on the built-in label maps
(the reference run, docs/reference.md): RUN exported to int8, the site opened with
`?draw=1`, a finger drags a window and a door onto the starter facade (touch events),
and the page is saved once the latest drawing is translated.

`--latency`: the paper generator (256x256, default config) and the mobile preset,
trained for `--steps` steps only (latency does not depend on the weights; int8 is
calibrated on the same photos), exported to fp32, fp16 and int8 `.tflite`; each file
is compiled in the phone page (WebAssembly, XNNPACK) and timed on one photo at
Chromium's CPU throttling rates (`Emulation.setCPUThrottlingRate` 1x, 4x, 6x): the
page's median of 5 runs after a warm-up, `--repeats` times, the median of those
reported. Throttling slows this machine's CPU down; it approximates mid-range (4x)
and low-end (6x) phones, it does not emulate their cores, caches or thermal limits.
One LiteRT.js thread by default (`--threads`): throttling is applied to the page's
renderer, and one thread keeps the work where it is throttled (a first run with two
threads, the second on a Web Worker, gave paper int8 486 ms at 1x, 1088 ms at 4x and
824 ms at 6x). On a shared, loaded machine the 1x baseline is itself slowed by the
other processes, so throttled latencies grow by less than the rate: read them as lower
bounds for a phone that slow, and compare rows (files, generators) rather than rates.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RATES = (1, 4, 6)


def _photos(work: Path) -> tuple[Path, Path]:
    from experiments.tasks import skimage_photos

    return skimage_photos(work / "photos")


def _train_and_export(work: Path, name: str, size: int, steps: int, train_dir: Path,
                      quantize: str) -> Path:
    """A run of the preset `name` trained `steps` steps on `sketch:` photos, exported."""
    from pix2pix_tf import Pix2PixConfig, train
    from pix2pix_tf.export import ExportError, run_export

    run = work / f"run_{name}_{size}"
    out = work / f"export_{name}_{size}"
    if (out / "report.json").exists() and list(out.glob("*.tflite")):
        print(f"{out}: reusing the export of an earlier run with this --work", flush=True)
        return out
    config = Pix2PixConfig.preset(name, image_size=size, seed=0, epochs=1,
                                  steps_per_epoch=steps, sample_every=0)
    train(config, run, data=f"sketch:{train_dir}", verbose=0)
    try:
        run_export(run, "tflite", quantize, out, num_verify=2, calibration_samples=16)
    except ExportError as e:  # a missed parity bar: time the files that passed
        print(f"note: {e}", flush=True)
    return out


def _save_page(page, raw: Path, path: Path) -> None:
    """The whole page to `path`: 360 CSS px wide at 2x, shrunk by 2/3 and
    palette-reduced (< 300 KB for the repository)."""
    from PIL import Image

    page.screenshot(path=str(raw), full_page=True)
    with Image.open(raw) as im:
        small = im.convert("RGB").resize((im.width * 2 // 3, im.height * 2 // 3),
                                         Image.LANCZOS)
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} KB)")


def screenshot(path: Path, work: Path, steps: int) -> None:
    """Trains, exports, builds the site and saves the phone-sized page to `path`."""

    from pix2pix_tf.export import phone
    from pix2pix_tf.export.site import build_site

    train_dir, shown = _photos(work)
    t0 = time.time()
    export = _train_and_export(work, "paper", 128, steps, train_dir, "int8")
    print(f"trained {steps} steps and exported in {time.time() - t0:.0f} s", flush=True)
    site = work / "site"
    build_site(export, site)
    # Scale 2 (a 720x1600 PNG), not the phone's 3: the file size.
    with phone.phone(scale=2) as context, phone.serve_site(site) as server:
        page = phone.open_page(context, f"{server.url}?accelerator=wasm")
        phone.translate_file(page, shown / "chelsea.png")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
        _save_page(page, work / "raw.png", path)


def _finger(cdp, points) -> None:
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
    for kind, (x, y) in zip(kinds, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def draw_screenshot(path: Path, work: Path, run: Path) -> None:
    """The drawing mode on the phone: `run` (built-in label maps) exported to int8,
    two strokes drawn by a finger, the page saved to `path`."""

    from pix2pix_tf.export import phone, run_export
    from pix2pix_tf.export.site import build_site

    export, site = work / "export_draw", work / "site_draw"
    run_export(run, "tflite", "int8", export, num_verify=2, calibration_samples=16)
    build_site(export, site)
    with phone.phone(scale=2) as context, phone.serve_site(site) as server:
        page = phone.open_page(context, f"{server.url}?draw=1&accelerator=wasm")
        done = ("window.pix2pix.draw.shown === window.pix2pix.draw.version && "
                "window.pix2pix.result && window.pix2pix.result.version === "
                "window.pix2pix.draw.version")
        phone.wait_state(page, done)
        box = page.locator("#input").bounding_box()

        def at(u, v):  # a fraction of the label map -> CSS pixels
            return box["x"] + u * box["width"], box["y"] + v * box["height"]

        cdp = context.new_cdp_session(page)
        for index, (u0, v0, u1, v1) in ((3, (0.1, 0.4, 0.9, 0.43)),   # a balcony
                                        (1, (0.12, 0.72, 0.3, 0.86)),  # a window
                                        (2, (0.74, 0.72, 0.88, 1.0))):  # a door
            page.click(f"#palette button[data-index='{index}']")  # (see tests/test_phone.py)
            phone.wait_state(page, f"window.pix2pix.draw.colour === {index}")
            _finger(cdp, [at(u0, v0), at((u0 + u1) / 2, (v0 + v1) / 2), at(u1, v1)])
        phone.wait_state(page, done)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
        _save_page(page, work / "raw_draw.png", path)


def latency(results: Path | None, work: Path, steps: int, repeats: int,
            threads: int = 1) -> list[dict]:
    """Times every .tflite of both generators at each throttling rate, on `threads`
    LiteRT.js threads (1: the page's main thread, which throttling slows down fully)."""
    from benchmarks.common import machine
    from pix2pix_tf.export import phone
    from pix2pix_tf.export.site import build_site

    info = machine()
    train_dir, shown = _photos(work)
    rows = []
    for name in ("paper", "mobile"):
        t0 = time.time()
        export = _train_and_export(work, name, 256, steps, train_dir, "fp32,fp16,int8")
        print(f"{name}: trained {steps} steps and exported in {time.time() - t0:.0f} s",
              flush=True)
        site = work / f"site_{name}"
        build_site(export, site, ship="all", overwrite=True)
        models = json.loads((site / "models.json").read_text())
        with phone.phone() as context, phone.serve_site(site) as server:
            for m in models:
                page = phone.open_page(context, f"{server.url}?model={m['name']}"
                                       f"&accelerator=wasm&threads={threads}", 600)
                cdp = context.new_cdp_session(page)
                for rate in RATES:
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                    times = [phone.translate_file(page, shown / "chelsea.png", 900)
                             for _ in range(repeats)]
                    medians = sorted(r["latency_ms"] for r in times)
                    row = {"generator": name, "file": m["name"],
                           "precision": m["metadata"].get("quantization"),
                           "size_mb": round(m["size_bytes"] / 1e6, 1),
                           "throttle": f"{rate}x", "threads": times[0]["threads"],
                           "latency_ms": round(medians[len(medians) // 2], 1),
                           "runs_ms": [round(t, 1) for t in medians]}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
                cdp.detach()
    text = _results_md(info, rows, steps, repeats)
    print(text)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(text)
    return rows


def _results_md(info: dict, rows: list[dict], steps: int, repeats: int) -> str:
    import playwright

    command = "python -m benchmarks.phone " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    cols = {}
    for r in rows:
        key = (r["generator"], r["precision"], r["size_mb"])
        cols.setdefault(key, {})[r["throttle"]] = r["latency_ms"]
    lines = ["# The web app on a phone-sized Chromium: latency", "",
             f"Command: `{command}`", "",
             f"Machine: {info['cpu']}, {info['cores']} cores (shared; 1-min load "
             f"{info['load_1min']:.2f} at start), no GPU; {info['date']}. Chromium "
             f"{_chromium_version()} headless via Playwright {_version(playwright)}, "
             "LiteRT.js 2.5.3 WebAssembly (XNNPACK), "
             f"{rows[0]['threads']} thread(s) in the page (see the script's doc: "
             "throttling slows the main thread).", "",
             "| generator (256x256) | precision | size | 1x (this CPU) | 4x throttled | "
             "6x throttled |", "|---|---|---|---|---|---|"]
    for (gen, prec, size), by in cols.items():
        cells = " | ".join(f"{by.get(f'{r}x', '')} ms" for r in RATES)
        lines.append(f"| {gen} | {prec} | {size} MB | {cells} |")
    lines += ["", f"Median of {repeats} page timings, each the median of 5 runs after a "
              "warm-up run, on the held-out chelsea photo (resized to 256x256 by the page as "
              "by Python). Weights: trained for "
              f"{steps} steps on scikit-image photos (`sketch` task) — latency does not depend "
              "on the weights; int8 is calibrated on those photos. Throttling "
              "(`Emulation.setCPUThrottlingRate`) slows this CPU by the factor: an "
              "approximation of mid-range (4x) and low-end (6x) phones, not an emulation of "
              "their cores, caches, memory bandwidth or thermal limits; a phone's WebGPU "
              "path is not measured (no GPU here).", "", "Raw rows:", "", "```"]
    lines += [json.dumps(r) for r in rows] + ["```", ""]
    return "\n".join(lines)


def _version(module) -> str:
    from importlib.metadata import version

    return version(module.__name__)


def _chromium_version() -> str:
    import subprocess

    from pix2pix_tf.export.browser import find_chromium

    out = subprocess.run([find_chromium(), "--version"], capture_output=True, text=True)
    return out.stdout.split()[1] if out.stdout else "?"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--screenshot", type=Path, default=None, help="PNG to write")
    p.add_argument("--draw", type=Path, default=None,
                   help="with --screenshot: the drawing mode, RUN trained on the built-in set")
    p.add_argument("--latency", action="store_true")
    p.add_argument("--results", type=Path, default=None, help="markdown results file")
    p.add_argument("--steps", type=int, default=None,
                   help="training steps (default: 600 for the screenshot, 20 for latency)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1,
                   help="LiteRT.js threads in the page (default: 1, see the module doc)")
    p.add_argument("--work", type=Path, default=None, help="default: a temporary folder")
    args = p.parse_args()
    if not args.screenshot and not args.latency:
        p.error("give --screenshot PATH and/or --latency")
    work = args.work or Path(tempfile.mkdtemp(prefix="phone_"))
    if args.latency:
        latency(args.results, work, args.steps or 20, args.repeats, args.threads)
    if args.screenshot and args.draw:
        draw_screenshot(args.screenshot, work, args.draw)
    elif args.screenshot:
        screenshot(args.screenshot, work, args.steps or 600)


if __name__ == "__main__":
    main()
