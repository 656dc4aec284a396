"""One image through every path that runs a generator — `translate`, `evaluate`, the
`Translator`, every export (SavedModel — its float and TF Serving's bytes signatures —,
TFLite, ONNX) and the web page — gives the same
pixels, for an RGB model that resizes and a Lab colourisation model that crops."""

import csv
import json
import os

import numpy as np
import pytest
from conftest import tiny_config, write_image

from pix2pix_tf import train
from pix2pix_tf.translator import Translator, to_pixels


def _photo(i: int, h: int = 40, w: int = 48) -> np.ndarray:
    """A smooth photo-like picture (colour ramps and a square), not the model's size."""
    rng = np.random.default_rng(i)
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    img[..., 1] = np.linspace(255, 40, h, dtype=np.uint8)[:, None]
    img[..., 2] = (90 + 40 * i) % 256
    img[8:24, 12:30] = rng.integers(0, 256, 3)
    return img


KINDS = {
    # (config, data spec): labels -> photo style pairs on A/B folders, resized.
    "rgb_resize": dict(preprocess="resize_and_crop", direction="AtoB"),
    # colourisation in Lab (L -> ab) trained on native-scale crops.
    "lab_crop": dict(color_space="lab", preprocess="crop"),
}


@pytest.fixture(scope="module", params=sorted(KINDS))
def exported_kind(request, tmp_path_factory):
    from pix2pix_tf.export import run_export

    kind = request.param
    root = tmp_path_factory.mktemp(kind)
    for i in range(4):
        if kind == "lab_crop":
            write_image(root / "photos" / f"{i}.png", _photo(i))
        else:
            write_image(root / "pairs" / "A" / f"{i}.png", _photo(i))
            write_image(root / "pairs" / "B" / f"{i}.png", _photo(i + 10)[:, ::-1])
    data = f"colorize:{root / 'photos'}" if kind == "lab_crop" else str(root / "pairs")
    # precision "auto" as users get it (module fixtures run before the tests' float32 pin):
    # mixed_bfloat16 on CPUs with AVX512-BF16 (this project's machines), float32 elsewhere.
    config = tiny_config(steps_per_epoch=3, sample_every=0, precision="auto", **KINDS[kind])
    train(config, root / "run", data=data, verbose=0)
    entries = run_export(root / "run", "savedmodel,tflite,onnx", "fp32,fp16",
                         root / "export", num_verify=2, calibration_samples=2)
    assert all(e["passed"] for e in entries)
    return kind, root, data


@pytest.mark.real_auto_precision
def test_every_path_gives_the_same_pixels(exported_kind, tmp_path):
    from pix2pix_tf.evaluation import evaluate
    from pix2pix_tf.export import OnnxRunner, SavedModelRunner, TFLiteRunner
    from pix2pix_tf.export.litert_model import read_metadata
    from pix2pix_tf.translate import translate_files

    kind, root, data = exported_kind
    translator = Translator.load(root / "run")
    pre = translator.preprocessor
    from pix2pix_tf.precision import device_precision

    trained = json.loads((root / "run" / "config.json").read_text())["precision"]
    assert trained == device_precision()[0]  # the real default, not the tests' float32 pin
    assert {la.compute_dtype for la in translator.network.layers if hasattr(la, "kernel")} \
        == {"float32"}  # inference in float32 whatever the training precision
    assert pre.fit == ("crop" if kind == "lab_crop" else "resize")
    image = _photo(2)
    write_image(tmp_path / "in" / "photo.png", image)

    # The contract in Python: the prepared input and the model-size output pixels.
    x = pre.prepare(image)[None].numpy()
    reference = to_pixels(translator(x))[0]

    # translate (a file, as users run it): resize models return to the photo's size.
    (written,) = translate_files(translator, [tmp_path / "in"], tmp_path / "out")
    from PIL import Image

    with Image.open(written) as im:
        out = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(out, translator.translate_image(image))
    assert out.shape == ((32, 32, 3) if kind == "lab_crop" else image.shape)
    if kind == "lab_crop":
        np.testing.assert_array_equal(out, reference)

    # evaluate scores exactly the Translator's outputs (its L1 per image, recomputed).
    summary = evaluate(root / "run", data=data, split="train", out=tmp_path / "eval")
    from pix2pix_tf.data import make_dataset, resolve_data

    source = resolve_data(data, translator.config, "train")
    xs, ys = next(iter(make_dataset(source, translator.config, training=False,
                                    batch_size=len(source))))
    l1 = np.abs(translator(xs).numpy() - translator.to_rgb(xs, ys).numpy()).mean(axis=(1, 2, 3))
    with open(tmp_path / "eval" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    np.testing.assert_allclose([float(r["l1"]) for r in rows], l1, atol=1e-5)
    assert summary["images"] == len(source)

    # Every export, fed the same prepared input: the same pixels within its bar.
    out_dir = root / "export"
    runners = {"savedmodel": SavedModelRunner(out_dir / "savedmodel" / "generator" / "1"),
               "onnx": OnnxRunner(out_dir / "generator.onnx", 2),
               "tflite fp32": TFLiteRunner(out_dir / "generator_fp32.tflite", 2),
               "tflite fp16": TFLiteRunner(out_dir / "generator_fp16.tflite", 2)}
    for name, runner in runners.items():
        got = to_pixels(runner(x))[0]
        bar = 2 if "fp16" in name else 1
        assert np.abs(got.astype(int) - reference).max() <= bar, name
    # ... and TF Serving's signature, fed the photo file's bytes: translate's PNG pixels.
    import tensorflow as tf

    served = tf.saved_model.load(str(out_dir / "savedmodel" / "generator" / "1"))
    answer = served.signatures["serving_bytes"](
        image_bytes=tf.constant([(tmp_path / "in" / "photo.png").read_bytes()]),
        key=tf.constant(["photo"]))
    assert answer["key"].numpy().tolist() == [b"photo"]
    got = tf.io.decode_png(answer["output_bytes"][0]).numpy()
    assert got.shape == out.shape and np.abs(got.astype(int) - out).max() <= 1
    # ... and every artifact says what it expects, for apps and the page.
    meta = read_metadata(out_dir / "generator_fp32.tflite")
    assert "palette" not in meta  # photos in, not label maps: no drawing mode
    meta = meta["preprocessor"]
    assert meta == json.loads(json.dumps(pre.to_dict()))
    saved = json.loads((out_dir / "savedmodel" / "generator" / "1" / "assets.extra"
                        / "pix2pix_tf.json").read_text())
    assert saved["preprocessor"] == meta
    import onnx

    props = {p.key: p.value for p in onnx.load(out_dir / "generator.onnx").metadata_props}
    assert json.loads(props["pix2pix_tf"])["preprocessor"] == meta

    # The web page, from the photo file itself (its own resize / crop / Lab L*).
    from test_export import _need_browser

    _need_browser()
    from pix2pix_tf.export.browser import run_page

    result = run_page(out_dir, "generator_fp32.tflite", tmp_path / "in" / "photo.png")
    np.testing.assert_allclose(np.asarray(result["input"]).reshape(x.shape[1:]), x[0],
                               atol=1e-5)
    assert np.abs(result["pixels"].astype(int) - reference).max() <= 1
    assert os.path.exists(written)
