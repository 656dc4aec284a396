"""Export of a small trained generator to every format and quantisation, verified."""

import importlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config

import pix2pix_tf.export as export
from pix2pix_tf import train
from pix2pix_tf.export import ExportError, run_export
from pix2pix_tf.export.__main__ import main as export_main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A 32x32 generator trained briefly on the built-in data (int8 needs real weights),
    with the paper's transposed convolutions (their phase form and int8 interleave are
    what the exports must get right; the default resize decoder: its own test below)."""
    run = tmp_path_factory.mktemp("export") / "run"
    c = tiny_config(generator_filters=8, discriminator_filters=8, steps_per_epoch=40, epochs=2,
                    sample_every=0, upsample="transpose")
    train(c, run, verbose=0)
    return run


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    entries = run_export(run_dir, "savedmodel,tflite,onnx", "fp32,fp16,int8,dynamic", out,
                         num_verify=4, calibration_samples=8)
    return out, entries


def test_every_format_and_quantization_is_exported_and_verified(exported):
    out, entries = exported
    got = {(e["format"], e["quantization"]) for e in entries}
    assert got == {("keras", "fp32"), ("savedmodel", "fp32"), ("tflite", "fp32"),
                   ("tflite", "fp16"), ("tflite", "int8"), ("tflite", "dynamic"),
                   ("onnx", "fp32")}
    report = json.loads((out / "report.json").read_text())
    for e in report:
        for key in ("format", "quantization", "path", "size_bytes", "max_abs_error", "psnr_db",
                    "latency_ms"):
            assert key in e
        assert e["passed"]
        if e["format"] != "keras":
            assert Path(e["path"]).exists() and e["size_bytes"] > 0 and e["peak_rss_mb"] > 0
    by = {(e["format"], e["quantization"]): e for e in report}
    assert by["tflite", "fp32"]["max_abs_error"] <= 1e-4
    assert by["onnx", "fp32"]["max_abs_error"] <= 1e-4
    assert by["tflite", "fp16"]["psnr_db"] >= 45
    assert by["tflite", "int8"]["psnr_db"] >= 30
    assert by["tflite", "dynamic"]["psnr_db"] >= 30
    assert by["tflite", "int8"]["size_bytes"] < 0.5 * by["tflite", "fp32"]["size_bytes"]
    assert "| tflite | int8 |" in (out / "report.md").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith(".export-")]


def test_savedmodel_layout_and_signatures(exported):
    import tensorflow as tf

    out, _ = exported
    path = out / "savedmodel" / "generator" / "1"
    assert (path / "saved_model.pb").exists()
    loaded = tf.saved_model.load(str(path))
    assert set(loaded.signatures) == {"serving_default", "serving_uint8", "serving_bytes"}
    pixels = np.full((1, 32, 32, 3), 128, np.uint8)
    y8 = loaded.signatures["serving_uint8"](image=tf.constant(pixels))["output"].numpy()
    yf = loaded.signatures["serving_default"](
        image=tf.constant(pixels.astype(np.float32) / 127.5 - 1))["output"].numpy()
    assert y8.dtype == np.uint8
    np.testing.assert_allclose(y8, np.round((yf + 1) * 127.5), atol=1)


def test_savedmodel_stores_weights_once(exported, run_dir):
    out, entries = exported
    keras_bytes = next(e["size_bytes"] for e in entries if e["format"] == "keras")
    sm = next(e["size_bytes"] for e in entries if e["format"] == "savedmodel")
    assert sm < 1.6 * keras_bytes  # Model.export() would be ~2x plus the graph


def test_runners_check_shape_and_dtype(exported):
    out, _ = exported
    runners = [export.TFLiteRunner(out / "generator_int8.tflite"),
               export.OnnxRunner(out / "generator.onnx"),
               export.SavedModelRunner(out / "savedmodel" / "generator" / "1")]
    for runner in runners:
        with pytest.raises(ValueError, match="shape"):
            runner(np.zeros((1, 64, 64, 3), np.float32))
        with pytest.raises(ValueError, match="float32"):
            runner(np.zeros((1, 32, 32, 3), np.uint8))
        assert runner(np.zeros((2, 32, 32, 3), np.float32)).shape == (2, 32, 32, 3)


def test_onnx_nchw_option(run_dir, tmp_path):
    entries = run_export(run_dir, "onnx", "fp32", tmp_path, num_verify=2, calibration_samples=2,
                         nchw=True)
    assert entries[-1]["passed"] and entries[-1]["path"].endswith("generator_nchw.onnx")
    import onnx

    dims = onnx.load(tmp_path / "generator_nchw.onnx").graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims][1:] == [3, 32, 32]


def test_missed_parity_threshold_fails_loudly_and_leaves_no_artifact(run_dir, tmp_path,
                                                                     monkeypatch):
    verify_module = importlib.import_module("pix2pix_tf.export.verify")
    monkeypatch.setitem(verify_module.THRESHOLDS, "fp16", ("psnr_db", 1000.0))
    with pytest.raises(ExportError, match="tflite fp16.*parity"):
        run_export(run_dir, "tflite", "fp16", tmp_path, num_verify=2, calibration_samples=2)
    assert not (tmp_path / "generator_fp16.tflite").exists()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report[-1]["passed"] is False


@pytest.mark.parametrize("argv,needle", [
    (["--formats", "tflite,coreml"], "coreml"),
    (["--quantize", "int4"], "int4"),
])
def test_unknown_format_or_quantization(run_dir, tmp_path, capsys, argv, needle):
    assert export_main(["--model", str(run_dir), "--out", str(tmp_path), *argv]) == 2
    assert needle in capsys.readouterr().err


def test_missing_and_corrupt_model(tmp_path, capsys):
    assert export_main(["--model", str(tmp_path / "nope.keras"), "--out", str(tmp_path)]) == 2
    assert "nope.keras" in capsys.readouterr().err
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"\x00" * 10)
    assert export_main(["--model", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.keras" in capsys.readouterr().err


def test_empty_representative_dataset(run_dir, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = export_main(["--model", str(run_dir), "--out", str(tmp_path / "o"),
                        "--formats", "tflite", "--quantize", "int8",
                        "--representative-data", str(tmp_path / "empty")])
    assert code == 2 and "empty" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_folder(run_dir, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    assert export_main(["--model", str(run_dir), "--out", str(locked)]) == 2
    assert "not writable" in capsys.readouterr().err


def test_output_path_that_is_a_file(run_dir, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert export_main(["--model", str(run_dir), "--out", str(blocker / "sub")]) == 2
    assert "--out" in capsys.readouterr().err


def test_mixed_precision_run_exports_as_float32(tmp_path):
    run = tmp_path / "run"
    train(tiny_config(precision="mixed_bfloat16", steps_per_epoch=2, sample_every=0), run,
          verbose=0)
    entries = run_export(run, "tflite", "fp32", tmp_path / "out", num_verify=2,
                         calibration_samples=2)
    assert entries[-1]["passed"] and entries[-1]["max_abs_error"] <= 1e-4


def test_artifacts_compute_what_translate_computes(run_dir, exported):
    """The default inference mode (each image by its own statistics) is exported exactly:
    the .tflite and ONNX files give translate's outputs, not BatchNorm's moving averages."""
    import tensorflow as tf

    from pix2pix_tf.export import OnnxRunner, TFLiteRunner
    from pix2pix_tf.translator import Translator

    out, entries = exported
    translator = Translator.load(run_dir)
    assert translator.config.inference_mode == "image_stats"
    x = np.random.default_rng(5).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    expected = np.asarray(translator(tf.constant(x)))
    for runner in (TFLiteRunner(out / "generator_fp32.tflite", 2),
                   OnnxRunner(out / "generator.onnx", 2)):
        np.testing.assert_allclose(runner(x), expected, atol=1e-4)
    moving = Translator.load(run_dir, inference_mode="moving_stats")
    assert np.abs(np.asarray(moving(x)) - expected).max() > 1e-3
    assert json.loads((out / "report.json").read_text())[0]["data"].startswith("built-in")


def test_default_command_reports_a_refused_int8_and_succeeds(run_dir, tmp_path, capsys,
                                                            monkeypatch):
    """The default quantisations try int8; a miss is a note (exit 0), the other artifacts
    are kept. Asking for int8 explicitly keeps the refusal an error (exit 1)."""
    verify_module = importlib.import_module("pix2pix_tf.export.verify")
    monkeypatch.setitem(verify_module.THRESHOLDS, "int8", ("psnr_db", 1000.0))
    out = tmp_path / "default"
    assert export_main(["--model", str(run_dir), "--out", str(out), "--formats", "tflite",
                        "--num-verify", "2", "--calibration-samples", "2"]) == 0
    printed = capsys.readouterr().out
    assert "full-integer int8 was refused" in printed and "generator_fp16.tflite" in printed
    assert (out / "generator_fp16.tflite").exists()
    assert not (out / "generator_int8.tflite").exists()
    assert export_main(["--model", str(run_dir), "--out", str(tmp_path / "asked"),
                        "--formats", "tflite", "--quantize", "int8", "--num-verify", "2",
                        "--calibration-samples", "2"]) == 1


def test_reexport_removes_the_previous_exports_artifacts_it_did_not_write(run_dir, tmp_path,
                                                                          capsys, monkeypatch):
    """A refused int8 must not leave the previous model's generator_int8.tflite, which the
    page would open first (smallest first); the user's own files stay."""
    from pix2pix_tf.export.serve import list_models

    out = tmp_path / "out"
    args = ["--model", str(run_dir), "--out", str(out), "--formats", "tflite",
            "--quantize", "fp32,int8", "--num-verify", "2", "--calibration-samples", "2"]
    assert export_main(args) == 0
    assert (out / "generator_int8.tflite").exists()
    (out / "notes.txt").write_text("mine")
    (out / "mine.onnx").write_bytes(b"not an export's")
    verify_module = importlib.import_module("pix2pix_tf.export.verify")
    monkeypatch.setitem(verify_module.THRESHOLDS, "int8", ("psnr_db", 1000.0))
    capsys.readouterr()
    assert export_main(args) == 1  # int8 asked for explicitly: its refusal is an error
    assert not (out / "generator_int8.tflite").exists()
    assert (out / "generator_fp32.tflite").exists()
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "mine.onnx").read_bytes() == b"not an export's"
    assert "generator_int8.tflite" in capsys.readouterr().out
    by = {e["quantization"]: e for e in json.loads((out / "report.json").read_text())
          if e["format"] == "tflite"}
    assert by["int8"]["passed"] is False and by["int8"]["path"] is None
    assert by["int8"]["threshold"] and by["int8"]["previous_removed"].endswith(
        "generator_int8.tflite")
    assert "generator_int8.tflite" not in [m["name"] for m in list_models(out)]


