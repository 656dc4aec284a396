import pytest

from pix2pix_tf import Pix2PixConfig


def test_defaults_are_the_papers():
    c = Pix2PixConfig()
    assert c.image_size == (256, 256)
    assert (c.input_channels, c.output_channels) == (3, 3)
    assert (c.generator_filters, c.discriminator_filters) == (64, 64)
    assert c.lambda_l1 == 100.0
    assert (c.learning_rate, c.beta_1) == (2e-4, 0.5)
    assert c.unet_depth == 8 and c.load_height_width == (286, 286)
    assert c.gan_mode == "vanilla" and c.norm == "batch" and c.discriminator_layers == 3


@pytest.mark.parametrize("size,depth", [(256, 8), (128, 7), (32, 5), ("64x128", 6),
                                        ("256x512", 8)])
def test_depth_is_derived_from_the_size(size, depth):
    assert Pix2PixConfig(image_size=size).unet_depth == depth


def test_non_square_size_parses():
    assert Pix2PixConfig(image_size="64x128").image_size == (64, 128)
    assert Pix2PixConfig(image_size=(64, 128)).width == 128


def test_size_not_divisible_by_two_to_the_depth_is_a_clear_error():
    with pytest.raises(ValueError, match="divisible by 2\\^depth=256"):
        Pix2PixConfig(image_size=256, depth=8).replace(image_size=(256, 300))
    with pytest.raises(ValueError, match="image_size"):
        Pix2PixConfig(image_size=100, depth=5)
    with pytest.raises(ValueError, match="multiple of 64"):
        Pix2PixConfig(image_size=100)  # derived depth 6
    assert Pix2PixConfig(image_size=96, depth=5).unet_depth == 5


@pytest.mark.parametrize("field,value", [("norm", "layer"), ("gan_mode", "wgan"),
                                         ("direction", "AB"), ("input_channels", 2),
                                         ("generator", "vit"), ("batch_size", 0)])
def test_bad_options_name_the_option(field, value):
    with pytest.raises(ValueError, match=field):
        Pix2PixConfig(**{field: value})


def test_json_round_trip(tmp_path):
    c = Pix2PixConfig(image_size=(64, 128), input_channels=1, gan_mode="hinge", seed=3)
    c.save(tmp_path / "c.json")
    assert Pix2PixConfig.load(tmp_path / "c.json") == c


def test_unknown_key_in_json_is_rejected():
    with pytest.raises(ValueError, match="bogus"):
        Pix2PixConfig.from_dict({"bogus": 1})


def test_presets():
    assert Pix2PixConfig.preset("paper") == Pix2PixConfig()
    mobile = Pix2PixConfig.preset("mobile", image_size=128)
    assert mobile.generator_filters == 32 and mobile.image_size == (128, 128)
    with pytest.raises(ValueError, match="preset"):
        Pix2PixConfig.preset("tiny")
