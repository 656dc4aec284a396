"""`python -m pix2pix_tf serve --model EXPORT_DIR`: the web page, on localhost.

(`--site SITE_DIR` serves a static site built by `python -m pix2pix_tf export web`
instead: its files as they are, with the same guards and headers.)

Serves `export/web/` (the page and the LiteRT.js files npm installed into
`export/web/node_modules`), the `.tflite` files of EXPORT_DIR under `models/`, their
metadata at `models.json`, and receives the page's results at `POST /result` (the
browser test reads them). Sends the cross-origin isolation headers, so the page may use
LiteRT.js's multi-threaded WebAssembly build.

Two guards, since any web page the user visits can make their browser send requests
here: `POST /result` bodies are limited to `MAX_RESULT_BYTES` (413 before reading a
larger one; 411/400 without a valid Content-Length), and the Host header must name
this server (403 otherwise), which defeats DNS rebinding (a hostile name resolving to
127.0.0.1). Accepted: `HOST:PORT` as bound, and `localhost`, `127.0.0.1`, `[::1]`
with the port; for a bind to every interface (`0.0.0.0`, `::`) also the machine's
host names and any IP address literal (a literal is not a name that can be rebound).
"""

from __future__ import annotations

import ipaddress
import json
import mimetypes
import os
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

from pix2pix_tf.errors import DataError

WEB = Path(__file__).parent / "web"
NPM_HINT = "npm ci --prefix export/web"
MAX_RESULT_BYTES = 64 << 20  # a page's result: pixels as JSON, a few MB at 256x256
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def check_model_folder(folder: Path) -> Path:
    """`folder` when it is an export folder with `.tflite` files, else one clear line."""
    if not folder.is_dir():
        raise DataError(f"--model {folder}: not a folder (give an export folder with "
                        ".tflite files, e.g. the --out of `python -m pix2pix_tf export`).")
    if not list(folder.glob("*.tflite")):
        raise DataError(f"--model {folder}: no .tflite file in this folder; export one "
                        "with `python -m pix2pix_tf export --formats tflite`.")
    return folder


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
        try:
            metadata = read_metadata(path)
        except Exception:  # noqa: BLE001  (not a TFLite flatbuffer: not offered, no 500)
            print(f"note: {path}: not a readable .tflite file; not offered to the page.")
            continue
        models.append({"name": path.name, "size_bytes": path.stat().st_size,
                       "metadata": metadata, "report": report.get(path.name)})
    return models


class PageServer(ThreadingHTTPServer):
    """The page's HTTP server; `results` collects what pages POST to /result."""

    daemon_threads = True

    def __init__(self, models: Path | None, host: str = "127.0.0.1", port: int = 8000,
                 files: dict[str, Path] | None = None, site: Path | None = None):
        self.models = Path(models) if models is not None else None
        self.site = Path(site).resolve() if site is not None else None
        self.files = dict(files or {})  # extra URL path -> file (e.g. a test image)
        self.results: list[dict] = []
        self.result_ready = threading.Event()
        super().__init__((host, port), _Handler)
        self.host_names = _host_names(host)

    def host_allowed(self, header: str | None) -> bool:
        """Whether a request's Host header names this server (see the module doc)."""
        if not header:
            return False
        name, _, port = header.strip().lower().rpartition(":")
        if not name or "]" in port:  # no port given (e.g. "[::1]" or "localhost")
            name, port = header.strip().lower(), "80"
        if port != str(self.server_address[1]):
            return False
        name = name.strip("[]")
        if name in self.host_names:
            return True
        if "*" in self.host_names:  # every interface: IP literals are not rebindable
            try:
                ipaddress.ip_address(name)
                return True
            except ValueError:
                return False
        return False

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


