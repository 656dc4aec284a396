"""FID and KID from a feature network whose weights are on disk (nothing is downloaded).

`load_feature_model(path)` takes either Keras' InceptionV3 weights without the top
(`inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`, or any weights file
`keras.applications.InceptionV3(include_top=False, pooling="avg")` loads) — the
standard FID network — or a whole `.keras` model mapping images in [-1, 1] to feature
vectors (for tests, or another embedding). Scores computed with Keras' InceptionV3 are
not numerically identical to the PyTorch Inception FID that papers report.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pix2pix_tf.errors import DataError

MISSING = ("FID/KID need InceptionV3 weights on disk (no download at run time): pass "
           "--inception-weights FILE, Keras' inception_v3 *_notop.h5 weights or a .keras "
           "feature model.")


def load_feature_model(path: str | os.PathLike):
    """The feature network from `path` (see the module docstring)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such weights file. " + MISSING)
    if path.suffix == ".keras":
        from pix2pix_tf.saving import load_model_file

        return load_model_file(path, "Keras feature model")
    model = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                           input_shape=(299, 299, 3))
    try:
        model.load_weights(path)
    except Exception as e:  # shape mismatch, not HDF5, ...
        raise DataError(f"{path}: not InceptionV3 (no top) weights ({type(e).__name__}: "
                        f"{str(e).splitlines()[0][:120] if str(e) else ''}).") from None
    return model


def features(model, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Feature vectors of images in [-1, 1] (N, H, W, C; grayscale repeated to RGB),
    resized to the network's input size (299 for InceptionV3), as float64."""
    import tensorflow as tf

    size = model.input_shape[1:3]
    size = (299, 299) if None in size else size
    out = []
    for i in range(0, len(images), batch_size):
        x = tf.convert_to_tensor(images[i:i + batch_size], tf.float32)
        if x.shape[-1] == 1:
            x = tf.image.grayscale_to_rgb(x)
        x = tf.image.resize(x, size, antialias=True)
        f = model(x, training=False)
        out.append(np.asarray(tf.reshape(f, [tf.shape(f)[0], -1]), np.float64))
    return np.concatenate(out)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two feature sets: |mu_a - mu_b|^2 + Tr(Sa + Sb - 2 (Sa Sb)^1/2).

    The trace of the matrix square root is computed as the sum of the square roots of
    the eigenvalues of Sa^1/2 Sb Sa^1/2 (symmetric, so `eigh` is stable; no scipy)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(sa)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.linalg.eigvalsh(root_a @ sb @ root_a)
    trace_root = np.sqrt(np.clip(cross, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * trace_root)


def kernel_inception_distance(a: np.ndarray, b: np.ndarray, subsets: int = 10,
                              subset_size: int = 1000, seed: int = 0) -> float:
    """KID: unbiased MMD^2 with the kernel (x.y / d + 1)^3, averaged over random subsets
    (Binkowski et al., 2018)."""
    rng = np.random.default_rng(seed)
    d = a.shape[1]
    m = min(subset_size, len(a), len(b))
    if m < 2:
        raise DataError("KID needs at least 2 images.")
    scores = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3, (x @ y.T / d + 1) ** 3)
        mmd = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) \
            - 2 * kxy.mean()
        scores.append(mmd)
    return float(np.mean(scores))
