"""The static web app (`python -m pix2pix_tf export web`) as a phone runs it: built from
a tiny export, served on localhost, opened in Chromium emulating a 360x800 touch
phone (Playwright driving the system Chromium), installed (service worker, manifest),
then offline: it translates a photo to the pixels of Python's LiteRT interpreter and
runs the live camera mode on Chromium's fake camera."""

import json
import os

import numpy as np
import pytest
from conftest import tiny_config, write_image

from pix2pix_tf.export.__main__ import main as export_main


def _need_phone_browser():
    """Chromium, LiteRT.js and Playwright; CI has all three (.ci/run), so there a
    missing piece fails instead of skipping."""
    from test_export import _need_browser

    _need_browser()
    try:
        import playwright  # noqa: F401
    except ImportError:
        message = "the phone test needs playwright (pip install -r requirements.txt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory):
    """A trained-for-two-steps 32x32 generator exported as fp32 and int8 .tflite: trained
    on the built-in set (label map -> facade), so its metadata carries the palette that
    turns the drawing mode on."""
    from pix2pix_tf import train
    from pix2pix_tf.export import run_export

    root = tmp_path_factory.mktemp("phone")
    train(tiny_config(steps_per_epoch=2, sample_every=0), root / "run", data="builtin",
          verbose=0)
    entries = run_export(root / "run", "tflite", "fp32,int8", root / "export", num_verify=2,
                         calibration_samples=2)
    assert all(e["passed"] for e in entries)
    return root


def test_export_web_refuses_bad_input_in_one_line(tiny_export, tmp_path, capsys):
    def run(*args):
        code = export_main(["web", *args])
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "Traceback" not in err
        return code, err

    out = str(tmp_path / "site")
    assert run("--model", str(tmp_path / "missing"), "--out", out) == (
        2, f"error: --model {tmp_path / 'missing'}: not a folder (give an export folder "
           "with .tflite files, e.g. the --out of `python -m pix2pix_tf export`).")
    code, err = run("--model", str(tiny_export / "run"), "--out", out)
    assert code == 2 and "no .tflite file" in err
    code, err = run("--model", str(tiny_export / "export"), "--out", out, "--ship", "fp16")
    assert code == 2 and "--ship fp16: no such model" in err
    assert not (tmp_path / "site").exists()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "mine.txt").write_text("keep me")
    code, err = run("--model", str(tiny_export / "export"), "--out", out)
    assert code == 2 and "not empty" in err and "--overwrite" in err
    assert (tmp_path / "site" / "mine.txt").read_text() == "keep me"  # nothing lost
    assert os.listdir(tmp_path) == ["site"]  # no temporary left behind


