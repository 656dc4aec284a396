import dataclasses

import pytest

from pix2pix_tf import Pix2PixConfig


def test_defaults_are_the_papers_but_the_decoders_upsampling():
    c = Pix2PixConfig()
    assert c.upsample == "resize"
    assert Pix2PixConfig.preset("paper") == c.replace(upsample="transpose")
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


def test_unknown_key_is_ignored_with_a_warning_or_refused_when_strict():
    with pytest.warns(UserWarning, match="bogus"):
        c = Pix2PixConfig.from_dict({"bogus": 1, "generator_filters": 8})
    assert c.generator_filters == 8
    with pytest.raises(ValueError, match="bogus"):
        Pix2PixConfig.from_dict({"bogus": 1}, strict=True)


def test_options_are_in_three_groups_and_models_keep_only_the_architecture():
    c = Pix2PixConfig(epochs=3, seed=5, generator_filters=16)
    arch = c.architecture()
    assert arch["generator_filters"] == 16
    assert not {"epochs", "seed", "skip_bad_files", "lr_schedule", "direction"} & set(arch)
    groups = {f.metadata["group"] for f in dataclasses.fields(Pix2PixConfig)}
    assert groups == {"architecture", "data", "training"}
    assert set(c.to_dict()) == set(c.to_dict("architecture")) | set(c.to_dict("data")) | set(
        c.to_dict("training"))


def test_reference_preset_is_the_reference_codes_training():
    r = Pix2PixConfig.preset("reference", image_size=128)
    assert r.update == "alternating" and r.adam_epsilon == 1e-8
    assert (r.epochs, r.lr_schedule, r.decay_epochs) == (200, "linear_decay", 100)
    assert r.num_dropout_blocks == 2  # depth 7 - 5, as unet_128 in the reference
    assert Pix2PixConfig.preset("reference").num_dropout_blocks == 3


def test_legacy_inference_batch_stats_maps_to_inference_mode():
    assert Pix2PixConfig.from_dict({"inference_batch_stats": True}).inference_mode == \
        "batch_stats"
    assert Pix2PixConfig.from_dict({"inference_batch_stats": False}).inference_mode == \
        "moving_stats"


def test_damaged_or_foreign_config_file_is_one_clear_error(tmp_path):
    from pix2pix_tf import DataError

    bad = tmp_path / "config.json"
    for content, words in (("{not json", "not valid JSON"), ("[1, 2]", "not a Pix2PixConfig"),
                           ('{"norm": "layer"}', "norm")):
        bad.write_text(content)
        with pytest.raises(DataError, match=words) as e:
            Pix2PixConfig.load(bad)
        assert str(bad) in str(e.value)


def test_presets():
    assert Pix2PixConfig.preset("paper").upsample == "transpose"
    assert Pix2PixConfig.preset("default") == Pix2PixConfig()
    mobile = Pix2PixConfig.preset("mobile", image_size=128)
    assert mobile.generator_filters == 32 and mobile.image_size == (128, 128)
    with pytest.raises(ValueError, match="preset"):
        Pix2PixConfig.preset("tiny")


def test_a_run_config_written_before_upsample_existed_loads_as_transpose(tmp_path):
    """Resize became the default later: an older run resumes with what it trained."""
    import json

    path = tmp_path / "config.json"
    Pix2PixConfig(image_size=32).save(path)
    d = json.loads(path.read_text())
    d.pop("upsample")
    path.write_text(json.dumps(d))
    assert Pix2PixConfig.load(path).upsample == "transpose"
    Pix2PixConfig(image_size=32).save(path)
    assert Pix2PixConfig.load(path).upsample == "resize"
