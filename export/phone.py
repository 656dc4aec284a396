"""The static site (`python -m pix2pix_tf export web`) in a Chromium that emulates a phone.

Used by `tests/test_phone.py` and `python -m benchmarks.phone`. Drives the system
Chromium (`/usr/bin/chromium`, Debian's) through Playwright (`pip install playwright`;
no browser is downloaded: `executable_path` names the installed one) with Chromium's
mobile emulation: a 360x800 viewport at device scale factor 3, touch, a phone's user
agent. The camera is Chromium's fake capture device, fed a Y4M clip written here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pix2pix_tf.export.browser import CHROMIUM_FLAGS, find_chromium
from pix2pix_tf.export.serve import PageServer, check_site

PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"}
# The camera: Chromium's fake device, granted without a prompt, playing `clip`.
FAKE_CAMERA = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
# The browser test's flags; Playwright sets headless mode and the first-run profile itself.
CHROMIUM_ARGS = tuple(f for f in CHROMIUM_FLAGS if f not in ("--headless", "--no-first-run"))


def write_y4m(path: str | os.PathLike, width: int = 64, height: int = 48,
              frames: int = 10, fps: int = 10) -> Path:
    """A small Y4M clip (4:2:0) of a moving gradient, for Chromium's fake camera.

    Returns:
        The path written.
    """
    path = Path(path)
    y, x = np.mgrid[0:height, 0:width]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            luma = ((x * 255 // max(1, width - 1) + 25 * i) % 256).astype(np.uint8)
            luma[(y // 8 + i) % 4 == 0] //= 2  # moving stripes: frames differ
            chroma = np.full((height // 2, width // 2), 128, np.uint8)
            f.write(b"FRAME\n" + luma.tobytes() + (chroma + 20 * (i % 3)).tobytes()
                    + chroma.tobytes())
    return path


@contextlib.contextmanager
def serve_site(site: str | os.PathLike) -> Iterator[PageServer]:
    """The site on an ephemeral localhost port (a secure context, as service workers
    need); `server.shutdown()` inside the block takes the network away."""
    server = PageServer(None, port=0, site=check_site(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def phone(video: str | os.PathLike | None = None, headless: bool = True,
          scale: float = 3) -> Iterator:
    """A Playwright browser context that emulates a phone, on the system Chromium.

    A persistent profile (a temporary folder), not an incognito context: Chromium does
    not offer to install a web app from incognito (`Page.getInstallabilityErrors`
    reports `in-incognito`).

    Args:
        video: a Y4M clip for the fake camera (none: Chromium's own test pattern).
        headless: no window.
        scale: the device scale factor (CSS pixel to screen pixel).

    Yields:
        The `BrowserContext`; its first page is `context.pages[0]`.

    Raises:
        RuntimeError: Chromium is not installed.
    """
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium not found (Debian: apt-get install chromium).")
    args = [*CHROMIUM_ARGS, *FAKE_CAMERA]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=headless, args=args,
            permissions=["camera"], **{**PHONE, "device_scale_factor": scale})
        try:
            yield context
        finally:
            context.close()


def open_page(context, url: str, timeout_s: float = 120.0):
    """Opens `url` in the context's page and waits until the model is compiled.

    Returns:
        The Playwright `Page`.

    Raises:
        RuntimeError: the page reported an error.
    """
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    wait_state(page, "window.pix2pix && window.pix2pix.ready", timeout_s)
    return page


def wait_state(page, condition: str, timeout_s: float = 120.0) -> None:
    """Waits until the JavaScript `condition` holds or the page reports an error."""
    page.wait_for_function(f"(window.pix2pix && window.pix2pix.error) || ({condition})",
                           timeout=timeout_s * 1000)
    error = page.evaluate("window.pix2pix && window.pix2pix.error")
    if error:
        raise RuntimeError(f"the page reported: {error}")


def translate_file(page, image: str | os.PathLike, timeout_s: float = 120.0) -> dict:
    """Picks `image` with the page's file input (as a user does) and waits for the result.

    Returns:
        The page's result: `pixels` (uint8, H x W x C), `latency_ms` (median of 5 runs
        after one), `times_ms`, `threads`, `accelerator`, `model`.
    """
    page.evaluate("window.pix2pix.result = null")
    page.set_input_files("#file", str(image))
    wait_state(page, "window.pix2pix.result", timeout_s)
    return read_result(page)


def read_result(page) -> dict:
    """The page's last result (`window.pix2pix.result`), pixels as a uint8 array."""
    result = page.evaluate("({...window.pix2pix.result, "
                           "pixels: Array.from(window.pix2pix.result.pixels)})")
    h, w, c = result["shape"]
    result["pixels"] = np.asarray(result["pixels"], np.uint8).reshape(h, w, c)
    return result