def test_every_tflite_gets_a_gpu_delegate_verdict(exported):
    out, entries = exported
    tflite = [e for e in entries if e["format"] == "tflite"]
    assert tflite and all(e["gpu_delegate"] in ("compatible", "not compatible")
                          for e in tflite)
    # The float models (phase-form transposed convolutions included) are fully delegable.
    assert {e["quantization"]: e["gpu_delegate"] for e in tflite}["fp16"] == "compatible"
    assert "GPU delegate" in (out / "report.md").read_text()


def test_gpu_report_parser_lists_the_ops_that_fall_back():
    from pix2pix_tf.export.tflite import parse_gpu_report

    text = ("Subgraph#0 main(T#0) -> [T#5]\n  Op#0 CONV_2D(...)\n"
            "GPU COMPATIBILITY WARNING: Not supported op FOO_BAR\n"
            "GPU COMPATIBILITY WARNING: Subgraph#0 has GPU delegate compatibility issues "
            "at nodes 3 with TFLite runtime version 2.21.0\n")
    verdict = parse_gpu_report(text)
    assert verdict["gpu_delegate"] == "not compatible" and len(verdict["gpu_issues"]) == 2
    ok = parse_gpu_report("Your model looks compatible with GPU delegate on TFLite runtime")
    assert ok == {"gpu_delegate": "compatible", "gpu_issues": []}


