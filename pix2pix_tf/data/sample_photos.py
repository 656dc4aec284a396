"""Real photos anyone may use: scikit-image's shipped CC0 / public-domain colour photos.

The course, the experiments and the demos need real photographs they may show and
redistribute; scikit-image (`pip install scikit-image`, in the `notebooks` and `figures`
extras) ships a few with their licences in `skimage.data`'s docstrings. `write_sample_photos`
cuts them into tiles in a folder, as a user's own folder of photos would be, holding two
out for showing results on photos the model never saw.
"""

from __future__ import annotations

import os
from pathlib import Path

from pix2pix_tf.errors import DataError

# File in skimage/data -> its licence (from the skimage.data docstrings).
SKIMAGE_PHOTOS = {"astronaut.png": "public domain (NASA)", "rocket.jpg": "public domain",
                  "hubble_deep_field.jpg": "public domain (NASA)", "retina.jpg": "CC0",
                  "ihc.png": "no copyright restrictions",
                  "chelsea.png": "CC0 (Stefan van der Walt)",
                  "coffee.png": "CC0 (Rachel Michetti)"}
HELD_OUT = ("chelsea.png", "coffee.png")


def write_sample_photos(out: str | os.PathLike, tile: int = 256,
                        held_out: tuple[str, ...] = HELD_OUT) -> tuple[Path, Path]:
    """Writes scikit-image's colour photos as `tile`×`tile` PNG tiles.

    Args:
        out: folder to write into (`out/train/`, `out/held_out/`).
        tile: tile side in pixels.
        held_out: photos kept out of `train/`; one centred tile each in `held_out/`.

    Returns:
        `(train, held_out)` folders.

    Example:
    >>> train, shown = write_sample_photos("photos")  # doctest: +SKIP
    """
    try:
        import skimage
    except ImportError:
        raise DataError("The sample photos come from scikit-image: pip install scikit-image "
                        "(or the notebooks extra).") from None
    import numpy as np
    from PIL import Image

    data = Path(skimage.__file__).parent / "data"
    train, shown = Path(out) / "train", Path(out) / "held_out"
    for folder in (train, shown):
        folder.mkdir(parents=True, exist_ok=True)
    for name in SKIMAGE_PHOTOS:
        img = np.asarray(Image.open(data / name).convert("RGB"))
        h, w = img.shape[:2]
        if name in held_out:
            top, left = (h - tile) // 2, (w - tile) // 2
            Image.fromarray(img[top:top + tile, left:left + tile]).save(
                shown / f"{Path(name).stem}.png")
            continue
        for i in range(h // tile):
            for j in range(w // tile):
                Image.fromarray(img[i * tile:(i + 1) * tile, j * tile:(j + 1) * tile]).save(
                    train / f"{Path(name).stem}_{i}_{j}.png")
    return train, shown
