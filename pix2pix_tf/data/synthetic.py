"""The built-in dataset: procedural facade label maps and their rendered pictures.

Needs no download, so the main command works on a fresh offline machine. Each
example is a label map (A: flat colours for wall, window, door, balcony, cornice,
sky) and a picture rendered from it (B: brick texture, framed glass with a
gradient, wooden planks, railings, cast shadows, side lighting). The picture is a
local function of the labels, so a Pix2Pix model visibly learns it in minutes on
a CPU. Generation is deterministic given the seed.
"""

from __future__ import annotations

import numpy as np

WALL, WINDOW, DOOR, BALCONY, CORNICE, SKY = range(6)
LABEL_COLOURS = np.array([
    [13, 61, 251],    # wall
    [0, 170, 255],    # window
    [255, 170, 0],    # door
    [170, 255, 85],   # balcony
    [255, 85, 0],     # cornice
    [0, 0, 170],      # sky / background
], dtype=np.uint8)


def _render(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    s = h / 256.0  # texture scale follows the image size
    cls = np.full((h, w), WALL, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)

    # Wall: brick courses with staggered joints.
    course = max(2, round(8 * s))
    brick = max(4, round(22 * s))
    row = (yy // course).astype(int)
    mortar = (yy % course < max(1, round(s))) | (((xx + (row % 2) * brick / 2) % brick)
                                                 < max(1, round(s)))
    tone = rng.uniform(0.85, 1.1)
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.array([196, 150, 112]) * tone
    img[mortar] = np.array([225, 215, 200])

    sky_h = int(rng.uniform(0.0, 0.12) * h)
    cls[:sky_h] = SKY
    img[:sky_h] = (np.array([150, 190, 235]) + (yy[:sky_h, :, None] / h) * 60).clip(0, 255)
    cor_h = max(2, int(0.035 * h))
    cls[sky_h:sky_h + cor_h] = CORNICE
    img[sky_h:sky_h + cor_h] = [228, 222, 205]
    img[sky_h + cor_h:sky_h + cor_h + max(1, cor_h // 2)] *= 0.6  # shadow under the cornice

    top, bottom = sky_h + cor_h + int(0.03 * h), int(0.97 * h)
    floors, cols = int(rng.integers(3, 6)), int(rng.integers(2, 6))
    floor_h, col_w = (bottom - top) / floors, w / cols
    win_w, win_h = rng.uniform(0.35, 0.6) * col_w, rng.uniform(0.45, 0.65) * floor_h
    door_col = int(rng.integers(0, cols))
    frame = max(1, round(2 * s))
    for f in range(floors):
        y0 = int(top + f * floor_h + 0.2 * floor_h)
        balcony = f < floors - 1 and rng.random() < 0.35
        for c in range(cols):
            x0 = int((c + 0.5) * col_w - win_w / 2)
            x1 = int(x0 + win_w)
            if f == floors - 1 and c == door_col:  # ground-floor door
                d0 = int(top + f * floor_h + 0.15 * floor_h)
                cls[d0:bottom, x0:x1] = DOOR
                planks = ((xx[d0:bottom, x0:x1] - x0) % max(2, round(6 * s))) < 1
                img[d0:bottom, x0:x1] = np.where(planks[..., None], [70, 42, 25], [115, 72, 40])
                continue
            y1 = int(y0 + win_h)
            cls[y0:y1, x0:x1] = WINDOW
            img[y0:y1, x0:x1] = [235, 235, 228]  # frame
            t = (yy[y0:y1, x0:x1, None] - y0) / max(1, y1 - y0)
            img[y0 + frame:y1 - frame, x0 + frame:x1 - frame] = (
                (np.array([95, 125, 160]) * (1 - t) + np.array([25, 35, 55]) * t)
                [frame:y1 - y0 - frame, frame:x1 - x0 - frame])
            img[y1:y1 + frame, x0:x1] *= 0.65  # sill shadow
            if balcony:
                b0, b1 = y1, int(y1 + 0.18 * floor_h)
                bx0, bx1 = max(0, x0 - frame * 2), min(w, x1 + frame * 2)
                cls[b0:b1, bx0:bx1] = BALCONY
                bars = ((xx[b0:b1, bx0:bx1] - bx0) % max(2, round(5 * s))) < 1
                img[b0:b1, bx0:bx1] = np.where(bars[..., None], [40, 40, 45], [160, 160, 165])
                img[b1:b1 + 2 * frame, bx0:bx1] *= 0.6  # balcony shadow
    img *= (0.8 + 0.3 * xx / w)[..., None]  # light from the right
    img += rng.normal(0, 3, img.shape)
    return LABEL_COLOURS[cls], img.clip(0, 255).astype(np.uint8)


def synthetic_facades(n: int, size: tuple[int, int] = (286, 286),
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generates `n` (label map, picture) pairs.

    Args:
        n: number of pairs.
        size: (height, width) of each image.
        seed: example i is drawn from `numpy.random.default_rng([seed, i])`, so any
            subset is reproducible on its own.

    Returns:
        `(labels, pictures)`: two uint8 arrays of shape (n, height, width, 3).
    """
    h, w = size
    labels = np.empty((n, h, w, 3), np.uint8)
    pictures = np.empty((n, h, w, 3), np.uint8)
    for i in range(n):
        labels[i], pictures[i] = _render(h, w, np.random.default_rng([seed, i]))
    return labels, pictures