def _real_pixels(run_dir, count: int = 4) -> np.ndarray:
    """uint8 RGB pixel arrays of real inputs (the run's own data, as an app reads them)."""
    from pix2pix_tf.export.common import load, sample_inputs

    _, config = load(run_dir)
    x, _ = sample_inputs(config, None, count, run_dir)
    return np.clip(np.round((x + 1) * 127.5), 0, 255).astype(np.uint8)


def test_uint8_tflite_takes_and_returns_pixels_exactly(run_dir, exported):
    """The int8 artifact's contract: RGB pixels 0-255 in and out, by construction (scale 1,
    zero point 0 on both ends, normalisation inside the graph), matching the Keras
    generator run on the same pixels within the int8 PSNR bar."""
    from pix2pix_tf.export import TFLiteRunner
    from pix2pix_tf.export.common import psnr_db
    from pix2pix_tf.translator import load_generator

    out, _ = exported
    runner = TFLiteRunner(out / "generator_int8.tflite", 2)
    for detail in (runner.inp, runner.out):
        assert detail["dtype"] == np.uint8 and detail["quantization"] == (1.0, 0)
        # A static batch of 1: LiteRT.js and GPU delegates refuse a dynamic one.
        assert list(detail["shape_signature"]) == [1, 32, 32, 3]
    signature = runner.interpreter.get_signature_list()
    assert signature == {"serving_default": {"inputs": ["image"], "outputs": ["output"]}}
    pixels = _real_pixels(run_dir)
    got = runner.pixels(pixels)
    assert got.dtype == np.uint8 and got.shape == pixels.shape
    generator, _ = load_generator(run_dir)
    keras = np.asarray(generator(pixels.astype(np.float32) / 127.5 - 1.0, training=False))
    expected = np.clip(np.round((keras + 1) * 127.5), 0, 255)
    assert psnr_db(expected / 127.5 - 1, got / 127.5 - 1) >= 30
    with pytest.raises(ValueError, match="uint8"):
        runner.pixels(pixels.astype(np.float32))


