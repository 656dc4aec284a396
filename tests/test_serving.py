"""The SavedModel's `serving_bytes` signature as TF Serving runs it: encoded images in,
PNG files out, `translate`'s pixels; its REST and gRPC requests; bad bytes.

The model server cannot run here: the harnesses below do what its REST and gRPC
front ends do (documented in tensorflow/serving's api_rest.md and predict.proto) —
decode the request into tensors, call the signature by name, encode the outputs."""

import base64
import io
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config, write_image

from pix2pix_tf.errors import DataError
from pix2pix_tf.export.serving import (
    predict_outputs,
    predict_request,
    rest_outputs,
    rest_request,
)

KINDS = {
    "rgb_resize": dict(),
    "lab_crop": dict(color_space="lab", preprocess="crop"),
    "gray_resize": dict(input_channels=1),
}


def _photo(h: int, w: int, seed: int) -> np.ndarray:
    """Smooth ramps and a square (JPEG-friendly), not the model's size."""
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
    img[..., 1] = np.linspace(255, 30, h, dtype=np.uint8)[:, None]
    img[..., 2] = (60 + 50 * seed) % 256
    img[h // 4:h // 2, w // 4:w // 2] = np.random.default_rng(seed).integers(0, 256, 3)
    return img


_SERVED: dict[str, tuple] = {}


@pytest.fixture(scope="module", params=sorted(KINDS))
def served(request, tmp_path_factory):
    """(kind, translator, the loaded SavedModel, input files) for each kind of model."""
    return _serve(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def served_rgb(tmp_path_factory):
    """`served` of the RGB model (for what is the same graph for every kind)."""
    return _serve("rgb_resize", tmp_path_factory)


def _serve(kind: str, tmp_path_factory):
    """A model of `kind`, exported as `python -m pix2pix_tf export` does (the
    network of `export.common.load`), and loaded as TF Serving loads it; once per kind."""
    if kind not in _SERVED:
        _SERVED[kind] = _export(kind, tmp_path_factory.mktemp(kind))
    return _SERVED[kind]


def _export(kind: str, root: Path):
    import tensorflow as tf

    from pix2pix_tf.export.common import exported_config
    from pix2pix_tf.export.savedmodel import export_savedmodel
    from pix2pix_tf.generator import Generator
    from pix2pix_tf.translator import Translator

    config = tiny_config(**KINDS[kind])
    generator = Generator(config)
    # Untrained weights give nearly flat pictures: spread the kernels, so a wrong
    # channel, resize or crop shows in the pixels.
    rng = np.random.default_rng(0)
    generator.set_weights([w + rng.normal(0, 0.3, w.shape).astype(w.dtype) if w.ndim == 4
                           else w for w in generator.get_weights()])
    translator = Translator(generator, config)
    path = export_savedmodel(translator.export_model(), root / "savedmodel",
                             config=exported_config(translator.config))
    assert path == root / "savedmodel" / "generator" / "1"  # TF Serving's NAME/VERSION
    files = [write_image(root / "in" / "ramp.png", _photo(40, 48, 0)),
             write_image(root / "in" / "small.jpg", _photo(20, 24, 1), quality=90),
             write_image(root / "in" / "gray.png", _photo(36, 36, 2)[..., 0]),
             write_image(root / "in" / "square.png", _photo(32, 32, 3)),
             write_image(root / "in" / "lossless.webp", _photo(28, 36, 4), lossless=True)]
    return kind, translator, tf.saved_model.load(str(path)), files


def _translated(translator, files, out: Path) -> dict[str, np.ndarray]:
    """`translate`'s output pixels of each file, by stem."""
    from pix2pix_tf.translate import translate_files

    return {p.stem: _pixels(p.read_bytes())
            for p in translate_files(translator, files, out, layout="single")}


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    assert png[:4] == b"\x89PNG"
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im)


def _assert_same(got: dict[str, bytes], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for key, png in got.items():
        pixels = _pixels(png)
        assert pixels.shape == want[key].shape, key
        assert np.abs(pixels.astype(int) - want[key]).max() <= 1, key


def rest_predict(model, body: dict) -> dict:
    """TF Serving's REST `:predict` on a row-format body: `{"b64": ...}` values decoded,
    the instances stacked per input, the signature called by name; outputs named
    `*_bytes` answered as `{"b64": ...}`; a failure as `{"error": message}`."""
    import tensorflow as tf

    try:
        fn = model.signatures[body.get("signature_name", "serving_default")]
        names = fn.structured_input_signature[1]
        columns = {name: [] for name in names}
        for instance in body["instances"]:
            for name in names:
                value = instance[name]
                columns[name].append(base64.b64decode(value["b64"])
                                     if isinstance(value, dict) else value)
        outputs = fn(**{name: tf.constant(v) for name, v in columns.items()})
    except tf.errors.InvalidArgumentError as e:
        return {"error": e.message}

    def encode(name, value):
        if name.endswith("_bytes"):
            return {"b64": base64.b64encode(value).decode("ascii")}
        return value.decode("utf-8")

    arrays = {name: t.numpy() for name, t in outputs.items()}
    return {"predictions": [{name: encode(name, a[i]) for name, a in arrays.items()}
                            for i in range(len(body["instances"]))]}


def grpc_predict(model, request):
    """TF Serving's gRPC `Predict`: input TensorProtos -> tensors, the signature by name,
    outputs -> TensorProtos of a `PredictResponse`."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    fn = model.signatures[request.model_spec.signature_name or "serving_default"]
    outputs = fn(**{name: tf.constant(tf.make_ndarray(proto))
                    for name, proto in request.inputs.items()})
    response = predict_pb2.PredictResponse()
    response.model_spec.CopyFrom(request.model_spec)
    for name, tensor in outputs.items():
        response.outputs[name].CopyFrom(tf.make_tensor_proto(tensor.numpy()))
    return response


def test_signatures_side_by_side(served):
    import tensorflow as tf

    _, translator, model, _ = served
    assert set(model.signatures) == {"serving_default", "serving_uint8", "serving_bytes"}
    fn = model.signatures["serving_bytes"]
    inputs = fn.structured_input_signature[1]
    assert {n: (s.dtype, s.shape.as_list()) for n, s in inputs.items()} == {
        "image_bytes": (tf.string, [None]), "key": (tf.string, [None])}
    assert set(fn.structured_outputs) == {"output_bytes", "key"}
    # The float signature is unchanged: model input in [-1, 1] -> RGB in [-1, 1].
    x = np.zeros((1, 32, 32, translator.preprocessor.input_channels), np.float32)
    np.testing.assert_allclose(model.signatures["serving_default"](image=tf.constant(x))[
        "output"].numpy(), translator(x).numpy(), atol=1e-5)


def test_bytes_signature_gives_translates_pixels(served, tmp_path):
    """PNG, JPEG, WebP and grayscale files of other sizes, in one batch, keys passed
    through."""
    import tensorflow as tf

    kind, translator, model, files = served
    want = _translated(translator, files, tmp_path / "out")
    keys = [f"{p.stem}" for p in files]
    out = model.signatures["serving_bytes"](
        image_bytes=tf.constant([p.read_bytes() for p in files]), key=tf.constant(keys))
    got = dict(zip([k.decode() for k in out["key"].numpy()], out["output_bytes"].numpy()))
    _assert_same(got, want)
    sizes = {k: v.shape[:2] for k, v in want.items()}
    if kind == "lab_crop":  # a crop model answers the crop
        assert set(sizes.values()) == {(32, 32)}
    else:  # a resize model answers at the image's size
        assert sizes["ramp"] == (40, 48) and sizes["small"] == (20, 24)
    assert len({v.tobytes() for v in want.values()}) == len(want)  # not flat pictures


def _documented_rest_commands() -> list[str]:
    """The REST commands of export/README.md's TF Serving section (one per line)."""
    readme = (Path(__file__).parents[1] / "export" / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if "serving_bytes" in b and "curl" in b]
    return [line for line in block.splitlines() if line.strip()]


def test_rest_commands_as_documented(served_rgb, tmp_path):
    """The README's printf / curl / python3 lines, the curl answered by `rest_predict`."""
    _, translator, model, files = served_rgb
    commands = _documented_rest_commands()
    assert [c.split()[0] for c in commands] == ["printf", "curl", "python3"]
    photo = files[1]  # a JPEG
    (tmp_path / "photo.jpg").write_bytes(photo.read_bytes())
    subprocess.run(["bash", "-c", commands[0]], cwd=tmp_path, check=True)
    body = json.loads((tmp_path / "request.json").read_text())
    assert body["signature_name"] == "serving_bytes"
    assert "localhost:8501/v1/models/generator:predict" in commands[1]
    (tmp_path / "response.json").write_text(json.dumps(rest_predict(model, body)))
    subprocess.run(["bash", "-c", commands[2]], cwd=tmp_path, check=True)
    want = _translated(translator, [photo], tmp_path / "out")
    _assert_same({"small": (tmp_path / "photo.png").read_bytes()}, want)


def test_rest_request_helpers(served, tmp_path):
    _, translator, model, files = served
    body = json.loads(json.dumps(rest_request({p.stem: p.read_bytes() for p in files})))
    assert body["instances"][0]["image_bytes"].keys() == {"b64"}
    response = json.loads(json.dumps(rest_predict(model, body)))
    _assert_same(rest_outputs(response), _translated(translator, files, tmp_path / "out"))


def test_grpc_predict_request(served, tmp_path):
    from tensorflow_serving.apis import predict_pb2

    _, translator, model, files = served
    request = predict_request({p.stem: p.read_bytes() for p in files}, model_name="generator")
    # What the client sends is what the server parses: a serialised PredictRequest.
    wire = predict_pb2.PredictRequest.FromString(request.SerializeToString())
    assert wire.model_spec.name == "generator"
    assert wire.model_spec.signature_name == "serving_bytes"
    response = predict_pb2.PredictResponse.FromString(
        grpc_predict(model, wire).SerializeToString())
    _assert_same(predict_outputs(response), _translated(translator, files, tmp_path / "out"))


def test_bad_bytes_are_a_clear_error(served_rgb):
    _, _, model, files = served_rgb
    good = files[0].read_bytes()
    response = rest_predict(model, rest_request({"ok": good, "notes.txt": b"hello world"}))
    assert "not a PNG, JPEG, GIF, BMP, WebP or JPEG XL image" in response["error"]
    assert "notes.txt" in response["error"]  # the key names the bad instance
    with pytest.raises(DataError, match="TF Serving refused the request: .*notes.txt") as e:
        rest_outputs(response)
    assert "\n" not in str(e.value)  # one line: what failed, not where in the graph
    for bad in (b"", good[:50]):  # empty; a PNG cut short
        response = rest_predict(model, rest_request({"ok": good, "cut": bad}))
        assert re.search(r"not a PNG|Invalid PNG data", response["error"]), response
