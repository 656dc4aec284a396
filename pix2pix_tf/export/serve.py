"""`python -m pix2pix_tf serve --model EXPORT_DIR`: the web page, on localhost.

Serves `pix2pix_tf/export/web/` (the page and the LiteRT.js files npm installed into
`pix2pix_tf/export/web/node_modules`), the `.tflite` files of EXPORT_DIR under `models/`, their
metadata at `models.json`, and receives the page's results at `POST /result` (the
browser test reads them). Sends the cross-origin isolation headers, so the page may use
LiteRT.js's multi-threaded WebAssembly build.
"""

from __future__ import annotations

import json
import mimetypes
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

from pix2pix_tf.errors import DataError

WEB = Path(__file__).parent / "web"
NPM_HINT = "npm ci --prefix pix2pix_tf/export/web"


def check_web_install() -> None:
    """Raises DataError (one line) when LiteRT.js was not installed with npm."""
    if not (WEB / "node_modules" / "@litertjs" / "core" / "wasm").is_dir():
        raise DataError(f"{WEB / 'node_modules'}: LiteRT.js is not installed; run "
                        f"`{NPM_HINT}` (the versions pinned in package-lock.json).")


def list_models(folder: Path) -> list[dict]:
    """The folder's `.tflite` files with their metadata and report entries."""
    from pix2pix_tf.export.litert_model import read_metadata

    report = {}
    if (folder / "report.json").exists():
        for e in json.loads((folder / "report.json").read_text()):
            if e.get("path"):
                report[Path(e["path"]).name] = {k: e.get(k) for k in (
                    "quantization", "psnr_db", "latency_ms", "gpu_delegate")}
    models = []
    # Smallest first: the int8 (uint8 pixels) model is the phone's and the page's default.
    for path in sorted(folder.glob("*.tflite"), key=lambda p: p.stat().st_size):
        models.append({"name": path.name, "size_bytes": path.stat().st_size,
                       "metadata": read_metadata(path), "report": report.get(path.name)})
    return models


class PageServer(ThreadingHTTPServer):
    """The page's HTTP server; `results` collects what pages POST to /result."""

    daemon_threads = True

    def __init__(self, models: Path, host: str = "127.0.0.1", port: int = 8000,
                 files: dict[str, Path] | None = None):
        self.models = Path(models)
        self.files = dict(files or {})  # extra URL path -> file (e.g. a test image)
        self.results: list[dict] = []
        self.result_ready = threading.Event()
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: PageServer

    def log_message(self, format, *args):  # quiet: the page reports its own state
        pass

    def _send(self, body: bytes, content_type: str, status=HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Cross-origin isolation: SharedArrayBuffer, hence threaded WebAssembly.
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _file(self, path: Path) -> None:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix in (".js", ".mjs"):
            kind = "text/javascript"
        elif path.suffix == ".wasm":
            kind = "application/wasm"
        self._send(path.read_bytes(), kind)

    def do_GET(self) -> None:
        route = unquote(urlparse(self.path).path)
        if route in ("/", "/index.html"):
            return self._file(WEB / "index.html")
        if route in ("/app.js", "/preprocess.js"):
            return self._file(WEB / route[1:])
        if route == "/models.json":
            body = json.dumps(list_models(self.server.models)).encode()
            return self._send(body, "application/json")
        if route in self.server.files:
            return self._file(self.server.files[route])
        if route.startswith("/models/"):
            path = self.server.models / route[len("/models/"):]
            if path.suffix == ".tflite" and path.parent == self.server.models and path.is_file():
                return self._file(path)
        if route.startswith("/node_modules/@litertjs/"):
            root = (WEB / "node_modules").resolve()
            path = (WEB / route.lstrip("/")).resolve()
            if path.is_file() and root in path.parents:
                return self._file(path)
        self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        if urlparse(self.path).path != "/result":
            return self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)
        length = int(self.headers.get("Content-Length", 0))
        self.server.results.append(json.loads(self.rfile.read(length)))
        self.server.result_ready.set()
        self._send(b"{}", "application/json")


def serve(models: str | os.PathLike, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serves the page until interrupted (Ctrl-C)."""
    folder = Path(models)
    if not folder.is_dir():
        raise DataError(f"--model {folder}: not a folder (give an export folder with "
                        ".tflite files, e.g. the --out of `python -m pix2pix_tf export`).")
    if not list(folder.glob("*.tflite")):
        raise DataError(f"--model {folder}: no .tflite file in this folder; export one "
                        "with `python -m pix2pix_tf export --formats tflite`.")
    check_web_install()
    try:
        server = PageServer(folder, host, port)
    except OSError as e:
        raise DataError(f"--port {port}: cannot listen on {host}:{port} ({e}).") from None
    print(f"Serving {folder} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