def test_pixel_ranges_are_fixed_not_calibrated(tmp_path):
    """Calibrated on dark images only (0..40), the uint8 input and output are still plain
    pixels (scale 1, zero point 0: the calibrated input was not), the normalisation
    tensors carry the exact ranges of p / 127.5 - 1, and the edited model computes what
    the calibrated one does."""
    import keras
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from pix2pix_tf.export.litert_model import pin_pixel_ranges

    keras.utils.set_random_seed(0)
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, keras.layers.Activation("tanh")(
        keras.layers.Conv2D(3, 3, padding="same")(x)))
    module = tf.Module()
    module.variables_ = [v.value for v in model.variables]  # SavedModel: frozen properly

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 3], tf.float32, name="image")])
    def serve(image):
        return {"output": (model(image / 127.5 - 1.0) + 1.0) * 127.5}

    module.serve = serve
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures={"serving_default": serve})
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "sm"))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    dark = np.random.default_rng(0).uniform(0, 40, (4, 1, 8, 8, 3)).astype(np.float32)
    converter.representative_dataset = lambda: ([d] for d in dark)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.uint8
    calibrated = converter.convert()
    pinned = pin_pixel_ranges(calibrated)

    def io(flatbuffer):
        it = Interpreter(model_content=flatbuffer)
        it.allocate_tensors()
        return (it.get_input_details()[0]["quantization"],
                it.get_output_details()[0]["quantization"], it)

    assert io(calibrated)[0] != (1.0, 0)  # the calibrated input saw only 0..40
    inp, out, it = io(pinned)
    assert inp == (1.0, 0) and out == (1.0, 0)
    ranges = [d["quantization"] for d in it.get_tensor_details()]
    assert any(abs(s - 2 / 255) < 1e-7 and z == -128 for s, z in ranges)  # p/127.5: [0, 2]
    # The edited model computes what the calibrated one does, now in plain pixels.
    pixels = np.round(dark[0]).astype(np.uint8)
    keras_pixels = np.round((np.asarray(model(pixels / 127.5 - 1.0)) + 1) * 127.5)
    outputs = []
    for flatbuffer in (calibrated, pinned):
        _, (scale, zero), it = io(flatbuffer)
        it.set_tensor(it.get_input_details()[0]["index"],
                      pixels if flatbuffer is pinned else np.round(
                          pixels / io(calibrated)[0][0] + io(calibrated)[0][1]).astype(np.uint8))
        it.invoke()
        q = it.get_tensor(it.get_output_details()[0]["index"]).astype(np.float64)
        outputs.append((q - zero) * scale)
    assert np.abs(outputs[1] - outputs[0]).max() <= 3  # a step of each model
    assert np.abs(outputs[1] - keras_pixels).max() <= 4


