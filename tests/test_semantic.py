"""The offline FCN-style semantic score, on the built-in (generated) facades."""

import json

import keras
import numpy as np
import pytest
from conftest import tiny_config

from pix2pix_tf import DataError, train
from pix2pix_tf.data import builtin
from pix2pix_tf.data.synthetic import LABEL_COLOURS
from pix2pix_tf.semantic import (
    load_segmenter,
    palette_from_labels,
    scores_from_confusion,
    semantic_scores,
    train_segmenter,
)


def test_scores_from_a_known_confusion_matrix():
    c = np.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])  # class 2 absent from the labels
    s = scores_from_confusion(c)
    assert s["pixel_acc"] == pytest.approx(11 / 14)
    assert s["class_acc"] == pytest.approx((8 / 10 + 3 / 4) / 2)
    assert s["class_iou"] == pytest.approx((8 / 11 + 3 / 6) / 2)


def test_palette_recovers_the_label_colours():
    c = tiny_config()
    labels = builtin(c).a[:20]
    palette = palette_from_labels(labels, classes=6)
    for colour in LABEL_COLOURS:
        assert np.abs(palette - colour).sum(1).min() < 6


class _Perfect:
    """A nearest-palette classifier as a 1x1 conv: logits_k = 2 x.p_k - |p_k|^2."""

    def __init__(self, palette, size):
        self.palette, self.image_size = palette, size
        p = palette / 127.5 - 1
        inp = keras.Input((*size, 3))
        conv = keras.layers.Conv2D(len(p), 1)
        self.model = keras.Model(inp, conv(inp))
        conv.kernel.assign((2 * p.T)[None, None].astype("float32"))
        conv.bias.assign(-(p ** 2).sum(1).astype("float32"))

    def __call__(self, x, training=False):
        return self.model(x, training=training)


def test_a_perfect_segmenter_scores_real_labels_at_one(tmp_path):
    c = tiny_config(preprocess="none")
    src = builtin(c)
    src.b = src.a.copy()  # "photos" that are the label maps themselves
    seg = _Perfect(LABEL_COLOURS.astype("float32"), c.image_size)
    s = semantic_scores(seg, c, src.subset(range(8)))
    assert s == {"pixel_acc": 1.0, "class_acc": 1.0, "class_iou": 1.0}


def test_train_a_segmenter_and_evaluate_with_it(tmp_path):
    import pix2pix_tf

    c = tiny_config()
    src = builtin(c).subset(range(16))
    train_segmenter(src, c, tmp_path / "seg.keras", epochs=1, batch_size=4, classes=6)
    seg = load_segmenter(tmp_path / "seg.keras")
    assert seg.palette.shape == (6, 3)
    train(c.replace(steps_per_epoch=2, sample_every=0), tmp_path / "run", verbose=0)
    s = pix2pix_tf.evaluate(tmp_path / "run", split="val", semantic=tmp_path / "seg.keras")
    for key in ("semantic", "semantic_real"):
        assert set(s[key]) == {"pixel_acc", "class_acc", "class_iou"}
        assert all(0 <= v <= 1 for v in s[key].values())
    saved = json.loads((tmp_path / "run" / "eval_val" / "summary.json").read_text())
    assert saved["semantic_real"] == s["semantic_real"]
    keras.models.Sequential([keras.Input((4,)), keras.layers.Dense(1)]).save(
        tmp_path / "other.keras")
    with pytest.raises(DataError, match="not a pix2pix_tf segmenter"):
        load_segmenter(tmp_path / "other.keras")
