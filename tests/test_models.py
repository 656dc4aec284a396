import keras
import numpy as np
import pytest
from conftest import tiny_config

from pix2pix_tf import Pix2PixConfig, build_discriminator, build_generator
from pix2pix_tf.metrics import checkerboard_energy


def test_paper_sizes_parameter_counts_and_patch_shape():
    c = Pix2PixConfig.preset("paper")
    g, d = build_generator(c), build_discriminator(c)
    assert abs(g.count_params() - 54.4e6) < 0.05e6
    assert abs(d.count_params() - 2.77e6) < 0.01e6
    assert g.output_shape == (None, 256, 256, 3)
    assert d.output_shape == (None, 30, 30, 1)


@pytest.mark.parametrize("layers,side", [(0, 256), (1, 126), (3, 30), (5, 6)])
def test_patchgan_depths(layers, side):
    d = build_discriminator(Pix2PixConfig(discriminator_filters=4, discriminator_layers=layers))
    assert d.output_shape == (None, side, side, 1)


def test_leaky_relu_slope_is_0_2():
    g = build_generator(tiny_config())
    slopes = {l.negative_slope for l in g.layers if isinstance(l, keras.layers.LeakyReLU)}
    assert slopes == {0.2}


def test_no_norm_on_first_layer_and_bottleneck():
    g = build_generator(tiny_config())
    names = {l.name for l in g.layers}
    assert "down1_norm" not in names and "down5_norm" not in names
    assert {"down2_norm", "down4_norm"} <= names


def test_dropout_on_first_three_decoder_blocks_only():
    g = build_generator(tiny_config())
    assert sorted(l.name for l in g.layers if isinstance(l, keras.layers.Dropout)) == [
        "up1_dropout", "up2_dropout", "up3_dropout"]
    g = build_generator(tiny_config(dropout=False))
    assert not [l for l in g.layers if isinstance(l, keras.layers.Dropout)]


def test_grayscale_to_colour_and_non_square():
    c = tiny_config(image_size=(32, 64), input_channels=1, output_channels=3)
    g, d = build_generator(c), build_discriminator(c)
    x = np.zeros((2, 32, 64, 1), np.float32)
    y = g(x, training=False)
    assert y.shape == (2, 32, 64, 3)
    assert d([x, np.asarray(y)]).shape[0] == 2


def test_output_layer_is_a_float32_tanh_even_under_mixed_precision():
    g = build_generator(tiny_config(precision="mixed_bfloat16"))
    out = g.get_layer("output")
    assert out.get_config()["activation"] == "tanh" and out.compute_dtype == "float32"
    assert g.get_layer("down2_conv").compute_dtype == "bfloat16"
    # Pre-activations set through the last conv's bias come out as tanh of them.
    conv = g.get_layer("output_conv")
    conv.kernel.assign(np.zeros(conv.kernel.shape, np.float32))
    conv.bias.assign(np.array([50.0, -50.0, 0.5], np.float32))
    y = np.asarray(g(np.random.uniform(-1, 1, (1, 32, 32, 3)).astype("float32")))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[..., 0], 1.0)
    np.testing.assert_allclose(y[..., 1], -1.0)
    np.testing.assert_allclose(y[..., 2], np.tanh(0.5), rtol=1e-6)


@pytest.mark.parametrize("blocks", [6, 9])
def test_resnet_generator(blocks):
    g = build_generator(tiny_config(generator="resnet", resnet_blocks=blocks))
    assert g.output_shape == (None, 32, 32, 3)
    assert sum(l.name.endswith("_add") for l in g.layers) == blocks


@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_norms_build(norm):
    g = build_generator(tiny_config(norm=norm))
    norms = [l for l in g.layers if isinstance(
        l, (keras.layers.BatchNormalization, keras.layers.GroupNormalization))]
    expected = {"batch": keras.layers.BatchNormalization,
                "instance": keras.layers.GroupNormalization}.get(norm)
    if expected:
        assert norms and all(isinstance(l, expected) for l in norms)
    else:
        assert not norms


def test_unconditional_discriminator_ignores_the_input():
    d = build_discriminator(tiny_config(conditional=False))
    y = np.random.uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    a = d([np.zeros_like(y), y])
    b = d([np.ones_like(y), y])
    np.testing.assert_allclose(a, b)


def test_too_deep_discriminator_is_a_clear_error():
    with pytest.raises(ValueError, match="discriminator_layers"):
        build_discriminator(tiny_config(discriminator_layers=6))


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_keras_file_round_trip_gives_identical_outputs(tmp_path, generator):
    c = tiny_config(generator=generator, resnet_blocks=2)
    g, d = build_generator(c), build_discriminator(c)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    g.save(tmp_path / "g.keras")
    d.save(tmp_path / "d.keras")
    g2 = keras.models.load_model(tmp_path / "g.keras")
    d2 = keras.models.load_model(tmp_path / "d.keras")
    np.testing.assert_array_equal(g(x, training=False), g2(x, training=False))
    np.testing.assert_array_equal(d([x, x]), d2([x, x]))
    assert g2.get_config()["config"] == c.architecture()


@pytest.mark.parametrize("h, w, cin, cout, bias", [(1, 1, 8, 4, False), (4, 6, 5, 3, True),
                                                  (8, 8, 16, 16, False)])