def _host_names(host: str) -> set[str]:
    """The Host names (without port) a server bound to `host` answers to; "*" stands
    for any IP literal."""
    names = {host.lower().strip("[]"), *LOOPBACK_NAMES}
    if host in ("", "0.0.0.0", "::"):
        names.add("*")
        for name in (socket.gethostname(), socket.getfqdn()):
            names.add(name.lower())
    return names


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
        elif path.suffix == ".webmanifest":
            kind = "application/manifest+json"
        self._send(path.read_bytes(), kind)

    def _site_file(self, route: str) -> None:
        """A file of the static site (no listing, nothing outside it, no dot-files)."""
        root = self.server.site
        path = (root / (route.lstrip("/") or "index.html")).resolve()
        if path.is_dir():
            path = path / "index.html"
        if (path.is_file() and root in path.parents
                and not any(part.startswith(".") for part in path.relative_to(root).parts)):
            return self._file(path)
        self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self.close_connection = True  # any body left unread is not parsed as a request
        self._send(message.encode(), "text/plain", status)

    def _host_refused(self) -> bool:
        if self.server.host_allowed(self.headers.get("Host")):
            return False
        self._refuse(HTTPStatus.FORBIDDEN, "unexpected Host header (this server answers "
                     f"only to {self.server.url})")
        return True

    def do_GET(self) -> None:
        if self._host_refused():
            return
        route = unquote(urlparse(self.path).path)
        if self.server.site is not None:
            if route in self.server.files:
                return self._file(self.server.files[route])
            return self._site_file(route)
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
        if self._host_refused():
            return
        # The static site posts nothing: only the development page's tests do.
        if self.server.site is not None or urlparse(self.path).path != "/result":
            return self._refuse(HTTPStatus.NOT_FOUND, "not found")
        length = self.headers.get("Content-Length")
        if length is None:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
        try:
            length = int(length)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(HTTPStatus.BAD_REQUEST, "invalid Content-Length")
        if length > MAX_RESULT_BYTES:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                f"a result is at most {MAX_RESULT_BYTES} bytes")
        try:
            result = json.loads(self.rfile.read(length))
        except ValueError:
            return self._refuse(HTTPStatus.BAD_REQUEST, "the body is not JSON")
        self.server.results.append(result)
        self.server.result_ready.set()
        self._send(b"{}", "application/json")


def check_site(site: str | os.PathLike) -> Path:
    """The folder of a site built by `python -m pix2pix_tf export web`.

    Raises:
        DataError: (one line) it is not a folder, or not such a site.
    """
    folder = Path(site)
    if not folder.is_dir():
        raise DataError(f"--site {folder}: not a folder (give the --out of "
                        "`python -m pix2pix_tf export web`).")
    missing = [n for n in ("index.html", "models.json", "sw.js") if not (folder / n).is_file()]
    if missing:
        raise DataError(f"--site {folder}: not a site built by `python -m pix2pix_tf export "
                        f"web` ({', '.join(missing)} missing).")
    return folder


def serve(models: str | os.PathLike | None, host: str = "127.0.0.1", port: int = 8000,
          site: str | os.PathLike | None = None) -> None:
    """Serves the page for the export folder `models`, or the built static `site`,
    until interrupted (Ctrl-C).

    Raises:
        DataError: (one line) a bad folder, LiteRT.js not installed, or the port taken.
    """
    if site is not None:
        folder = check_site(site)
        models_dir, site_dir = None, folder
    else:
        folder = check_model_folder(Path(models))
        check_web_install()
        models_dir, site_dir = folder, None
    try:
        server = PageServer(models_dir, host, port, site=site_dir)
    except OSError as e:
        raise DataError(f"--port {port}: cannot listen on {host}:{port} ({e}).") from None
    print(f"Serving {folder} at {server.url} (Ctrl-C stops)", flush=True)
    if host in ("", "0.0.0.0", "::"):
        print("note: every device on this network can now open the page. Phones reach it "
              "over plain HTTP, which is not a secure context: the camera's live mode, the "
              "service worker (offline) and installing need HTTPS or localhost "
              "(see export/README.md, 'On your phone').", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
