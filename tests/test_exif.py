"""A JPEG's EXIF orientation is applied where images are decoded (translate, the data
pipeline, the SavedModel's serving_bytes), in TensorFlow ops, as PIL applies it."""

import io
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image, ImageOps

from pix2pix_tf.translator import decode, exif_orientation


def _exif(orientation: int, endian: str) -> bytes:
    """An APP1 EXIF payload: IFD0 with a Make entry, then the orientation."""
    e = "<" if endian == "II" else ">"
    entries = [struct.pack(e + "HHI", 0x010F, 2, 4) + b"abc\0",          # Make, inline
               struct.pack(e + "HHIH", 0x0112, 3, 1, orientation) + b"\0\0"]
    ifd = struct.pack(e + "H", len(entries)) + b"".join(entries) + struct.pack(e + "I", 0)
    return b"Exif\0\0" + endian.encode() + struct.pack(e + "HI", 42, 8) + ifd


def _jpeg(pixels: np.ndarray, exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=95, **({"exif": exif} if exif else {}))
    return buf.getvalue()


@pytest.mark.parametrize("endian", ["II", "MM"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_is_applied_as_pil_does(orientation, endian):
    pixels = np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    data = _jpeg(pixels, _exif(orientation, endian))
    assert int(exif_orientation(tf.constant(data))) == orientation
    stored = tf.io.decode_jpeg(data, channels=3).numpy()  # the pixels as stored (no EXIF)
    with Image.open(io.BytesIO(data)) as im:  # PIL reads our block: the same orientation
        assert im.getexif().get(0x0112) == orientation
        assert ImageOps.exif_transpose(im).size == (
            (6, 10) if orientation >= 5 else (10, 6))
    want = Image.fromarray(stored)
    want.getexif()[0x0112] = orientation
    want = np.asarray(ImageOps.exif_transpose(want))
    got = decode(tf.constant(data), 3).numpy()
    assert got.shape == want.shape and (got == want).all()
    # The same inside a graph (tf.data, the SavedModel): no eager-only code.
    graph = tf.function(lambda c: decode(c, 3), input_signature=[tf.TensorSpec([], tf.string)])
    assert (graph(tf.constant(data)).numpy() == want).all()


def test_other_files_are_left_as_stored(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    for data in (buf.getvalue(), _jpeg(pixels), b"", b"\xff\xd8\xff\xe1\x00",
                 _jpeg(pixels)[:40], _jpeg(pixels, _exif(1, "II")[:-20] + b"\0" * 20),
                 _jpeg(pixels, _exif(9, "MM"))):
        assert int(exif_orientation(tf.constant(data))) == 1
    assert (decode(tf.constant(buf.getvalue()), 3).numpy() == pixels).all()


def test_translate_writes_the_photo_upright(tmp_path):
    """A phone's portrait photo (stored landscape, orientation 6) comes out portrait."""
    from conftest import tiny_config

    from pix2pix_tf import Pix2Pix, translate_files
    from pix2pix_tf.translator import Translator

    pixels = np.random.default_rng(2).integers(0, 256, (40, 64, 3), dtype=np.uint8)
    (tmp_path / "portrait.jpg").write_bytes(_jpeg(pixels, _exif(6, "MM")))
    translator = Translator(Pix2Pix(tiny_config()).generator)
    translate_files(translator, [tmp_path / "portrait.jpg"], tmp_path / "out")
    (out,) = (tmp_path / "out").iterdir()
    with Image.open(out) as im:
        assert im.size == (40, 64)  # width x height: upright
