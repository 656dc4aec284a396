"""`python -m pix2pix_tf export web --model EXPORT_DIR --out site/`: the page as a static,
installable, offline web app.

The folder written holds everything the page needs and nothing that needs Python:
`index.html`, `app.js`, `preprocess.js` (the page of `export/web`), LiteRT.js's
JavaScript and WebAssembly under `litertjs/` (copied from the npm install), the chosen
`.tflite` file(s) under `models/` with their metadata in `models.json`, a web app
manifest with PNG icons drawn here, and a service worker (`sw.js`) that caches all of it
at the first visit, so the page opens and translates with no network afterwards. Any
static host serves it (GitHub Pages, `python -m pix2pix_tf serve --site`); service
workers, the camera and installation need a secure context: HTTPS, or localhost.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from pix2pix_tf.errors import DataError
from pix2pix_tf.export.common import replace_atomically, size_bytes
from pix2pix_tf.export.serve import WEB, check_model_folder, check_web_install, list_models

# LiteRT.js picks one of these by the browser's features (relaxed SIMD, threads); the
# JSPI build is never asked for by the page. All three are cached: a phone must find
# the one it needs offline.
WASM_BUILDS = ("litert_wasm_internal", "litert_wasm_threaded_internal",
               "litert_wasm_compat_internal")
LIB = "litertjs"  # not node_modules/: GitHub Pages' Jekyll skips folders of that name
APP_NAME = "pix2pix-tf"
THEME = "#1f3a60"
ICON_SIZES = (192, 512)


def choose_models(folder: Path, ship: str = "auto") -> list[dict]:
    """The `.tflite` files of `folder` to put in the site.

    Args:
        folder: an export folder (the `--out` of `python -m pix2pix_tf export`).
        ship: `auto` (the int8 model when there is one, else the smallest file), `all`,
            or a comma-separated list of quantizations (`int8,fp16`) or file names.

    Returns:
        `list_models` entries (name, size, metadata, report), smallest first.

    Raises:
        DataError: no folder, no readable `.tflite` in it, or `ship` names none of them.
    """
    check_model_folder(folder)
    models = list_models(folder)
    if not models:  # (.tflite files none of which could be read)
        raise DataError(f"--model {folder}: no .tflite file in this folder; export one "
                        "with `python -m pix2pix_tf export --formats tflite`.")
    if ship == "all":
        return models
    if ship == "auto":
        int8 = [m for m in models if _quantization(m) == "int8"]
        return int8[:1] or models[:1]
    chosen = []
    for want in (w.strip() for w in ship.split(",") if w.strip()):
        found = [m for m in models if want in (m["name"], _quantization(m))]
        if not found:
            have = ", ".join(f"{m['name']} ({_quantization(m)})" for m in models)
            raise DataError(f"--ship {want}: no such model in {folder} (it has {have}).")
        chosen += [m for m in found if m not in chosen]
    return sorted(chosen, key=lambda m: m["size_bytes"])


def _quantization(entry: dict) -> str | None:
    return (entry.get("metadata") or {}).get("quantization") or (
        entry.get("report") or {}).get("quantization")


def build_site(model: str | os.PathLike, out: str | os.PathLike, ship: str = "auto",
               overwrite: bool = False) -> dict:
    """Writes the static web app for the export folder `model` into `out`.

    The site is assembled in a temporary folder beside `out` and moved into place only
    when complete, so a failure leaves `out` as it was.

    Args:
        model: export folder with `.tflite` files.
        out: the site folder to write; it must not exist or be empty, unless `overwrite`.
        ship: which models to include (see `choose_models`).
        overwrite: replace a non-empty `out` (its old content is removed only after the
            new site is complete).

    Returns:
        A summary: `out`, `models` (file names), `bytes` (the site's total size),
        `version` (the cache name the service worker uses).

    Raises:
        DataError: bad `model`, `ship` or `out` (one line naming it), or LiteRT.js not
            installed with npm.
    """
    folder, out = Path(model), Path(out)
    models = choose_models(folder, ship)
    check_web_install()
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out}: exists and is not a folder.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise DataError(f"--out {out}: the folder is not empty; give an empty or new "
                        "folder, or --overwrite to replace its content.")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        version = _write_site(tmp, folder, models)
        replace_atomically(tmp, out)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):  # unwritable or full: one line, `out` untouched
            raise DataError(f"--out {out}: cannot write the site there ({e.strerror or e}); "
                            "nothing was changed.") from None
        raise
    return {"out": str(out), "models": [m["name"] for m in models], "bytes": size_bytes(out),
            "version": version}


def _write_site(site: Path, folder: Path, models: list[dict]) -> str:
    """Writes every file of the site into `site`; returns the cache version."""
    (site / "models").mkdir(parents=True)
    for m in models:
        shutil.copyfile(folder / m["name"], site / "models" / m["name"])
    (site / "models.json").write_text(json.dumps(models, indent=1))
    core = WEB / "node_modules" / "@litertjs" / "core"
    utils = WEB / "node_modules" / "@litertjs" / "wasm-utils"
    lib = site / LIB
    # The npm packages' own layout: the page finds wasm/ beside dist/ of the core.
    for package in ("core/dist", "core/wasm", "wasm-utils/dist"):
        (lib / package).mkdir(parents=True)
    shutil.copyfile(core / "dist" / "index.js", lib / "core" / "dist" / "index.js")
    shutil.copyfile(utils / "dist" / "index.js", lib / "wasm-utils" / "dist" / "index.js")
    for build in WASM_BUILDS:
        for ext in (".js", ".wasm"):
            shutil.copyfile(core / "wasm" / (build + ext), lib / "core" / "wasm" / (build + ext))
    for name in ("app.js", "preprocess.js"):
        shutil.copyfile(WEB / name, site / name)
    (site / "index.html").write_text(_site_html((WEB / "index.html").read_text()))
    (site / "icons").mkdir()
    for size in ICON_SIZES:
        write_icon(site / "icons" / f"icon-{size}.png", size)
    (site / "manifest.webmanifest").write_text(json.dumps(_manifest(models), indent=1))
    # GitHub Pages: serve the folder as it is (no Jekyll processing).
    (site / ".nojekyll").write_text("")
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                   if p.is_file() and not p.name.startswith("."))
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update(hashlib.sha256((site / name).read_bytes()).digest())
    version = f"{APP_NAME}-{digest.hexdigest()[:16]}"
    # "./" is the page itself (start_url); the others by name.
    sw = (WEB / "sw.js").read_text()
    marker = "const PRECACHE = [];"
    if marker not in sw:
        raise RuntimeError(f"{WEB / 'sw.js'}: its `{marker}` line is missing")
    sw = sw.replace(marker, "const PRECACHE = " + json.dumps(["./", *files], indent=1) + ";")
    sw = sw.replace("const VERSION = 'dev';", f"const VERSION = '{version}';")
    (site / "sw.js").write_text(sw)
    return version


def _site_html(html: str) -> str:
    """The page's HTML with LiteRT.js from `litertjs/` and the manifest linked."""
    for package in ("core", "wasm-utils"):
        src = f'"./node_modules/@litertjs/{package}/dist/index.js"'
        if src not in html:
            raise RuntimeError(f"{WEB / 'index.html'}: the import map lost {src}")
        html = html.replace(src, f'"./{LIB}/{package}/dist/index.js"')
    marker = "<!-- site: manifest -->"
    if marker not in html:
        raise RuntimeError(f"{WEB / 'index.html'}: the line `{marker}` is missing")
    return html.replace(marker, (
        '<link rel="manifest" href="./manifest.webmanifest">\n'
        f'<meta name="theme-color" content="{THEME}">\n'
        '<link rel="apple-touch-icon" href="./icons/icon-192.png">\n'
        '<link rel="icon" type="image/png" href="./icons/icon-192.png">'))


def _manifest(models: list[dict]) -> dict:
    described = ", ".join(f"{m['name']} ({_quantization(m) or '?'})" for m in models)
    return {
        "name": f"{APP_NAME}: image-to-image translation",
        "short_name": APP_NAME,
        "description": f"Pix2Pix generator in the browser, offline (LiteRT.js): {described}",
        "id": "./", "start_url": "./", "scope": "./",
        "display": "standalone", "orientation": "portrait",
        "background_color": "#ffffff", "theme_color": THEME,
        "icons": [{"src": f"icons/icon-{s}.png", "sizes": f"{s}x{s}", "type": "image/png",
                   "purpose": "any"} for s in ICON_SIZES] + [
                  {"src": f"icons/icon-{ICON_SIZES[-1]}.png",
                   "sizes": f"{ICON_SIZES[-1]}x{ICON_SIZES[-1]}", "type": "image/png",
                   "purpose": "maskable"}],
    }


def write_icon(path: Path, size: int) -> None:
    """A square PNG icon: two tiles, a label map and a photo, joined by an arrow.

    Drawn with Pillow in the "maskable" safe zone (the central 80%), so launchers that
    crop icons to a circle keep all of it.
    """
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (size, size), THEME)
    draw = ImageDraw.Draw(img)
    u = size / 100  # drawing units: the icon is 100 x 100
    tile = 26 * u

    def box(x, y, w, h):
        return [round(x * u), round(y * u), round((x + w) * u) - 1, round((y + h) * u) - 1]

    # Left tile: a flat label map (blocks of colour).
    left, top = 16, 37
    draw.rectangle(box(left, top, 26, 26), fill="#4a6fe3")
    draw.rectangle(box(left, top + 13, 13, 13), fill="#e3a14a")
    draw.rectangle(box(left + 13, top, 13, 13), fill="#5fc27e")
    # Right tile: the "photo", a vertical gradient with a sun.
    right = 58
    for i in range(round(tile)):
        t = i / max(1, tile - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in ((120, 40), (180, 90), (235, 60)))
        y = round(top * u) + i
        draw.line([(round(right * u), y), (round((right + 26) * u) - 1, y)], fill=colour)
    draw.ellipse(box(right + 14, top + 4, 8, 8), fill="#ffd34d")
    # The arrow between them.
    draw.rectangle(box(44.5, 48.5, 7, 3), fill="white")
    draw.polygon([(51 * u, 45 * u), (56 * u, 50 * u), (51 * u, 55 * u)], fill="white")
    img.save(path, optimize=True)
