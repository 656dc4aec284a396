"""Runs the web page in headless Chromium and returns what it computed.

Used by the browser test and `python -m benchmarks.browser`: the page loads a `.tflite`
with LiteRT.js, translates a fixed image and POSTs its output pixels and latency back
to the local server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from pix2pix_tf.export.serve import PageServer, check_web_install

# Chromium's background services reach for the network at start; this machine's network
# is closed, so they are switched off (the page itself only talks to localhost).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--mute-audio")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


def run_page(models: str | os.PathLike, model: str, image: str | os.PathLike,
             accelerator: str = "wasm", timeout: float = 180.0) -> dict:
    """Opens the page on `model` (a file name in `models`) and `image` (a PNG of the
    model's input size) in headless Chromium.

    Returns:
        The page's report: `pixels` (uint8 array, H x W x C), `latency_ms` (median of 5
        runs after a warm-up), `times_ms`, `threads`, `accelerator`, `model`.

    Raises:
        RuntimeError: if Chromium is missing, the page reports an error, or nothing
            comes back within `timeout` seconds (with Chromium's last log lines).
    """
    check_web_install()
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium not found (Debian: apt-get install chromium).")
    server = PageServer(Path(models), port=0, files={"/input.png": Path(image)})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"{server.url}?model={model}&image=input.png&report=1&accelerator={accelerator}"
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                 "--enable-logging=stderr", url],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            done = server.result_ready.wait(timeout)
        finally:
            proc.kill()
            proc.wait()
            server.shutdown()
            server.server_close()
        log.seek(0)
        lines = [ln for ln in log.read().splitlines() if "CONSOLE" in ln][-5:]
    if not done:
        raise RuntimeError(f"the page sent no result within {timeout:.0f} s; Chromium's last "
                           "console lines:\n" + "\n".join(lines))
    result = server.results[0]
    if "error" in result:
        raise RuntimeError(f"the page reported: {result['error']}")
    h, w, c = result["shape"]
    result["pixels"] = np.asarray(result["pixels"], np.uint8).reshape(h, w, c)
    return result