def test_export_web_writes_a_self_contained_site(tiny_export, tmp_path, capsys):
    from PIL import Image

    site = tmp_path / "site"
    assert export_main(["web", "--model", str(tiny_export / "export"), "--out", str(site)]) == 0
    # int8 by default (the smallest), and only it.
    assert sorted(p.name for p in (site / "models").iterdir()) == ["generator_int8.tflite"]
    models = json.loads((site / "models.json").read_text())
    assert [m["name"] for m in models] == ["generator_int8.tflite"]
    assert models[0]["metadata"]["preprocessor"]["image_size"] == [32, 32]
    manifest = json.loads((site / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "./"
    for icon in manifest["icons"]:
        with Image.open(site / icon["src"]) as im:
            assert f"{im.width}x{im.height}" == icon["sizes"] and im.format == "PNG"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    html = (site / "index.html").read_text()
    assert '"./litertjs/core/dist/index.js"' in html and 'rel="manifest"' in html
    # The worker caches every file of the site, under a name that changes with them.
    sw = (site / "sw.js").read_text()
    files = {p.relative_to(site).as_posix() for p in site.rglob("*")
             if p.is_file() and not p.name.startswith(".") and p.name != "sw.js"}
    listed = json.loads(sw.split("const PRECACHE = ", 1)[1].split(";", 1)[0])
    assert set(listed) == files | {"./"}
    assert "const VERSION = 'dev'" not in sw
    # --overwrite replaces the site; --ship all takes both models.
    assert export_main(["web", "--model", str(tiny_export / "export"), "--out", str(site),
                        "--ship", "all", "--overwrite"]) == 0
    assert sorted(p.name for p in (site / "models").iterdir()) == [
        "generator_fp32.tflite", "generator_int8.tflite"]
    assert (site / "sw.js").read_text() != sw  # another cache name: phones update


def test_the_phone_installs_the_app_and_translates_offline(tiny_export, tmp_path):
    """360x800, touch, scale 3: the page installs its service worker; with the server
    gone and the network off it reloads, translates a picked photo to the pixels of
    Python's LiteRT interpreter (±1, as the other browser tests), and the live mode
    runs on the fake camera."""
    _need_phone_browser()
    from skimage import data

    from pix2pix_tf.export import phone as ph
    from pix2pix_tf.export.site import build_site
    from pix2pix_tf.export.tflite import TFLiteRunner

    site = tmp_path / "site"
    build_site(tiny_export / "export", site, ship="all")
    photo = data.astronaut()[90:122, 200:232]  # the model's 32x32: the pixels as they are
    write_image(tmp_path / "photo.png", photo)
    clip = ph.write_y4m(tmp_path / "clip.y4m")
    with ph.phone(video=clip) as context, ph.serve_site(site) as server:
        page = ph.open_page(context, f"{server.url}?model=generator_int8.tflite&accelerator=wasm")
        assert page.evaluate("[innerWidth, innerHeight, devicePixelRatio, "
                             "matchMedia('(pointer: coarse)').matches]") == [360, 800, 3, True]
        # Narrow screen: output below input, nothing wider than the screen.
        boxes = page.evaluate("['input', 'output'].map((id) => "
                              "document.getElementById(id).getBoundingClientRect().toJSON())")
        assert boxes[1]["top"] >= boxes[0]["bottom"] and boxes[0]["right"] <= 360
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert "int8" in page.inner_text("#info") and "MB" in page.inner_text("#info")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
        cdp = context.new_cdp_session(page)
        # Chromium's own installability check (manifest, icons, service worker, secure
        # context); it answers in headless mode too.
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

        server.shutdown()  # the network is gone: the server, and Chromium's
        context.set_offline(True)
        page.reload()
        ph.wait_state(page, "window.pix2pix.ready")
        result = ph.translate_file(page, tmp_path / "photo.png")
        expected = TFLiteRunner(site / "models" / "generator_int8.tflite").pixels(photo[None])[0]
        assert result["model"] == "generator_int8.tflite" and result["accelerator"] == "wasm"
        assert np.abs(result["pixels"].astype(int) - expected).max() <= 1
        assert page.get_attribute("#download", "href").startswith("blob:")

        # The fp32 model too (float input in [-1, 1]), chosen in the page, offline.
        page.select_option("#model", "generator_fp32.tflite")
        ph.wait_state(page, "window.pix2pix.result && "
                         "window.pix2pix.result.model === 'generator_fp32.tflite'")
        fp32 = ph.translate_file(page, tmp_path / "photo.png")
        x = photo[None].astype(np.float32) / 127.5 - 1
        want = np.asarray(TFLiteRunner(site / "models" / "generator_fp32.tflite")(x))[0]
        want = np.clip(np.floor((want + 1) * 127.5 + 0.5), 0, 255)
        assert np.abs(fp32["pixels"].astype(int) - want).max() <= 1

        # Live: the fake camera's frames, translated one after another (tapped, as a
        # finger does).
        page.tap("#live")
        ph.wait_state(page, "window.pix2pix.live.frames >= 5", 120)
        live = page.evaluate("window.pix2pix.live")
        assert live["running"] and live["fps"] > 0
        assert "fps" in page.inner_text("#outcaption")
        page.tap("#live")
        ph.wait_state(page, "!window.pix2pix.live.running")


def _touch_drag(cdp, points):
    """A finger: touchStart at the first point, touchMove through the rest, touchEnd."""
    kinds = ["touchStart"] + ["touchMove"] * (len(points) - 1)
    for kind, (x, y) in zip(kinds, points):
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_the_phone_draws_a_facade_and_translates_each_stroke(tiny_export, tmp_path):
    """The drawing mode of a label-map model: a finger drags a door-coloured rectangle and
    a mouse brushes a window-coloured line on the 32x32 label map; the label map holds
    palette colours only, the strokes where they were drawn, and the output of the
    latest picture equals Python's LiteRT interpreter on the same label map (±1)."""
    _need_phone_browser()
    from pix2pix_tf.data.synthetic import label_palette
    from pix2pix_tf.export import phone as ph
    from pix2pix_tf.export.site import build_site
    from pix2pix_tf.export.tflite import TFLiteRunner

    site = tmp_path / "site"
    build_site(tiny_export / "export", site)
    metadata = json.loads((site / "models.json").read_text())[0]["metadata"]
    assert metadata["palette"] == label_palette()
    colours = {tuple(p["rgb"]) for p in label_palette()}
    door, window = (tuple(label_palette()[i]["rgb"]) for i in (2, 1))
    runner = TFLiteRunner(site / "models" / "generator_int8.tflite")

    def latest(page):
        ph.wait_state(page, "window.pix2pix.draw.shown === window.pix2pix.draw.version && "
                            "window.pix2pix.result.version === window.pix2pix.draw.version")
        result = ph.read_result(page)
        labels = np.asarray(result["labels"], np.uint8).reshape(32, 32, 3)
        assert {tuple(v) for v in labels.reshape(-1, 3)} <= colours  # no blended colours
        assert np.abs(result["pixels"].astype(int) - runner.pixels(labels[None])[0]).max() <= 1
        return labels

    with ph.phone() as context, ph.serve_site(site) as server:
        page = ph.open_page(context, f"{server.url}?accelerator=wasm")
        assert page.is_visible("#draw") and not page.is_visible("#drawtools")
        page.tap("#draw")
        ph.wait_state(page, "window.pix2pix.draw.active")
        start = latest(page)  # the starter facade, translated at once
        assert page.is_visible("#drawtools")
        assert page.locator("#palette button").all_inner_texts() == [
            p["name"] for p in label_palette()]
        box = page.locator("#input").bounding_box()
        assert box["width"] <= 360  # fits the phone's screen

        def at(u, v):  # a point of the label map (pixel centres) in CSS pixels
            return (box["x"] + (u + 0.5) / 32 * box["width"],
                    box["y"] + (v + 0.5) / 32 * box["height"])

        def choose(index):
            page.click(f"#palette button[data-index='{index}']")
            ph.wait_state(page, f"window.pix2pix.draw.colour === {index}")
            assert page.get_attribute(f"#palette button[data-index='{index}']",
                                      "aria-checked") == "true"

        choose(2)  # door
        cdp = context.new_cdp_session(page)
        _touch_drag(cdp, [at(3, 20), at(6, 24), at(9, 27)])
        after = latest(page)
        assert (after[20:28, 3:10] == door).all()
        assert (after[:20] == start[:20]).all() and (after[28:] == start[28:]).all()

        # Buttons after the finger's drag are clicked, not tapped: a tap soon after a
        # touch sequence can be taken for the second half of a double tap (a zoom), and
        # its click never comes (seen once under CI load).
        page.click("#tool")
        ph.wait_state(page, "window.pix2pix.draw.tool === 'brush'")
        assert page.inner_text("#tool") == "Tool: brush"
        choose(1)  # window
        page.mouse.move(*at(12, 2))
        page.mouse.down()
        page.mouse.move(*at(28, 2), steps=4)
        page.mouse.up()
        brushed = latest(page)
        assert (brushed[2, 12:29] == window).all()  # the whole line, between the events
        assert (brushed[20:28, 3:10] == door).all()

        version = page.evaluate("window.pix2pix.draw.version")
        page.click("#clear")
        ph.wait_state(page, f"window.pix2pix.draw.version > {version}")
        cleared = latest(page)
        assert not (cleared == door).all(axis=-1).any()
        assert not (cleared == window).all(axis=-1).any()


def test_serve_site_gives_the_site_files_only(tiny_export, tmp_path, capsys):
    import http.client

    from pix2pix_tf.export.phone import serve_site
    from pix2pix_tf.export.site import build_site

    assert export_main(["serve", "--site", str(tmp_path / "missing")]) == 2
    assert "--site" in capsys.readouterr().err
    assert export_main(["serve", "--site", str(tiny_export / "export")]) == 2
    assert "not a site built by" in capsys.readouterr().err
    site = tmp_path / "site"
    build_site(tiny_export / "export", site)
    (tmp_path / "secret.txt").write_text("not served")

    with serve_site(site) as server:
        host, port = server.server_address[:2]

        def request(method, path, host_header=f"127.0.0.1:{port}", body=None):
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.putrequest(method, path, skip_host=True)
            conn.putheader("Host", host_header)
            conn.putheader("Content-Length", str(len(body or b"")))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return response, data

        response, data = request("GET", "/")
        assert response.status == 200 and b'rel="manifest"' in data
        assert response.getheader("Cross-Origin-Embedder-Policy") == "require-corp"
        response, _ = request("GET", "/manifest.webmanifest")
        assert response.getheader("Content-Type") == "application/manifest+json"
        response, data = request("GET", "/models/generator_int8.tflite")
        assert data == (site / "models" / "generator_int8.tflite").read_bytes()
        for path in ("/.nojekyll", "/../secret.txt", "/%2e%2e/secret.txt", "/models/"):
            assert request("GET", path)[0].status == 404, path
        assert request("POST", "/result", body=b"{}")[0].status == 404
        assert request("GET", "/", host_header=f"evil.example:{port}")[0].status == 403


def test_export_web_into_an_unwritable_place_is_one_line(tiny_export, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code = export_main(["web", "--model", str(tiny_export / "export"),
                        "--out", str(blocker / "site")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"error: --out {blocker / 'site'}: cannot write")
    assert "\n" not in err and blocker.read_text() == "a file, not a folder"
