"""Self-paired tasks: pairs made on the fly from plain photos (`--data TASK:FOLDER`).

Each task turns one RGB photo into an `(A, B)` pair inside the `tf.data` pipeline,
deterministically (the same photo always gives the same pair); AtoB translates the
photo side A into B, `--direction BtoA` the other way ("and back"):

- colorize:   A = grayscale,  B = the colour photo (grayscale -> colour; 1-channel input)
- decolorize: A = the photo,  B = its grayscale (colour -> black-and-white)
- sketch:     A = the photo,  B = a pencil sketch (grayscale dodge-blend of the
  inverted, blurred image)
- edges:      A = the photo,  B = Canny edges (OpenCV), black lines on white as in
  the pix2pix edges2* datasets
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf


def grayscale(rgb: tf.Tensor) -> tf.Tensor:
    """uint8 RGB (H, W, 3) -> uint8 luma (H, W, 1) (ITU-R 601, as `tf.image`)."""
    return tf.image.rgb_to_grayscale(rgb)


def _gaussian_kernel(sigma: float) -> tf.Tensor:
    radius = int(3 * sigma)
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return tf.constant(k / k.sum())


def pencil_sketch(rgb: tf.Tensor, sigma: float = 5.0) -> tf.Tensor:
    """uint8 RGB -> uint8 (H, W, 1) pencil sketch: the grayscale image divided by the
    inverse of its blurred negative (a "colour dodge" blend), clipped to 255."""
    gray = tf.cast(grayscale(rgb), tf.float32)
    k = _gaussian_kernel(sigma)
    r = (int(k.shape[0]) - 1) // 2
    x = tf.pad((255.0 - gray)[None], [[0, 0], [r, r], [r, r], [0, 0]], mode="SYMMETRIC")
    x = tf.nn.conv2d(x, tf.reshape(k, [-1, 1, 1, 1]), 1, "VALID")
    blur = tf.nn.conv2d(x, tf.reshape(k, [1, -1, 1, 1]), 1, "VALID")[0]
    sketch = gray * 255.0 / tf.maximum(255.0 - blur, 1.0)
    return tf.cast(tf.round(tf.clip_by_value(sketch, 0.0, 255.0)), tf.uint8)


def _canny(gray: np.ndarray) -> np.ndarray:
    import cv2  # opencv-python-headless

    return (255 - cv2.Canny(np.ascontiguousarray(gray[..., 0]), 100, 200))[..., None]


def canny_edges(rgb: tf.Tensor) -> tf.Tensor:
    """uint8 RGB -> uint8 (H, W, 1): OpenCV's Canny (thresholds 100/200) on the
    grayscale image, black edges on white."""
    gray = grayscale(rgb)
    edges = tf.numpy_function(_canny, [gray], tf.uint8, stateful=False)
    edges.set_shape(gray.shape)
    return edges


@dataclass(frozen=True)
class Task:
    """A self-paired task: `pair(rgb) -> (A, B)` uint8 images, and what it implies."""

    pair: Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]
    defaults: dict = field(default_factory=dict)
    description: str = ""


TASKS: dict[str, Task] = {
    "colorize": Task(lambda rgb: (grayscale(rgb), rgb), {"input_channels": 1, "direction": "AtoB"},
                     "colourisation pairs (grayscale -> colour)"),
    "decolorize": Task(lambda rgb: (rgb, grayscale(rgb)), {"direction": "AtoB"},
                       "decolourisation pairs (colour -> grayscale)"),
    "sketch": Task(lambda rgb: (rgb, pencil_sketch(rgb)), {"direction": "AtoB"},
                   "sketch pairs (photo -> pencil sketch)"),
    "edges": Task(lambda rgb: (rgb, canny_edges(rgb)), {"direction": "AtoB"},
                  "edge pairs (photo -> Canny edges)"),
}
