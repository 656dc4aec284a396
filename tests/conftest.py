import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Caches (dataset downloads, folder scans) of the tests stay out of the user's home.
import tempfile  # noqa: E402

os.environ.setdefault("PIX2PIX_DATA_DIR", tempfile.mkdtemp(prefix="pix2pix_tf_test_cache_"))

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from pix2pix_tf.config import Pix2PixConfig  # noqa: E402


def tiny_config(**overrides) -> Pix2PixConfig:
    """A 32x32 model with few filters: builds and trains in well under a second."""
    base = dict(image_size=32, generator_filters=4, discriminator_filters=4, seed=0, epochs=1,
                num_samples=2)
    base.update(overrides)
    return Pix2PixConfig(**base)


@pytest.fixture
def config() -> Pix2PixConfig:
    return tiny_config()


def write_image(path: Path, array: np.ndarray, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)
    return path


def random_image(h: int, w: int, c: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (h, w) if c == 1 else (h, w, c)
    return rng.integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def ab_dir(tmp_path) -> Path:
    """Six side-by-side A|B JPEGs of 40x80 (HxW)."""
    folder = tmp_path / "ab"
    for i in range(6):
        write_image(folder / f"{i:03d}.jpg", random_image(40, 80, seed=i))
    return folder


@pytest.fixture
def pair_folders(tmp_path) -> Path:
    """A/ and B/ with four PNG pairs of 36x36, paired by name."""
    root = tmp_path / "pairs"
    for i in range(4):
        write_image(root / "A" / f"img{i}.png", random_image(36, 36, seed=i))
        write_image(root / "B" / f"img{i}.png", random_image(36, 36, seed=10 + i))
    return root


@pytest.fixture(autouse=True)
def _float32_for_auto(request, monkeypatch):
    """`precision="auto"` resolves to float32 in the tests, whatever this CPU has, so
    results do not depend on the machine (tests of `auto` itself opt out)."""
    if "real_auto_precision" in request.keywords:
        return
    import pix2pix_tf.precision as precision

    monkeypatch.setattr(precision, "device_precision",
                        lambda: ("float32", "tests pin auto to float32"))


def write_bomb_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A tiny PNG whose header declares `width`x`height`: Pillow refuses it as a
    decompression bomb at open, without the file being large."""
    import struct
    import zlib

    buf = bytearray(write_image(path, random_image(2, 2)).read_bytes())
    # IHDR's data starts at byte 16 (8 signature + 4 length + 4 type); its CRC follows.
    buf[16:24] = struct.pack(">II", width, height)
    buf[29:33] = struct.pack(">I", zlib.crc32(bytes(buf[12:29])))
    path.write_bytes(bytes(buf))
    return path
