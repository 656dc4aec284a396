"""Colourisation in CIE Lab (`color_space="lab"`): L in, ab out, RGB everywhere a user looks."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import tiny_config, write_image

from pix2pix_tf import train
from pix2pix_tf.color import lab_pair, lab_to_rgb, rgb_to_lab, to_rgb
from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.data import make_dataset, resolve_data
from pix2pix_tf.errors import ConfigError


def test_lab_reference_values_and_round_trip():
    # CIE Lab of sRGB white, black and primaries (D65), as published (e.g. Bruce Lindbloom).
    rgb = tf.constant([[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], tf.float32)
    expected = [[100, 0, 0], [0, 0, 0], [53.24, 80.09, 67.20], [87.73, -86.18, 83.18],
                [32.30, 79.19, -107.86]]
    np.testing.assert_allclose(rgb_to_lab(rgb).numpy(), expected, atol=0.02)
    pixels = np.random.default_rng(0).uniform(0, 1, (64, 3)).astype("float32")
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(pixels)).numpy(), pixels, atol=1e-4)


def test_lab_pair_scales_into_unit_range_and_back():
    pixels = np.random.default_rng(1).integers(0, 256, (8, 8, 3)).astype("float32")
    L, ab = lab_pair(pixels)
    assert L.shape == (8, 8, 1) and ab.shape == (8, 8, 2)
    assert float(tf.reduce_min(L)) >= -1 and float(tf.reduce_max(tf.abs(ab))) <= 1
    back = (to_rgb(L, ab, "lab").numpy() + 1) * 127.5
    np.testing.assert_allclose(back, pixels, atol=0.05)
    assert to_rgb(L, ab, "rgb") is ab  # the identity for RGB models


def test_config_channels_follow_the_colour_space():
    c = Pix2PixConfig(color_space="lab")
    assert (c.input_channels, c.output_channels, c.b_channels) == (1, 2, 3)
    assert Pix2PixConfig.from_dict(c.architecture()).output_channels == 2
    with pytest.raises(ConfigError, match="input_channels=3"):
        Pix2PixConfig(color_space="lab", input_channels=3)
    with pytest.raises(ConfigError, match="color_space"):
        Pix2PixConfig(color_space="hsv")


def _photos(folder, n=3):
    rng = np.random.default_rng(0)
    for i in range(n):
        img = np.zeros((40, 40, 3), np.uint8)
        img[..., 0] = np.linspace(0, 255, 40, dtype=np.uint8)[None, :]
        img[..., 1] = 200 - 60 * i
        img[10:30, 10:30, 2] = rng.integers(100, 255)
        write_image(folder / f"{i}.png", img)
    return folder


def test_lab_colorize_trains_translates_evaluates_and_exports(tmp_path):
    from pix2pix_tf.evaluation import evaluate
    from pix2pix_tf.export import run_export
    from pix2pix_tf.translate import translate_files
    from pix2pix_tf.translator import Translator

    photos = _photos(tmp_path / "photos")
    config = tiny_config(color_space="lab", preprocess="none", flip=False, steps_per_epoch=2,
                         num_samples=2)
    source = resolve_data(f"colorize:{photos}", config)
    x, y = next(iter(make_dataset(source, config, training=False)))
    assert x.shape[-1] == 1 and y.shape[-1] == 2
    photo = tf.image.resize(tf.cast(tf.io.decode_png(tf.io.read_file(str(photos / "0.png")))
                                    [None], tf.float32), (32, 32), antialias=True)
    L, ab = lab_pair(tf.clip_by_value(photo, 0, 255))
    np.testing.assert_allclose(x[:1], L, atol=1e-5)
    np.testing.assert_allclose(y[:1], ab, atol=1e-5)

    run = tmp_path / "run"
    model = train(config, run, data=f"colorize:{photos}", verbose=0)
    assert model.generator.output_shape[-1] == 2
    grid = tf.io.decode_png(tf.io.read_file(str(run / "samples" / "epoch_0001.png")))
    assert grid.shape[-1] == 3
    # The sample grid's target column is the photo itself (back from L + ab).
    target = grid[:32, 64:96].numpy().astype("float32")
    assert np.abs(target - np.clip(photo[0].numpy(), 0, 255)).mean() < 1.5

    translator = Translator.load(run)
    assert translator.config.color_space == "lab"
    written = translate_files(translator, [photos / "0.png"], tmp_path / "out")
    out = tf.io.decode_png(tf.io.read_file(str(written[0]))).numpy()
    assert out.shape == (40, 40, 3)
    # Translate keeps the input's lightness (only ab is generated).
    lum_in = rgb_to_lab(tf.image.resize(photo, (40, 40)) / 255.0)[0, ..., 0].numpy()
    lum_out = rgb_to_lab(out / 255.0)[..., 0].numpy()
    assert np.abs(lum_in - lum_out).mean() < 8

    summary = evaluate(run, data=f"colorize:{photos}", split="train", out=tmp_path / "eval")
    assert summary["images"] == 3 and np.isfinite(summary["psnr"])

    entries = run_export(run, "tflite", "fp32", tmp_path / "export", num_verify=2,
                         calibration_samples=2)
    assert entries[-1]["passed"]
    from pix2pix_tf.export import TFLiteRunner

    runner = TFLiteRunner(tmp_path / "export" / "generator_fp32.tflite", 2)
    x1 = x[:1].numpy()
    np.testing.assert_allclose(runner(x1), translator(x1), atol=1e-4)
    assert runner(x1).shape == (1, 32, 32, 3)
