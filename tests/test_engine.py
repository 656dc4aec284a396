"""`translate --engine ray`: Ray Data actors on a local two-CPU Ray give the same files
as the single-process `translate`; a corrupt image is reported by name without losing
the others; outputs already there are skipped, or recomputed with --overwrite."""

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import random_image, tiny_config, write_image

try:
    import ray
except ImportError:  # CI installs it (requirements.txt): there a missing Ray is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("ray[data] is not installed (pip install -e '.[ray]')", allow_module_level=True)

from pix2pix_tf.cli import main


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (starting one takes seconds): two CPUs, no
    dashboard, no usage statistics; the engine uses it instead of starting its own."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def model_and_images(tmp_path_factory):
    """A generator file (spread weights: pictures, not flat colour) and a folder of
    images of several sizes, one of them corrupt, two sharing a name."""
    from pix2pix_tf.generator import Generator

    root = tmp_path_factory.mktemp("engine")
    generator = Generator(tiny_config(precision="float32"))
    rng = np.random.default_rng(0)
    generator.set_weights([w + rng.normal(0, 0.3, w.shape).astype(w.dtype) if w.ndim == 4
                           else w for w in generator.get_weights()])
    generator.save(root / "generator.keras")
    good = [write_image(root / "in" / f"img{i}.png", random_image(30 + 4 * i, 40, seed=i))
            for i in range(5)]
    good.append(write_image(root / "in" / "photo.jpg", random_image(32, 64, seed=7)))  # A|B
    (root / "in" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    good.append(write_image(root / "more" / "img0.png", random_image(20, 20, seed=9)))
    return root, good


def _translate(model: Path, out: Path, *extra: str) -> int:
    return main(["translate", "--model", str(model), str(model.parent / "in"),
                 str(model.parent / "more" / "img0.png"), "--out", str(out), "--batch-size",
                 "2", *extra])


def test_ray_engine_matches_translate_and_skips_what_is_done(local_ray, model_and_images,
                                                             tmp_path, capsys):
    from pix2pix_tf.translate import translate_files
    from pix2pix_tf.translator import Translator

    root, good = model_and_images
    model = root / "generator.keras"
    reference = translate_files(Translator.load(model), good, tmp_path / "reference")
    assert [p.name for p in reference][-1] == "img0-2.png"  # the shared name, renamed

    out = tmp_path / "out"
    out.mkdir()
    (out / "img3.png").write_bytes(b"done before")  # an earlier run's output: kept
    status = _translate(model, out, "--engine", "ray", "--workers", "2")
    err = capsys.readouterr().err
    assert status == 2  # some failed
    assert f"error: {root / 'in' / 'broken.png'}: not a readable image" in err
    assert "1 image(s) could not be translated" in err
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in reference)
    assert (out / "img3.png").read_bytes() == b"done before"  # skipped, not recomputed
    for ref in reference:  # the same PNG files, byte for byte
        if ref.name != "img3.png":
            assert (out / ref.name).read_bytes() == ref.read_bytes(), ref.name
    assert not [p for p in out.iterdir() if ".tmp" in p.name]  # written atomically

    # --overwrite recomputes what is there; the corrupt file still fails alone.
    status = _translate(model, out, "--engine", "ray", "--workers", "2", "--overwrite")
    assert status == 2 and "Wrote 7 image(s)" in capsys.readouterr().out
    for ref in reference:
        assert (out / ref.name).read_bytes() == ref.read_bytes(), ref.name

    # Once the corrupt file is gone, a re-run has nothing left to do: no file is touched.
    (root / "in" / "broken.png").unlink()
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert _translate(model, out, "--engine", "ray") == 0
    assert "Skipping 7 image(s) whose output is already in" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps


def test_ray_engine_refuses_bad_options_in_one_line(model_and_images, tmp_path, capsys):
    root, _ = model_and_images
    model = root / "generator.keras"
    assert _translate(model, tmp_path / "o", "--engine", "ray", "--workers", "0") == 2
    assert capsys.readouterr().err.strip() == "error: `--workers` must be at least 1. Received: 0"
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not decoded: refused by its name first")
    assert main(["translate", "--model", str(model), str(video), "--out", str(tmp_path / "v"),
                 "--engine", "ray"]) == 2
    assert "--engine ray translates images" in capsys.readouterr().err


def test_one_failing_image_costs_no_other(model_and_images, tmp_path):
    """The actor's batch: an unreadable image and one the network cannot take (an A|B
    half of width 0) are reported by name; the good one is written; an output another
    run wrote meanwhile is left alone."""
    import io

    from PIL import Image

    from pix2pix_tf.engine import TranslateBatch

    def png(width: int) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(random_image(20, width)).save(buffer, format="PNG")
        return buffer.getvalue()

    root, _ = model_and_images
    (tmp_path / "done.png").write_bytes(b"another run's")
    batch = TranslateBatch(str(root / "generator.keras"), str(tmp_path), {"/in/x/a.png": "a-2.png"},
                           {}, layout="ab")
    rows = batch({"path": np.array(["/in/x/a.png", "/in/thin.png", "/in/junk.png", "/in/done.png"],
                                   dtype=object),
                  "bytes": np.array([png(40), png(1), b"junk", png(40)], dtype=object)})
    assert rows["output"] == [str(tmp_path / n) for n in ("a-2.png", "thin.png", "junk.png",
                                                          "done.png")]
    assert rows["error"][0] == "" and (tmp_path / "a-2.png").exists()
    assert rows["error"][1].startswith("not translated (InvalidArgumentError: input image must")
    assert rows["error"][2].startswith("/in/junk.png: not a readable image")
    assert rows["error"][3] == "exists" and (tmp_path / "done.png").read_bytes() == b"another run's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-2.png", "done.png"]


def test_actors_take_the_translators_options(model_and_images, tmp_path):
    """`translator_options` reach each actor's `Translator.load`: here `--size tiled`
    (issue18e's any image size), the same pixels as the single-process translator."""
    import io

    from PIL import Image

    from pix2pix_tf.engine import TranslateBatch
    from pix2pix_tf.translator import Translator

    root, _ = model_and_images
    image = random_image(50, 70, seed=3)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    batch = TranslateBatch(str(root / "generator.keras"), str(tmp_path), {},
                           {"size": "tiled"}, layout="single")
    rows = batch({"path": np.array(["/in/big.png"], dtype=object),
                  "bytes": np.array([buffer.getvalue()], dtype=object)})
    assert rows["error"] == [""]
    want = Translator.load(root / "generator.keras", size="tiled").translate_image(
        image, layout="single")
    with Image.open(tmp_path / "big.png") as im:
        np.testing.assert_array_equal(np.asarray(im), want)
    assert want.shape == (50, 70, 3)
