"""Images of any size through a fully convolutional generator: padding, tiles, memory.

The `Translator` (pix2pix_tf/translator.py) offers four ways to treat an image's size
(`size=`, CLI `--size`):

- "resize" / "crop": the model's training size (step 3 of the contract, `fit`);
- "native": the whole image at its own size, reflect-padded to what the network takes
  (a multiple of 2**depth for the U-Net, of 4 for the ResNet) and cropped back;
- "tiled": tiles at the training size, overlapping, blended with a raised-cosine
  (Hann) cross-fade in the overlaps, output at the input's size.

The functions here are plain numpy around a callable, so they are tested on functions
whose result is known (a pointwise function blended over tiles is that function of the
whole image, exactly).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pix2pix_tf.errors import ConfigError

SIZES = ("resize", "crop", "native", "tiled")
DEFAULT_TILE_OVERLAP = 0.25  # of the tile's side
DEFAULT_MEMORY_LIMIT_GB = 4.0  # "native" refuses images whose activations exceed this


def check_size(size: str) -> str:
    """`size` if it is one of `SIZES`, else a `ConfigError` naming the option."""
    if size not in SIZES:
        raise ConfigError(f"`size` (--size) must be one of {', '.join(SIZES)}. "
                          f"Received: {size!r}")
    return size


def check_overlap(overlap: float) -> float:
    """A tile overlap fraction in [0, 1), else a `ConfigError` naming the option."""
    try:
        value = float(overlap)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value < 1.0:
        raise ConfigError("`tile_overlap` (--tile-overlap) must be a fraction of the tile in "
                          f"[0, 1), e.g. 0.25. Received: {overlap!r}")
    return value


# --- padding ----------------------------------------------------------------------------

def padded_length(length: int, multiple: int, minimum: int = 1) -> int:
    """The smallest multiple of `multiple` that is >= `length` and >= `minimum`."""
    return max(-(-length // multiple), -(-minimum // multiple)) * multiple


def pad_reflect(x: np.ndarray, height: int, width: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Images (N, H, W, C) reflect-padded to (height, width), centred.

    Reflection (not zeros) keeps the padded border's statistics close to the image's,
    which matters when BatchNorm normalises each image by its own statistics; numpy
    reflects repeatedly where the padding is wider than the image.

    Returns:
        `(padded, (top, left))`: crop `[top:top + H, left:left + W]` to undo it.
    """
    h, w = x.shape[1], x.shape[2]
    if height < h or width < w:
        raise ValueError(f"cannot pad {h}x{w} to the smaller {height}x{width}")
    top, left = (height - h) // 2, (width - w) // 2
    pads = [(0, 0), (top, height - h - top), (left, width - w - left), (0, 0)]
    if h == height and w == width:
        return x, (0, 0)
    return np.pad(x, pads, mode="reflect"), (top, left)


# --- tiles ------------------------------------------------------------------------------

def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of `tile` pixels covering `length` (>= tile) with at least
    `overlap` pixels shared by neighbours, spread evenly (the last ends at `length`)."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    if stride < 1:
        raise ValueError(f"overlap {overlap} leaves no stride for tiles of {tile}")
    n = -(-(length - overlap) // stride)
    return [int(round(s)) for s in np.linspace(0, length - tile, n)]


def _ramp(n: int) -> np.ndarray:
    """Raised-cosine ramp of `n` samples rising from ~0 to ~1; `_ramp(n)` and its
    reverse add up to 1 (a cross-fade), and no sample is 0."""
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)


def axis_weights(starts: list[int], tile: int, window: str = "hann") -> list[np.ndarray]:
    """1-D weights of each tile along one axis: 1 inside, a raised-cosine cross-fade over
    the pixels shared with each neighbour ("hann"), or 1 everywhere ("flat": plain
    averaging, a hard step at each tile edge)."""
    weights = []
    for i, s in enumerate(starts):
        w = np.ones(tile, np.float64)
        if window == "hann":
            if i > 0:  # shared with the previous tile
                shared = starts[i - 1] + tile - s
                w[:shared] = _ramp(shared)
            if i + 1 < len(starts):
                shared = s + tile - starts[i + 1]
                w[tile - shared:] = _ramp(shared)[::-1]
        elif window != "flat":
            raise ValueError(f"window must be 'hann' or 'flat'. Received: {window!r}")
        weights.append(w)
    return weights


def tile_grid(height: int, width: int, tile: tuple[int, int], overlap: float
              ) -> tuple[list[int], list[int], tuple[int, int]]:
    """The tiles of an image: `(row starts, column starts, (padded height, width))`.

    An image smaller than a tile in a dimension is padded to the tile there; `overlap`
    is a fraction of the tile (at least that many pixels are shared by neighbours).
    """
    ph, pw = max(height, tile[0]), max(width, tile[1])
    rows = tile_starts(ph, tile[0], int(round(overlap * tile[0])))
    cols = tile_starts(pw, tile[1], int(round(overlap * tile[1])))
    return rows, cols, (ph, pw)


