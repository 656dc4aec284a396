"""The inference contract (pix2pix_tf/translator.py): one function, every path."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import random_image, tiny_config, write_image

from pix2pix_tf.generator import build_generator
from pix2pix_tf.translator import Preprocessor, Translator, load_generator


def _read(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


# --- metrics ------------------------------------------------------------------------------
def test_ssim_and_psnr_match_scikit_image_on_real_and_random_images():
    from skimage import data
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from pix2pix_tf.metrics import psnr, ssim

    photo = tf.image.resize(data.astronaut()[None].astype("float32"), (96, 96),
                            antialias=True)[0].numpy() / 255.0
    rng = np.random.default_rng(0)
    pairs = [(photo, np.clip(photo + rng.normal(0, 0.1, photo.shape), 0, 1)),
             (photo, photo[::-1]),
             (rng.uniform(0, 1, (64, 48, 3)), rng.uniform(0, 1, (64, 48, 3))),
             (np.full((32, 32, 3), 0.55), np.full((32, 32, 3), 0.45))]  # means 0.1 / -0.1
    for a, b in pairs:
        a, b = a.astype("float32"), b.astype("float32")
        expected = structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                         use_sample_covariance=False, data_range=1.0,
                                         channel_axis=-1)
        got = float(ssim(a[None] * 2 - 1, b[None] * 2 - 1)[0])  # the models' [-1, 1]
        assert got == pytest.approx(expected, abs=2e-3)
        assert float(psnr(a[None] * 2 - 1, b[None] * 2 - 1)[0]) == pytest.approx(
            peak_signal_noise_ratio(a, b, data_range=1.0), abs=1e-2)
    # The example: on [-1, 1] directly this pair scored about -0.96.
    flat = float(ssim(np.full((1, 32, 32, 3), 0.1), np.full((1, 32, 32, 3), -0.1))[0])
    assert flat > 0.9


# --- the generator file describes its own input -------------------------------------------
def test_a_bare_generator_file_keeps_its_direction_and_fit(tmp_path):
    c = tiny_config(direction="BtoA", preprocess="crop")
    build_generator(c).save(tmp_path / "g.keras")
    g, loaded = load_generator(tmp_path / "g.keras")
    assert (loaded.direction, loaded.preprocess) == ("BtoA", "crop")
    pre = Translator.load(tmp_path / "g.keras").preprocessor
    assert (pre.direction, pre.fit) == ("BtoA", "crop")
    # A|B image: the right half is the input of a BtoA model.
    left, right = random_image(32, 32, seed=1), random_image(32, 32, seed=2)
    pair = np.concatenate([left, right], axis=1)
    translator = Translator(g, loaded)
    np.testing.assert_array_equal(translator.translate_image(pair),
                                  translator.translate_image(right))
    assert Translator.load(tmp_path / "g.keras", direction="AtoB").preprocessor.direction == \
        "AtoB"


def test_generator_files_without_a_preprocessor_still_load(tmp_path, capsys):
    import json
    import zipfile

    build_generator(tiny_config(direction="BtoA")).save(tmp_path / "g.keras")
    # Rewrite the file as an older version wrote it: no "preprocessor" in its config.
    with zipfile.ZipFile(tmp_path / "g.keras") as z:
        files = {n: z.read(n) for n in z.namelist()}
    config = json.loads(files["config.json"])
    del config["config"]["preprocessor"]
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "old.keras", "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    _, loaded = load_generator(tmp_path / "old.keras")
    assert loaded.direction == "AtoB"
    assert "assuming AtoB" in capsys.readouterr().out


# --- resize and crop: one function for translate and evaluate -----------------------------
@pytest.mark.parametrize("preprocess", ["resize_and_crop", "crop"])
def test_translate_and_evaluate_prepare_the_same_input(tmp_path, preprocess):
    from pix2pix_tf.data import make_dataset, resolve_data

    c = tiny_config(preprocess=preprocess, direction="AtoB")
    g = build_generator(c)
    translator = Translator(g, c)
    a, b = random_image(48, 40, seed=3), random_image(48, 40, seed=4)
    write_image(tmp_path / "pairs" / "A" / "x.png", a)
    write_image(tmp_path / "pairs" / "B" / "x.png", b)
    source = resolve_data(str(tmp_path / "pairs"), c, "train")
    x, _ = next(iter(make_dataset(source, c, training=False)))
    np.testing.assert_allclose(translator.preprocessor.prepare(a)[None], x, atol=1e-6)
    out = translator.translate_image(a)
    if preprocess == "crop":  # the centre crop at native scale, and its translation
        assert out.shape == (32, 32, 3)
        np.testing.assert_allclose(x[0], tf.image.resize_with_crop_or_pad(
            a.astype("float32"), 32, 32) / 127.5 - 1, atol=1e-6)
    else:
        assert out.shape == (48, 40, 3)


# --- inference mode, batch and precision ---------------------------------------------------
def test_batch_stats_is_per_image_seeded_and_leaves_the_model_alone():
    c = tiny_config(inference_mode="batch_stats")
    g = build_generator(c)
    moving = [v.numpy().copy() for v in g.non_trainable_variables]
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    one = Translator(g, c, seed=3)(x[:1]).numpy()
    assert np.array_equal(one, Translator(g, c, seed=3)(x[:1]).numpy())  # seeded
    assert not np.array_equal(one, Translator(g, c, seed=4)(x[:1]).numpy())  # dropout on
    # The first image's result does not depend on the others in its batch.
    np.testing.assert_allclose(Translator(g, c, seed=3)(x).numpy()[:1], one, atol=1e-5)
    other = np.concatenate([x[:1], -x[1:]])
    np.testing.assert_allclose(Translator(g, c, seed=3)(other).numpy()[:1], one, atol=1e-5)
    for before, v in zip(moving, g.non_trainable_variables):
        np.testing.assert_array_equal(before, v.numpy())  # BatchNorm's statistics untouched


@pytest.mark.parametrize("mode", ["image_stats", "moving_stats"])
def test_deterministic_modes_do_not_depend_on_the_batch(mode):
    c = tiny_config(inference_mode=mode)
    translator = Translator(build_generator(c), c)
    x = np.random.default_rng(1).uniform(-1, 1, (5, 32, 32, 3)).astype("float32")
    whole = translator(x).numpy()
    singles = np.concatenate([translator(x[i:i + 1]).numpy() for i in range(5)])
    np.testing.assert_allclose(whole, singles, atol=1e-5)


def test_inference_is_float32_for_a_bfloat16_network_and_any_mode(tmp_path):
    c = tiny_config(precision="mixed_bfloat16")
    g = build_generator(c)
    assert g.get_layer("down2_conv").compute_dtype == "bfloat16"
    for mode in (None, "moving_stats", "batch_stats"):
        t = Translator(g, c, inference_mode=mode)
        assert {layer.compute_dtype for layer in t.network.layers
                if hasattr(layer, "kernel")} == {"float32"}, mode
    # As trained (what fit's validation uses): the live bfloat16 layers, shared.
    live = Translator(g, c, precision="as_trained")
    assert live.network is g
    # The CLI's --inference-mode: a run trained in bfloat16, translated in float32.
    run = tmp_path / "run"
    run.mkdir()
    g.save(run / "generator.keras")
    c.save(run / "config.json")
    t = Translator.load(run, inference_mode="moving_stats")
    assert t.network.get_layer("down2_conv").compute_dtype == "float32"


def test_preprocessor_round_trips_and_rejects_bad_values():
    from pix2pix_tf.errors import ConfigError

    pre = Preprocessor.from_config(tiny_config(color_space="lab", preprocess="crop"))
    assert Preprocessor.from_dict(pre.to_dict()) == pre
    assert pre.to_dict()["input_content"] == "lab_l"
    with pytest.raises(ConfigError, match="fit"):
        Preprocessor(fit="stretch")


# --- translate never overwrites -------------------------------------------------------------
def test_translate_never_overwrites_inputs_or_existing_files(tmp_path):
    from pix2pix_tf.cli import main
    from pix2pix_tf.errors import DataError
    from pix2pix_tf.translate import translate_files

    c = tiny_config()
    translator = Translator(build_generator(c), c)
    write_image(tmp_path / "in" / "a.png", random_image(32, 32, seed=1))
    original = (tmp_path / "in" / "a.png").read_bytes()
    with pytest.raises(DataError, match="is one of the inputs"):
        translate_files(translator, [tmp_path / "in"], tmp_path / "in", overwrite=True)
    assert (tmp_path / "in" / "a.png").read_bytes() == original
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.png").write_bytes(b"mine")
    with pytest.raises(DataError, match="already exists"):
        translate_files(translator, [tmp_path / "in"], tmp_path / "out")
    assert (tmp_path / "out" / "a.png").read_bytes() == b"mine"
    translator.generator.save(tmp_path / "g.keras")
    argv = ["translate", "--model", str(tmp_path / "g.keras"), str(tmp_path / "in"),
            "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert main(argv + ["--overwrite"]) == 0
    assert _read(tmp_path / "out" / "a.png").shape == (32, 32, 3)


def test_fit_validation_metrics_are_the_contracts():
    """`model.evaluate` / `fit`'s val_* metrics score what the Translator computes."""
    from pix2pix_tf import Pix2Pix
    from pix2pix_tf.data import builtin, make_dataset
    from pix2pix_tf.metrics import psnr, ssim

    c = tiny_config(inference_mode="batch_stats")
    model = Pix2Pix(c)
    model.compile()
    ds = make_dataset(builtin(c, "val"), c, training=False, batch_size=3)
    noisy = model.evaluate(ds, return_dict=True, verbose=0)  # batch_stats: seeded dropout
    assert np.isfinite(noisy["ssim"])
    x = np.concatenate([b[0] for b in ds])
    y = np.concatenate([b[1] for b in ds])
    # Deterministic part and seeded dropout aside, the same images, ranges and metrics:
    # compare in image_stats (batch_stats' dropout draws differ between objects).
    det = Pix2Pix(c.replace(inference_mode="image_stats"), generator=model.generator,
                  discriminator=model.discriminator)
    det.compile()
    logs = det.evaluate(ds, return_dict=True, verbose=0)
    fake = Translator(model.generator, c, inference_mode="image_stats")(x)
    assert logs["ssim"] == pytest.approx(float(np.mean(ssim(y, fake))), abs=1e-4)
    assert logs["psnr"] == pytest.approx(float(np.mean(psnr(y, fake))), abs=1e-3)
    assert logs["l1"] == pytest.approx(float(np.mean(np.abs(y - fake))), abs=1e-5)


def test_the_generator_does_not_import_the_translator():
    """One direction: translator -> generator -> preprocessor (the contract's steps)."""
    import ast
    from pathlib import Path

    import pix2pix_tf

    root = Path(pix2pix_tf.__file__).parent

    def imports(name):
        tree = ast.parse((root / f"{name}.py").read_text())
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}

    assert "pix2pix_tf.translator" not in imports("generator") | imports("preprocessor")
    assert "pix2pix_tf.generator" not in imports("preprocessor")
    assert "pix2pix_tf.generator" in imports("translator")