def test_upconv_phase_form_equals_the_transposed_convolution(h, w, cin, cout, bias):
    import keras
    import numpy as np

    from pix2pix_tf.layers import Conv2DTranspose

    x = np.random.default_rng(0).normal(size=(2, h, w, cin)).astype("float32")
    native = keras.layers.Conv2DTranspose(cout, 4, strides=2, padding="same", use_bias=bias,
                                          bias_initializer="random_normal")
    expected = np.asarray(native(x))
    phase = Conv2DTranspose(cout, 4, strides=2, padding="same", use_bias=bias)
    phase.build(x.shape)
    phase.set_weights(native.get_weights())
    np.testing.assert_allclose(np.asarray(phase(x, training=False)), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(phase(x, training=True)), expected, atol=1e-5)
    assert phase.get_config()["phase_inference"] is True
    import tensorflow as tf

    def ops(training):
        graph = tf.function(lambda t: phase(t, training=training)).get_concrete_function(
            tf.TensorSpec(x.shape, tf.float32)).graph
        return {op.type for op in graph.get_operations()}

    assert "DepthToSpace" in ops(False) and "Conv2DBackpropInput" not in ops(False)
    assert "Conv2DBackpropInput" in ops(True)
    # The int8 export's interleave (reshape-transpose-reshape): the same output, no
    # DEPTH_TO_SPACE; set by config, which the default layer's config leaves out.
    assert "interleave" not in phase.get_config()
    phase = Conv2DTranspose.from_config({**phase.get_config(), "interleave": "transpose"})
    phase.build(x.shape)
    phase.set_weights(native.get_weights())
    np.testing.assert_allclose(np.asarray(phase(x, training=False)), expected, atol=1e-5)
    assert "DepthToSpace" not in ops(False) and "Transpose" in ops(False)
    assert phase.get_config()["interleave"] == "transpose"


def test_generator_uses_the_phase_form_only_at_float32_inference():
    import numpy as np

    from pix2pix_tf.layers import Conv2DTranspose

    g = build_generator(tiny_config(upsample="transpose"))
    ups = [layer for layer in g.layers if isinstance(layer, Conv2DTranspose)]
    assert len(ups) == tiny_config().unet_depth and all(u.phase_inference for u in ups)
    x = np.random.default_rng(1).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    phase = np.asarray(g(x, training=False))
    for u in ups:
        u.phase_inference = False
    np.testing.assert_allclose(phase, np.asarray(g(x, training=False)), atol=1e-5)


def test_generator_files_saved_with_keras_transposed_convolutions_still_load(tmp_path,
                                                                            monkeypatch):
    """Files written before the phase form (plain keras.layers.Conv2DTranspose) load
    their weights: `.keras` files locate weights by the layer class's snake-case name."""
    import keras
    import numpy as np

    import pix2pix_tf.layers as layers_module

    with monkeypatch.context() as m:
        m.setattr(layers_module, "Conv2DTranspose", keras.layers.Conv2DTranspose)
        old = build_generator(tiny_config(upsample="transpose"))
        assert type(old.get_layer("up1_conv")) is keras.layers.Conv2DTranspose
        assert type(old.get_layer("output_conv")) is keras.layers.Conv2DTranspose
        old.save(tmp_path / "old.keras")
    x = np.random.default_rng(2).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    loaded = keras.models.load_model(tmp_path / "old.keras")
    assert loaded.get_layer("up1_conv").phase_inference
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)),
                               np.asarray(old(x, training=False)), atol=1e-5)


@pytest.mark.parametrize("generator", ["unet", "resnet"])
def test_resize_upsampling_has_no_transposed_convolution_and_no_checkerboard(generator):
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    energy = {}
    for upsample in ("transpose", "resize"):
        keras.utils.set_random_seed(0)
        g = build_generator(tiny_config(generator=generator, resnet_blocks=1, upsample=upsample))
        assert g.output_shape == (None, 32, 32, 3)
        transposed = [l for l in g.layers if isinstance(l, keras.layers.Conv2DTranspose)]
        assert bool(transposed) == (upsample == "transpose")
        energy[upsample] = float(np.mean(checkerboard_energy(g(x, training=False))))
    # An untrained transposed-convolution decoder draws the pattern; resizing does not
    # (not exactly zero: zero padding at the borders of a 32x32 image, ReLU harmonics).
    assert energy["transpose"] > 0.05 and energy["resize"] < 0.1 * energy["transpose"]


def test_upsample_is_kept_in_the_model_file(tmp_path):
    g = build_generator(tiny_config(upsample="resize"))
    g.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras")
    assert loaded.pix2pix_config.upsample == "resize"
    x = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(loaded(x, training=False), g(x, training=False))


def test_unknown_upsample_is_a_clear_error():
    with pytest.raises(ValueError, match="upsample"):
        tiny_config(upsample="bilinear")


def test_checkerboard_energy_finds_the_period_2_pattern_only():
    board = (np.indices((16, 16)).sum(0) % 2 * 2 - 1.0)[None, ..., None].repeat(3, -1)
    wave = np.cos(2 * np.pi * np.arange(16) / 8)[None, :, None, None] * np.ones((1, 16, 16, 3))
    np.testing.assert_allclose(checkerboard_energy(board), [1.0], atol=1e-6)
    assert float(checkerboard_energy(wave)[0]) < 1e-6  # period 8: none at period 2


def test_checkerboard_energy_refuses_an_odd_size():
    with pytest.raises(ValueError, match="even height and width"):
        checkerboard_energy(np.zeros((1, 15, 16, 3), np.float32))


def test_a_model_config_written_before_upsample_existed_loads_as_transpose():
    from pix2pix_tf.generator import Generator

    config = build_generator(tiny_config()).get_config()
    config["config"].pop("upsample")  # as files saved before the option
    g = Generator.from_config(config)
    assert g.pix2pix_config.upsample == "transpose"
    assert [la for la in g.layers if isinstance(la, keras.layers.Conv2DTranspose)]