def test_tflite_files_describe_themselves(exported):
    from pix2pix_tf.export.litert_model import read_metadata

    out, _ = exported
    int8 = read_metadata(out / "generator_int8.tflite")
    assert int8["pixels"]["dtype"] == "uint8" and int8["pixels"]["range"] == [0, 255]
    assert int8["input"] == {"name": "image", "shape": [1, 32, 32, 3], "content": "RGB"}
    assert int8["output"]["name"] == "output" and int8["direction"] == "AtoB"
    assert int8["version"] == __import__("pix2pix_tf").__version__
    # Trained on the built-in label maps: the colours the web app's drawing mode offers.
    from pix2pix_tf.data.synthetic import label_palette

    assert int8["palette"] == label_palette() and int8["palette"][0]["name"] == "wall"
    fp16 = read_metadata(out / "generator_fp16.tflite")
    assert fp16["quantization"] == "fp16" and fp16["pixels"]["range"] == [-1.0, 1.0]


def _need_browser():
    """The browser test needs Chromium and `npm ci --prefix export/web`; CI installs both
    (.ci/run), so there a missing piece fails instead of skipping."""
    from pix2pix_tf.errors import DataError
    from pix2pix_tf.export.browser import find_chromium
    from pix2pix_tf.export.serve import check_web_install

    missing = []
    if find_chromium() is None:
        missing.append("Chromium (apt-get install chromium)")
    try:
        check_web_install()
    except DataError:
        missing.append("LiteRT.js (npm ci --prefix export/web)")
    if missing:
        message = "the browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("name,bar", [("generator_int8.tflite", 30.0),
                                      ("generator_fp16.tflite", 45.0)])
def test_web_page_runs_the_artifact_in_headless_chromium(run_dir, exported, tmp_path, name,
                                                         bar):
    """The page (export/web, LiteRT.js from npm) translates a real image in a real
    browser, and its output matches the Keras generator on the same pixels within the
    artifact's PSNR bar; the in-browser latency is reported."""
    _need_browser()
    from PIL import Image

    from pix2pix_tf.export.browser import run_page
    from pix2pix_tf.export.common import psnr_db
    from pix2pix_tf.translator import load_generator

    out, _ = exported
    pixels = _real_pixels(run_dir, 1)[0]
    Image.fromarray(pixels).save(tmp_path / "input.png")
    result = run_page(out, name, tmp_path / "input.png")
    assert result["pixels"].shape == pixels.shape and result["model"] == name
    generator, _ = load_generator(run_dir)
    keras = np.asarray(generator(pixels[None].astype(np.float32) / 127.5 - 1.0,
                                 training=False))[0]
    got = result["pixels"].astype(np.float32) / 127.5 - 1.0
    assert psnr_db(np.clip(np.round((keras + 1) * 127.5), 0, 255) / 127.5 - 1, got) >= bar
    assert result["latency_ms"] > 0 and result["accelerator"] == "wasm"
    print(f"in-browser latency ({name}, 32x32): {result['latency_ms']:.1f} ms, "
          f"{result['threads']} thread(s)")


