"""Images of any size: "native" (padded whole image) and "tiled" (blended tiles)
(pix2pix_tf/sizes.py, the Translator's `size`)."""

import numpy as np
import pytest
from conftest import random_image, tiny_config, write_image

from pix2pix_tf.errors import ConfigError
from pix2pix_tf.generator import Generator, build_generator
from pix2pix_tf.sizes import axis_weights, tile_grid, tile_starts, tiled_apply
from pix2pix_tf.translator import Translator, to_pixels


def _smooth(h, w, seed=0):
    """A photo-like image (ramps and a block) with some noise, uint8 RGB."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([255 * x / w, 255 * y / h, 128 + 60 * np.sin(x / 5.0)], -1)
    img[h // 4:h // 2, w // 3:w // 2] = rng.integers(0, 256, 3)
    return np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)


# --- the blend: exact for pointwise functions, any size ------------------------------------
@pytest.mark.parametrize("size", [(37, 53), (16, 16), (9, 40), (64, 20)])
@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5])
@pytest.mark.parametrize("window", ["hann", "flat"])
def test_tiled_blend_of_a_pointwise_function_is_that_function(size, overlap, window):
    rng = np.random.default_rng(1)
    image = rng.uniform(-1, 1, (*size, 3)).astype(np.float32)
    calls = []

    def pointwise(x):  # with a channel change (3 -> 2), like a Lab model's ab
        return np.stack([2 * x[..., 0] + 1, np.tanh(x[..., 1] * x[..., 2])], -1)

    def model(tiles):
        calls.append(tiles.shape)
        assert tiles.shape[1:3] == (16, 16)  # always the model's size
        return pointwise(tiles)

    out = tiled_apply(image, model, (16, 16), overlap, batch_size=3, window=window)
    assert out.shape == (*size, 2)
    np.testing.assert_allclose(out, pointwise(image), atol=1e-5)
    assert all(c[0] <= 3 for c in calls)  # batch_size respected


def test_tiles_cover_the_image_with_at_least_the_overlap_asked():
    for length in (16, 17, 40, 100, 257):
        for overlap in (0, 4, 8, 12):
            starts = tile_starts(length, 16, overlap)
            assert starts[0] == 0 and starts[-1] + 16 == max(length, 16)
            gaps = np.diff(starts)
            assert (gaps >= 1).all() and (16 - gaps >= overlap).all()
    rows, cols, padded = tile_grid(10, 40, (16, 16), 0.25)
    assert rows == [0] and padded == (16, 40)


def test_hann_weights_cross_fade_smoothly():
    starts = tile_starts(40, 16, 4)
    weights = axis_weights(starts, 16)
    total = np.zeros(40)
    for s, w in zip(starts, weights):
        assert w.min() > 0  # never divides by zero
        total[s:s + 16] += w
    np.testing.assert_allclose(total, 1.0, atol=1e-12)  # a partition of unity
    # No step: neighbouring weights differ by less than a hard edge would.
    assert max(np.abs(np.diff(w)).max() for w in weights) < 0.5


def test_hann_blend_hides_per_tile_offsets_that_flat_averaging_shows():
    # A "model" that normalises each tile by its own mean (as image_stats BatchNorm can):
    # seams. The cross-fade spreads each step over the overlap.
    image = np.tile(np.linspace(-1, 1, 128, dtype=np.float32)[None, :, None], (32, 1, 1))

    def fn(tiles):
        return tiles - tiles.mean(axis=(1, 2, 3), keepdims=True)

    jump = {}
    for window in ("hann", "flat"):
        out = tiled_apply(image, fn, (32, 32), 0.5, window=window)[0, :, 0]
        jump[window] = np.abs(np.diff(out)).max()
    assert jump["hann"] < 0.5 * jump["flat"]


# --- native and tiled through the Translator ------------------------------------------------
@pytest.mark.parametrize("overrides", [
    {}, {"inference_mode": "moving_stats"}, {"color_space": "lab"},
    {"generator": "resnet", "resnet_blocks": 1}])
def test_native_and_tiled_equal_the_model_on_an_exactly_fitting_image(overrides):
    c = tiny_config(**overrides)
    g = build_generator(c)
    t = Translator(g, c)
    img = _smooth(32, 32)
    expected = to_pixels(t(t.preprocessor.prepare_unfitted(img)[None]))[0]
    for size in ("native", "tiled"):
        np.testing.assert_array_equal(t.translate_image(img, size=size), expected)
    np.testing.assert_array_equal(Translator(g, c, size="native").translate_image(img),
                                  expected)


@pytest.mark.parametrize("overrides,multiple", [({}, 32), ({"generator": "resnet",
                                                           "resnet_blocks": 1}, 4)])
def test_native_pads_odd_sizes_by_reflection_and_crops_back(overrides, multiple):
    c = tiny_config(**overrides)
    g = build_generator(c)
    t = Translator(g, c)
    assert t.size_multiple == multiple
    img = _smooth(37, 53)
    out = t.translate_image(img, size="native")
    assert out.shape == (37, 53, 3)
    # The same weights in a network built at the padded size, on the padded image.
    ph, pw = t.native_shape(37, 53)
    assert ph % multiple == 0 and pw % multiple == 0 and ph >= 37 and pw >= 53
    arch = c.replace(image_size=(ph, pw), depth=c.unet_depth if c.generator == "unet" else None)
    big = Generator(arch)
    big.set_weights(g.get_weights())
    top, left = (ph - 37) // 2, (pw - 53) // 2
    padded = np.pad(img, [(top, ph - 37 - top), (left, pw - 53 - left), (0, 0)], "reflect")
    y = big(padded[None].astype(np.float32) / 127.5 - 1, training=False).numpy()
    np.testing.assert_array_equal(out, to_pixels(y)[0, top:top + 37, left:left + 53])


def test_tiled_with_one_tile_equals_native_and_larger_images_keep_their_size():
    c = tiny_config()
    t = Translator(build_generator(c), c, size="tiled", tile_overlap=0.5)
    small = _smooth(20, 27)  # one tile, padded as native pads it
    np.testing.assert_array_equal(t.translate_image(small),
                                  t.translate_image(small, size="native"))
    images = [_smooth(37, 53), _smooth(70, 45, seed=2), random_image(32, 96, c=1)[..., None]]
    outs = t.translate_images(images, layout="single")
    assert [o.shape for o in outs] == [(37, 53, 3), (70, 45, 3), (32, 96, 3)]
    # Per call options equal the translator's own; results do not depend on the batch.
    np.testing.assert_array_equal(
        Translator(t.generator, c).translate_image(images[0], size="tiled", tile_overlap=0.5),
        outs[0])
    np.testing.assert_array_equal(t.translate_image(images[1]), outs[1])


def test_native_batches_same_sized_images_without_changing_them():
    c = tiny_config()
    t = Translator(build_generator(c), c, size="native")
    images = [_smooth(40, 50, seed=i) for i in range(3)] + [_smooth(33, 33)]
    outs = t.translate_images(images)
    for img, out in zip(images, outs):
        np.testing.assert_array_equal(out, t.translate_image(img))


def test_bad_size_options_are_one_line_naming_the_option():
    c = tiny_config()
    g = build_generator(c)
    with pytest.raises(ConfigError, match="--size"):
        Translator(g, c, size="big")
    with pytest.raises(ConfigError, match="--tile-overlap"):
        Translator(g, c, tile_overlap=1.0)
    with pytest.raises(ConfigError, match="--size"):
        Translator(g, c).translate_image(_smooth(32, 32), size="huge")
    with pytest.raises(ConfigError, match="--memory-limit"):
        Translator(g, c, memory_limit_gb=0)


def test_native_refuses_an_image_over_the_memory_limit_and_suggests_tiled():
    c = tiny_config()
    t = Translator(build_generator(c), c, memory_limit_gb=1e-4)
    need = t.native_memory_gb(300, 400)
    assert need > 1e-4
    # The estimate grows with the padded pixel count.
    assert t.native_memory_gb(600, 800) == pytest.approx(4 * need, rel=0.1)
    with pytest.raises(ConfigError, match=r"400x300 image .*--size tiled"):
        t.translate_image(_smooth(300, 400), size="native")
    assert t.translate_image(_smooth(300, 400), size="tiled").shape == (300, 400, 3)


# --- the CLI and video -----------------------------------------------------------------------
def test_cli_size_options(tmp_path, capsys):
    from pix2pix_tf.cli import main

    c = tiny_config()
    build_generator(c).save(tmp_path / "g.keras")
    write_image(tmp_path / "in" / "a.png", _smooth(37, 53))
    base = ["translate", "--model", str(tmp_path / "g.keras"), str(tmp_path / "in")]
    assert main([*base, "--out", str(tmp_path / "bad"), "--size", "big"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--size" in err[0]
    assert main([*base, "--out", str(tmp_path / "bad"), "--tile-overlap", "x"]) == 2
    assert "--tile-overlap" in capsys.readouterr().err
    # Over the memory limit: one line naming the file, and nothing written.
    assert main([*base, "--out", str(tmp_path / "bad"), "--size", "native",
                 "--memory-limit", "0.00001"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a.png" in err[0] and "--size tiled" in err[0]
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
    for size in ("native", "tiled"):
        assert main([*base, "--out", str(tmp_path / size), "--size", size]) == 0
        from PIL import Image

        with Image.open(tmp_path / size / "a.png") as im:
            assert im.size == (53, 37)


@pytest.mark.parametrize("size", ["native", "tiled"])
def test_video_frames_at_their_own_size(tmp_path, size):
    pytest.importorskip("av")
    from test_video import _probe, _write_video

    from pix2pix_tf.video import translate_video

    c = tiny_config()
    g = build_generator(c)
    src = _write_video(tmp_path / "in.mp4", frames=4, size=(64, 48), audio=False)
    info = translate_video(Translator(g, c, size=size), src, tmp_path / "out.mp4",
                           batch_size=3, progress=False)
    assert info["frames"] == 4 and info["size"] == (64, 48)
    assert _probe(tmp_path / "out.mp4")[:3:2] == (4, (64, 48))
    if size == "native":
        with pytest.raises(Exception, match="in.mp4.*--size tiled"):
            translate_video(Translator(g, c, size=size, memory_limit_gb=1e-6), src,
                            tmp_path / "refused.mp4", progress=False)
        assert not (tmp_path / "refused.mp4").exists()


def test_the_memory_estimate_counts_the_tensors_live_at_once():
    import keras

    from pix2pix_tf.sizes import activation_floats_per_pixel

    def conv(c):
        return keras.layers.Conv2D(c, 3, padding="same")

    x = keras.Input((8, 8, 3))
    a = conv(8)(x)
    b = conv(8)(a)
    chain = keras.Model(x, conv(2)(b))
    # Live: input + a (11), a + b (16), b + out (10); peak 16, plus the largest output 8.
    assert activation_floats_per_pixel(chain, (8, 8), 3) == 24
    x = keras.Input((8, 8, 3))
    a = conv(8)(x)
    b = conv(4)(a)
    c = conv(4)(b)
    skip = keras.Model(x, keras.layers.Concatenate()([a, c]))
    # The skip `a` stays live until the concatenation (b is dead by then):
    # a + c + out(12) = 24, plus the largest output 12.
    assert activation_floats_per_pixel(skip, (8, 8), 3) == 36