def tiled_apply(image: np.ndarray, fn: Callable[[np.ndarray], np.ndarray],
                tile: tuple[int, int], overlap: float = DEFAULT_TILE_OVERLAP,
                batch_size: int = 8, window: str = "hann") -> np.ndarray:
    """`fn` applied to overlapping tiles of one image and blended back together.

    Args:
        image: float (H, W, C), any size (padded by reflection to one tile where smaller).
        fn: tiles (N, tile_h, tile_w, C) -> outputs (N, tile_h, tile_w, C_out).
        tile: (tile_h, tile_w), the model's size.
        overlap: the fraction of a tile shared with each neighbour (0 <= overlap < 1).
        batch_size: tiles per call of `fn`.
        window: "hann" (raised-cosine cross-fade in the overlaps) or "flat".

    Returns:
        float32 (H, W, C_out): where tiles overlap, their weighted mean. For a pointwise
        `fn` this equals `fn(image)` (the weights are normalised and never 0).
    """
    h, w = image.shape[:2]
    rows, cols, (ph, pw) = tile_grid(h, w, tile, check_overlap(overlap))
    padded, (top, left) = pad_reflect(image[None], ph, pw)
    padded = padded[0]
    wr, wc = axis_weights(rows, tile[0], window), axis_weights(cols, tile[1], window)
    spots = [(i, j) for i in range(len(rows)) for j in range(len(cols))]
    total = weight = None
    for k in range(0, len(spots), max(1, int(batch_size))):
        chunk = spots[k:k + batch_size]
        tiles = np.stack([padded[rows[i]:rows[i] + tile[0], cols[j]:cols[j] + tile[1]]
                          for i, j in chunk])
        out = np.asarray(fn(tiles), np.float64)
        if total is None:
            total = np.zeros((ph, pw, out.shape[-1]), np.float64)
            weight = np.zeros((ph, pw, 1), np.float64)
        for (i, j), y in zip(chunk, out):
            wt = np.outer(wr[i], wc[j])[..., None]
            r, c = rows[i], cols[j]
            total[r:r + tile[0], c:c + tile[1]] += wt * y
            weight[r:r + tile[0], c:c + tile[1]] += wt
    return (total / weight)[top:top + h, left:left + w].astype(np.float32)


# --- memory -----------------------------------------------------------------------------

def activation_floats_per_pixel(network, size: tuple[int, int], channels: int) -> float:
    """Floats of activations per input pixel that running `network` holds at its peak.

    The network's layers are traced in order (symbolically, at `size`: a clone sharing
    the layers; nothing is computed) and each tensor is live from the layer that makes
    it to the last layer that reads it (a U-Net's skips stay live until the decoder
    joins them). The estimate is the largest live total, plus the largest single
    output again for the scratch a layer needs while computing it (the transposed
    convolution's four phases before they are interleaved). For a fully convolutional
    network this grows with the pixel count, so floats per pixel x an image's (padded)
    pixels x 4 bytes estimates what "native" needs for it.
    """
    import keras

    keep, events = [], []  # `keep` holds the tensors so their ids stay unique
    inputs = keras.Input((*size, channels))

    def floats(t) -> float:
        return float(np.prod([d for d in t.shape[1:]]))

    def record(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        reads = [id(t) for t in keras.tree.flatten((args, kwargs))
                 if isinstance(t, keras.KerasTensor)]
        made = keras.tree.flatten(out)
        keep.extend(made)
        events.append((reads, [(id(t), floats(t)) for t in made]))
        return out

    keras.models.clone_model(network, input_tensors=inputs,
                             clone_function=lambda layer: layer, call_function=record)
    sizes, born, last = {id(inputs): floats(inputs)}, {id(inputs): -1}, {}
    for k, (reads, made) in enumerate(events):
        for t in reads:
            last[t] = k
        for t, n in made:
            sizes[t], born[t] = n, k
    for t, _ in events[-1][1]:  # the outputs stay live to the end
        last[t] = len(events)
    peak = max(sum(n for t, n in sizes.items() if born[t] <= k <= last.get(t, k))
               for k in range(len(events)))
    return (peak + max(sizes.values())) / float(np.prod(size))


def flexible_network(network, channels: int):
    """The same network (its layers shared: the same live weights) on inputs of any
    height and width: a fully convolutional functional model re-traced on an input of
    shape (None, None, channels)."""
    import keras

    return keras.models.clone_model(network, input_tensors=keras.Input((None, None, channels)),
                                    clone_function=lambda layer: layer)
