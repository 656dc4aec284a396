"""A semantic score for labels -> photo, as the paper's FCN-score, trained offline.

The paper ran a pretrained FCN on generated photos and compared its segmentation
with the input label maps. Nothing can be downloaded here, so the package trains its
own segmenter on the real photos -> label maps of the training pairs (label colours
mapped to classes by the nearest palette colour; the held-out pairs are never seen),
saves it once, and scores generated photos with it — and the real photos too, the
ceiling, as the paper's table does.

    python -m pix2pix_tf segmenter --data path/to/facades/train --image-size 128 \\
        --holdout 50 --out runs/segmenter.keras
    python -m pix2pix_tf evaluate --model RUN --val-fraction ... --semantic runs/segmenter.keras
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pix2pix_tf.errors import DataError


def palette_from_labels(labels: np.ndarray, classes: int = 12, seed: int = 0,
                        iterations: int = 20) -> np.ndarray:
    """The `classes` colours of label maps (uint8 N,H,W,3, JPEG noise allowed): the most
    frequent coarse colours refined by k-means. Returns float32 (classes, 3), 0..255."""
    pixels = labels.reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(seed)
    pixels = pixels[rng.choice(len(pixels), min(len(pixels), 200_000), replace=False)]
    coarse = (pixels // 32).astype(np.int32)
    keys, counts = np.unique(coarse[:, 0] * 64 + coarse[:, 1] * 8 + coarse[:, 2],
                             return_counts=True)
    top = keys[np.argsort(-counts)[:classes]]
    centres = np.stack([pixels[(coarse[:, 0] * 64 + coarse[:, 1] * 8 + coarse[:, 2]) == k]
                        .mean(0) for k in top])
    for _ in range(iterations):
        nearest = np.argmin(((pixels[:, None] - centres[None]) ** 2).sum(-1), axis=1)
        centres = np.stack([pixels[nearest == k].mean(0) if (nearest == k).any() else c
                            for k, c in enumerate(centres)])
    return centres.astype(np.float32)


def classes_of(labels: tf.Tensor, palette: np.ndarray) -> tf.Tensor:
    """Label maps in [-1, 1] (N,H,W,3) -> class indices (N,H,W) by nearest palette colour."""
    p = tf.constant(palette / 127.5 - 1.0, tf.float32)
    d = tf.reduce_sum(tf.square(tf.cast(labels, tf.float32)[..., None, :] - p), axis=-1)
    return tf.argmin(d, axis=-1, output_type=tf.int32)


@keras.saving.register_keras_serializable(package="pix2pix_tf")
class Segmenter(keras.Model):
    """A small U-Net: photo in [-1, 1] -> class logits; keeps its label palette."""

    def __init__(self, image_size: tuple[int, int] | list, palette, filters: int = 32,
                 depth: int = 4, name: str = "segmenter", **kwargs):
        palette = np.asarray(palette, np.float32)
        h, w = image_size
        inputs = keras.Input((h, w, 3), name="photo")
        x, skips = inputs, []
        for i in range(depth):
            x = keras.layers.Conv2D(filters * 2 ** min(i, 3), 3, padding="same",
                                    activation="relu")(x)
            skips.append(x)
            x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.Conv2D(filters * 8, 3, padding="same", activation="relu")(x)
        for i, skip in reversed(list(enumerate(skips))):
            x = keras.layers.UpSampling2D()(x)
            x = keras.layers.Concatenate()([x, skip])
            x = keras.layers.Conv2D(filters * 2 ** min(i, 3), 3, padding="same",
                                    activation="relu")(x)
        logits = keras.layers.Conv2D(len(palette), 1, dtype="float32", name="logits")(x)
        super().__init__(inputs=inputs, outputs=logits, name=name, **kwargs)
        self.image_size, self.palette = (int(h), int(w)), palette
        self.filters, self.depth = filters, depth

    def get_config(self) -> dict:
        return {"image_size": list(self.image_size), "palette": self.palette.tolist(),
                "filters": self.filters, "depth": self.depth, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> Segmenter:
        return cls(**config)


def load_segmenter(path: str | os.PathLike) -> Segmenter:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such segmenter file (train one with "
                        "`python -m pix2pix_tf segmenter`).")
    from pix2pix_tf.saving import load_model_file

    model = load_model_file(path, "Keras segmenter")
    if not isinstance(model, Segmenter):
        raise DataError(f"{path}: not a pix2pix_tf segmenter ({type(model).__name__}).")
    return model


def train_segmenter(source, config, out: str | os.PathLike, epochs: int = 10,
                    batch_size: int = 8, classes: int = 12, seed: int = 0) -> Segmenter:
    """Fits a `Segmenter` on the real photos (targets) -> label maps (inputs) of
    `source` (a labels -> photo source, e.g. facades with direction BtoA) and saves it."""
    from pix2pix_tf.data.pipeline import make_dataset

    keras.utils.set_random_seed(seed)
    labels = [((x.numpy() + 1) * 127.5).round().astype(np.uint8)
              for x, _ in make_dataset(source, config, training=False, batch_size=32)]
    palette = palette_from_labels(np.concatenate(labels), classes, seed)
    model = Segmenter(config.image_size, palette)
    data = make_dataset(source, config.replace(batch_size=batch_size), training=True).map(
        lambda x, y: (y, classes_of(x, palette)))
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(data, epochs=epochs, steps_per_epoch=max(1, len(source) // batch_size), verbose=2)
    model.save(out)
    return model


def _confusion(segmenter: Segmenter, photos: tf.Tensor, labels: tf.Tensor) -> np.ndarray:
    k = len(segmenter.palette)
    truth = classes_of(labels, segmenter.palette)
    photos = tf.image.resize(photos, segmenter.image_size) if tuple(
        photos.shape[1:3]) != segmenter.image_size else photos
    truth = tf.image.resize(truth[..., None], segmenter.image_size, method="nearest")[..., 0]
    pred = tf.argmax(segmenter(photos, training=False), axis=-1, output_type=tf.int32)
    return tf.math.confusion_matrix(tf.reshape(truth, [-1]), tf.reshape(pred, [-1]),
                                    num_classes=k).numpy().astype(np.int64)


def scores_from_confusion(confusion: np.ndarray) -> dict:
    """Per-pixel accuracy, mean per-class accuracy and mean class IoU (FCN's metrics),
    over the classes present in the labels."""
    truth, pred, hit = confusion.sum(1), confusion.sum(0), np.diag(confusion)
    present = truth > 0
    return {"pixel_acc": float(hit.sum() / max(confusion.sum(), 1)),
            "class_acc": float(np.mean(hit[present] / truth[present])),
            "class_iou": float(np.mean(hit[present] / (truth + pred - hit)[present]))}


def semantic_scores(segmenter: Segmenter, config, source, translator=None) -> dict:
    """The semantic score of a `Translator`'s photos (or, with None, of the real photos:
    the ceiling) against the input label maps of `source` (labels -> photo)."""
    from pix2pix_tf.data.pipeline import make_dataset

    k = len(segmenter.palette)
    confusion = np.zeros((k, k), np.int64)
    for x, y in make_dataset(source, config, training=False, batch_size=8):
        photos = y if translator is None else translator(x)
        confusion += _confusion(segmenter, photos, x)
    return scores_from_confusion(confusion)
