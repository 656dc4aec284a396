"""`precision="auto"`: chosen for the device, decided once, printed and recorded."""

import json

import keras
import pytest
from conftest import tiny_config

import pix2pix_tf.precision as precision
from pix2pix_tf import Pix2Pix, Pix2PixConfig, train


def test_auto_is_the_default():
    assert Pix2PixConfig().precision == "auto"


@pytest.mark.real_auto_precision
@pytest.mark.parametrize("gpus, cc, flags, expected", [
    ([], None, {"avx512f", "avx512_bf16"}, "mixed_bfloat16"),
    ([], None, {"amx_bf16", "amx_tile"}, "mixed_bfloat16"),
    ([], None, {"avx2", "avx512f"}, "float32"),
    (["gpu"], (9, 0), set(), "mixed_bfloat16"),
    (["gpu"], (8, 0), set(), "mixed_bfloat16"),
    (["gpu"], (7, 5), {"avx512_bf16"}, "mixed_float16"),
    (["gpu"], (6, 1), set(), "float32"),
])
def test_device_choice(monkeypatch, gpus, cc, flags, expected):
    import tensorflow as tf

    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda d: {"device_name": "Test GPU", "compute_capability": cc})
    precision.device_precision.cache_clear()
    try:
        policy, why = precision.device_precision()
    finally:
        precision.device_precision.cache_clear()
    assert policy == expected and why


@pytest.mark.real_auto_precision
def test_global_policy_wins_over_the_device(monkeypatch):
    monkeypatch.setattr(precision, "device_precision", lambda: ("mixed_bfloat16", "test"))
    assert precision.resolve_precision("auto")[0] == "mixed_bfloat16"
    keras.config.set_dtype_policy("mixed_float16")
    try:
        assert precision.resolve_precision("auto")[0] == "mixed_float16"
        assert precision.resolve_precision(None)[0] == "mixed_float16"
    finally:
        keras.config.set_dtype_policy("float32")
    assert precision.resolve_precision("float32")[0] == "float32"


@pytest.mark.real_auto_precision
def test_auto_is_resolved_once_built_and_recorded(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(precision, "device_precision",
                        lambda: ("mixed_bfloat16", "CPU with native bfloat16 (test)"))
    model = Pix2Pix(tiny_config())
    assert model.config.precision == "mixed_bfloat16"
    assert model.generator.layers[1].compute_dtype == "bfloat16"
    assert model.generator.output.dtype == "float32"
    train(tiny_config(steps_per_epoch=1, sample_every=0), tmp_path / "run", verbose=0)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["precision"] == "mixed_bfloat16"
    assert "precision mixed_bfloat16 (auto: CPU with native bfloat16 (test))" in (
        capsys.readouterr().out)


def test_tests_pin_auto_to_float32():
    assert Pix2Pix(tiny_config()).config.precision == "float32"


@pytest.mark.real_auto_precision
def test_loaded_generator_computes_in_the_global_policy(monkeypatch, tmp_path):
    """auto is for training; a generator loaded from its file computes in float32 (as
    its exports) unless the user sets a global policy."""
    monkeypatch.setattr(precision, "device_precision", lambda: ("mixed_bfloat16", "test"))
    from pix2pix_tf.translator import load_generator

    model = Pix2Pix(tiny_config())
    assert model.generator.get_layer("down2_conv").compute_dtype == "bfloat16"
    model.generator.save(tmp_path / "g.keras")
    g, _ = load_generator(tmp_path / "g.keras")
    assert g.get_layer("down2_conv").compute_dtype == "float32"
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        g, _ = load_generator(tmp_path / "g.keras")
    finally:
        keras.config.set_dtype_policy("float32")
    assert g.get_layer("down2_conv").compute_dtype == "bfloat16"
