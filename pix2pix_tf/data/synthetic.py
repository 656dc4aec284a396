"""The built-in dataset: procedural facade label maps and their rendered pictures.

Needs no download, so the main command works on a fresh offline machine. Each
example is a label map (A: flat colours for wall, window, door, balcony, cornice,
sky) and a picture rendered from it (B: brick texture, framed glass, wooden planks,
railings, cast shadows, side lighting).

The label map fixes *where* things are; it deliberately leaves the *look* open,
drawn at random per picture: the brick colour, size and where the courses and joints
fall, the mortar, the window frames' colour and glazing bars, which windows are lit
from inside, shutters on the wall, the door's paint, the side the light comes from.
So one label map has many right answers (`facade_variants` draws them): a generator
trained on L1 alone learns their per-pixel median — a blur of every brick pattern at
once — while the conditional GAN has to commit to one plausible look. That is the
paper's Figure 4 argument, on data everyone has. Generation is deterministic given
the seed.
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
LABEL_NAMES = ("wall", "window", "door", "balcony", "cornice", "sky")


def label_palette() -> list[dict]:
    """The label map's classes, `[{"name": "wall", "rgb": [13, 61, 251]}, ...]`: written
    into an export's metadata so the web app's drawing mode offers them as its palette."""
    return [{"name": n, "rgb": [int(v) for v in c]} for n, c in zip(LABEL_NAMES, LABEL_COLOURS)]

# The look the label map leaves open: one entry drawn per picture.
BRICKS = np.array([[178, 82, 58], [196, 150, 112], [214, 178, 128], [128, 70, 58]],
                  np.float32)
MORTAR = np.array([[225, 215, 200], [95, 90, 85]], np.float32)
FRAMES = np.array([[235, 235, 228], [40, 85, 60], [105, 62, 35], [45, 50, 70]], np.float32)
PAINTS = np.array([[70, 42, 25], [150, 30, 30], [30, 90, 60], [35, 60, 130],
                   [60, 60, 60]], np.float32)


def _layout(h: int, w: int, rng: np.random.Generator) -> dict:
    """Where things are: everything the label map shows."""
    sky_h = int(rng.uniform(0.0, 0.12) * h)
    cor_h = max(2, int(0.035 * h))
    top, bottom = sky_h + cor_h + int(0.03 * h), int(0.97 * h)
    floors, cols = int(rng.integers(3, 6)), int(rng.integers(2, 6))
    floor_h, col_w = (bottom - top) / floors, w / cols
    return dict(sky_h=sky_h, cor_h=cor_h, top=top, bottom=bottom, floors=floors, cols=cols,
                floor_h=floor_h, col_w=col_w,
                win_w=rng.uniform(0.35, 0.6) * col_w, win_h=rng.uniform(0.45, 0.65) * floor_h,
                door_col=int(rng.integers(0, cols)),
                balconies=[f < floors - 1 and rng.random() < 0.35 for f in range(floors)])


def _look(rng: np.random.Generator, n_windows: int) -> dict:
    """How things look: what the label map leaves open."""
    return dict(brick=BRICKS[rng.integers(len(BRICKS))] * rng.uniform(0.9, 1.08),
                mortar=MORTAR[int(rng.random() < 0.25)],
                brick_len=rng.uniform(14, 30), course=rng.uniform(6, 10),
                phase=rng.uniform(0, 1, 2), frame=FRAMES[rng.integers(len(FRAMES))],
                bars=int(rng.integers(0, 3)),  # 0 none, 1 a vertical bar, 2 a cross
                lit=rng.random(n_windows) < 0.3, shutters=rng.random() < 0.4,
                paint=PAINTS[rng.integers(len(PAINTS))], light_from_right=rng.random() < 0.5)


def _render(h: int, w: int, rng: np.random.Generator,
            look_rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    s = h / 256.0  # texture scale follows the image size
    look_rng = rng if look_rng is None else look_rng
    L = _layout(h, w, rng)
    look = _look(look_rng, L["floors"] * L["cols"])
    cls = np.full((h, w), WALL, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    one = max(1, round(s))

    # Wall: brick courses with staggered joints, their size and phase left open.
    course, brick = max(2.0, look["course"] * s), max(4.0, look["brick_len"] * s)
    ys = yy + look["phase"][0] * course
    row = (ys // course).astype(int)
    mortar = (ys % course < one) | (((xx + look["phase"][1] * brick + (row % 2) * brick / 2)
                                     % brick) < one)
    img = np.empty((h, w, 3), np.float32)
    img[:] = look["brick"]
    img[mortar] = look["mortar"]

    sky_h, cor_h = L["sky_h"], L["cor_h"]
    cls[:sky_h] = SKY
    img[:sky_h] = (np.array([150, 190, 235]) + (yy[:sky_h, :, None] / h) * 60).clip(0, 255)
    cls[sky_h:sky_h + cor_h] = CORNICE
    img[sky_h:sky_h + cor_h] = [228, 222, 205]
    img[sky_h + cor_h:sky_h + cor_h + max(1, cor_h // 2)] *= 0.6  # shadow under the cornice

    top, bottom, floor_h, col_w = L["top"], L["bottom"], L["floor_h"], L["col_w"]
    win_w, win_h = L["win_w"], L["win_h"]
    frame = max(1, round(2 * s))
    for f in range(L["floors"]):
        y0 = int(top + f * floor_h + 0.2 * floor_h)
        for c in range(L["cols"]):
            x0 = int((c + 0.5) * col_w - win_w / 2)
            x1 = int(x0 + win_w)
            if f == L["floors"] - 1 and c == L["door_col"]:  # ground-floor door
                d0 = int(top + f * floor_h + 0.15 * floor_h)
                cls[d0:bottom, x0:x1] = DOOR
                planks = ((xx[d0:bottom, x0:x1] - x0) % max(2, round(6 * s))) < 1
                img[d0:bottom, x0:x1] = np.where(planks[..., None], look["paint"] * 0.6,
                                                 look["paint"])
                continue
            y1 = int(y0 + win_h)
            cls[y0:y1, x0:x1] = WINDOW
            if look["shutters"]:  # on the wall beside the window: the label says "wall"
                sw = max(1, (x1 - x0) // 3)
                for a, b in ((max(0, x0 - sw), x0), (x1, min(w, x1 + sw))):
                    img[y0:y1, a:b] = look["paint"]
                    img[y0:y1, a:b][(yy[y0:y1, a:b] - y0) % max(2, round(4 * s)) < 1] *= 0.7
            img[y0:y1, x0:x1] = look["frame"]
            t = (yy[y0:y1, x0:x1, None] - y0) / max(1, y1 - y0)
            glass = (np.array([250, 205, 120]) * (1 - t) + np.array([170, 110, 50]) * t
                     if look["lit"][f * L["cols"] + c] else
                     np.array([95, 125, 160]) * (1 - t) + np.array([25, 35, 55]) * t)
            img[y0 + frame:y1 - frame, x0 + frame:x1 - frame] = (
                glass[frame:y1 - y0 - frame, frame:x1 - x0 - frame])
            if look["bars"]:
                xm = (x0 + x1) // 2
                img[y0:y1, xm - frame // 2:xm - frame // 2 + frame] = look["frame"]
                if look["bars"] == 2:
                    ym = (y0 + y1) // 2
                    img[ym - frame // 2:ym - frame // 2 + frame, x0:x1] = look["frame"]
            img[y1:y1 + frame, x0:x1] *= 0.65  # sill shadow
            if L["balconies"][f]:
                b0, b1 = y1, int(y1 + 0.18 * floor_h)
                bx0, bx1 = max(0, x0 - frame * 2), min(w, x1 + frame * 2)
                cls[b0:b1, bx0:bx1] = BALCONY
                bars = ((xx[b0:b1, bx0:bx1] - bx0) % max(2, round(5 * s))) < 1
                img[b0:b1, bx0:bx1] = np.where(bars[..., None], [40, 40, 45], [160, 160, 165])
                img[b1:b1 + 2 * frame, bx0:bx1] *= 0.6  # balcony shadow
    side = xx / w if look["light_from_right"] else 1 - xx / w
    img *= (0.8 + 0.3 * side)[..., None]
    img += look_rng.normal(0, 3, img.shape)
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


def facade_variants(k: int, size: tuple[int, int] = (256, 256), seed: int = 0,
                    index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One label map and `k` pictures of it: the detail the map leaves open, drawn anew.

    Every picture is a right answer for the same input, so the per-pixel median of
    many of them is what a generator trained on L1 alone converges to (the median
    minimises the expected absolute error).

    Args:
        k: number of pictures.
        size: (height, width).
        seed, index: the label map is example `index` of `synthetic_facades(..., seed)`.

    Returns:
        `(label, pictures)`: uint8 arrays of shape (height, width, 3) and
        (k, height, width, 3).

    Example:
    >>> label, pictures = facade_variants(8, (64, 64))
    >>> pictures.shape
    (8, 64, 64, 3)
    """
    h, w = size
    pictures = np.empty((k, h, w, 3), np.uint8)
    for j in range(k):
        label, pictures[j] = _render(h, w, np.random.default_rng([seed, index]),
                                     np.random.default_rng([seed, index, 1, j]))
    return label, pictures
