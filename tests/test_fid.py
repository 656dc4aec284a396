"""FID / KID: the formulas on known statistics, and evaluate's code path with stand-in
networks (no weights are downloaded)."""

import json

import keras
import numpy as np
import pytest
from conftest import tiny_config

from pix2pix_tf import DataError, train
from pix2pix_tf.fid import (
    features,
    frechet_distance,
    kernel_inception_distance,
    load_feature_model,
)


def test_frechet_distance_on_known_statistics():
    a = np.random.default_rng(0).normal(size=(500, 8))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.arange(8) / 4
    assert frechet_distance(a, a + shift) == pytest.approx((shift ** 2).sum(), rel=1e-6)
    # b = 2a: Tr(Sa + 4Sa - 2 * 2Sa) = Tr(Sa), plus the mean term |mu_a|^2.
    expected = (a.mean(0) ** 2).sum() + np.trace(np.cov(a, rowvar=False))
    assert frechet_distance(a, 2 * a) == pytest.approx(expected, rel=1e-6)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
    same = kernel_inception_distance(a, b, subsets=5, subset_size=200)
    moved = kernel_inception_distance(a, b + 1.0, subsets=5, subset_size=200)
    assert abs(same) < 0.05 and moved > 10 * abs(same) and moved > 0.1


def _stand_in(path):
    inp = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu")(inp)
    out = keras.layers.GlobalAveragePooling2D()(x)
    keras.Model(inp, out).save(path)
    return path


def test_evaluate_reports_fid_and_kid_with_a_feature_model(tmp_path, ab_dir):
    import pix2pix_tf

    train(tiny_config(steps_per_epoch=2, sample_every=0), tmp_path / "run", data=ab_dir,
          verbose=0)
    s = pix2pix_tf.evaluate(tmp_path / "run", split="train",
                            inception_weights=_stand_in(tmp_path / "f.keras"))
    assert s["fid"] > 0 and s["kid"] is not None
    saved = json.loads((tmp_path / "run" / "eval_train" / "summary.json").read_text())
    assert saved["fid"] == pytest.approx(s["fid"])


def test_inception_v3_weights_load_from_a_local_file(tmp_path):
    keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                   input_shape=(299, 299, 3)).save_weights(
        tmp_path / "inception.weights.h5")
    model = load_feature_model(tmp_path / "inception.weights.h5")
    f = features(model, np.zeros((2, 64, 64, 1), np.float32))
    assert f.shape == (2, 2048)
    (tmp_path / "junk.h5").write_bytes(b"junk")
    with pytest.raises(DataError, match="junk.h5: not InceptionV3"):
        load_feature_model(tmp_path / "junk.h5")
    with pytest.raises(DataError, match="no download"):
        load_feature_model(tmp_path / "missing.h5")