def test_serve_refuses_a_folder_without_models(tmp_path, capsys):
    assert export_main(["serve", "--model", str(tmp_path)]) == 2
    assert "no .tflite file" in capsys.readouterr().err
    assert export_main(["serve", "--model", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_int8_is_integer_throughout(exported, run_dir):
    """Full-integer int8: every op computes in (u)int8 — no float op left for a phone's
    NPU or an integer-only runtime to fall back on — from an integer-friendly copy of the
    generator that computes the same function."""
    import keras
    from ai_edge_litert.tools import flatbuffer_utils as fu

    from pix2pix_tf.export.common import load
    from pix2pix_tf.export.int8 import integer_friendly
    from pix2pix_tf.layers import Conv2DTranspose

    out, _ = exported
    model = fu.read_model(str(out / "generator_int8.tflite"))
    sg = model.subgraphs[0]
    kinds = {fu.type_to_name(sg.tensors[op.outputs[0]].type) for op in sg.operators}
    assert kinds <= {"INT8", "UINT8"}, kinds
    names = {fu.opcode_to_name(model, op.opcodeIndex) for op in sg.operators}
    assert "LEAKY_RELU" not in names and "DEQUANTIZE" not in names
    generator, _ = load(run_dir)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    friendly = integer_friendly(generator)
    layers = friendly._flatten_layers(include_self=False, recursive=True)
    transposed = [la for la in layers if isinstance(la, Conv2DTranspose)]
    assert transposed and all(la.interleave == "transpose" for la in transposed)
    assert not [la for la in friendly.layers if type(la) is keras.layers.LeakyReLU]
    np.testing.assert_allclose(friendly(x, training=False), generator(x, training=False),
                               atol=1e-6)


def test_int8_export_leaves_the_generator_unchanged(run_dir, tmp_path):
    """The int8 export traces a copy: the user's generator keeps its layers (the same
    objects, classes, configs and weights) and its output."""
    from pix2pix_tf.export.common import load
    from pix2pix_tf.export.tflite import export_tflite

    generator, config = load(run_dir)

    def snapshot():
        layers = generator._flatten_layers(include_self=False, recursive=True)
        return [(id(la), type(la), la.get_config(), dict(vars(la)).get("interleave"))
                for la in layers]

    x = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    before, weights = snapshot(), [w.copy() for w in generator.get_weights()]
    reference = np.asarray(generator(x[:1], training=False))
    export_tflite(generator, tmp_path / "g.tflite", "int8", x, "uint8", config)
    assert snapshot() == before
    for a, b in zip(generator.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(generator(x[:1], training=False), reference)


def test_resize_upsampling_generator_exports_with_parity(tmp_path):
    """The checkerboard-free decoder (nearest resize + conv) converts and verifies too."""
    run = tmp_path / "run"
    train(tiny_config(upsample="resize", generator_filters=8, steps_per_epoch=8,
                      sample_every=0), run, verbose=0)
    entries = run_export(run, "tflite,onnx", "fp32,int8", tmp_path / "out", num_verify=2,
                         calibration_samples=4)
    by = {(e["format"], e["quantization"]): e for e in entries}
    assert all(e["passed"] for e in entries)
    assert by["tflite", "fp32"]["max_abs_error"] <= 1e-4
    assert by["onnx", "fp32"]["max_abs_error"] <= 1e-4
    assert by["tflite", "int8"]["psnr_db"] >= 30
    # Integer throughout here too: the nearest resize is rewritten as concat + reshape.
    from ai_edge_litert.tools import flatbuffer_utils as fu

    from pix2pix_tf.export.common import load
    from pix2pix_tf.export.int8 import integer_friendly

    model = fu.read_model(str(tmp_path / "out" / "generator_int8.tflite"))
    sg = model.subgraphs[0]
    assert {fu.type_to_name(sg.tensors[op.outputs[0]].type) for op in sg.operators} <= {
        "INT8", "UINT8"}
    names = {fu.opcode_to_name(model, op.opcodeIndex) for op in sg.operators}
    assert "TILE" not in names and "DEQUANTIZE" not in names, names
    generator, _ = load(run)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(integer_friendly(generator)(x, training=False),
                                  generator(x, training=False))
    # LiteRT.js runs it too: the page equals Python's interpreter.
    _need_browser()
    from PIL import Image

    from pix2pix_tf.export.browser import run_page
    from pix2pix_tf.export.tflite import TFLiteRunner

    photo = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    page = run_page(tmp_path / "out", "generator_int8.tflite", tmp_path / "photo.png")
    want = TFLiteRunner(tmp_path / "out" / "generator_int8.tflite").pixels(photo[None])[0]
    assert np.abs(page["pixels"].astype(int) - want.astype(int)).max() <= 1
