"""The web page's preprocessing (export/web/preprocess.js) is the Python
contract's (`Preprocessor.prepare`): run with Node.js on the same pixels."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config

from pix2pix_tf.translator import Preprocessor

WEB = Path(__file__).resolve().parents[1] / "export" / "web"

SCRIPT = """
import {prepare, toUint8} from '%s';
let text = '';
process.stdin.on('data', (d) => { text += d; });
process.stdin.on('end', () => {
  const cases = JSON.parse(text);
  const out = cases.map(({rgba, height, width, pre}) => {
    const x = prepare(Uint8Array.from(rgba), height, width, pre);
    return {x: Array.from(x), p: Array.from(toUint8(x))};
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def _node():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is needed for the page's preprocessing test")
        pytest.skip("Node.js not installed")
    return node


def _run_js(cases: list[dict]) -> list[dict]:
    script = SCRIPT % (WEB / "preprocess.js").as_uri()
    proc = subprocess.run([_node(), "--input-type=module", "-e", script],
                          input=json.dumps(cases), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _images():
    from skimage import data

    rng = np.random.default_rng(0)
    photo = data.astronaut()[100:171, 150:240]  # 71 x 90: odd sizes, real content
    return [photo, rng.integers(0, 256, (20, 24, 3), dtype=np.uint8),  # smaller: pads
            rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)]  # the model's size


@pytest.mark.parametrize("color_space,channels", [("rgb", 3), ("rgb", 1), ("lab", 1)])
@pytest.mark.parametrize("preprocess", ["resize_and_crop", "crop"])
def test_page_prepares_inputs_as_python_does(color_space, channels, preprocess):
    config = tiny_config(color_space=color_space, input_channels=channels,
                         preprocess=preprocess)
    pre = Preprocessor.from_config(config)
    cases, expected = [], []
    for img in _images():
        rgba = np.concatenate([img, np.full(img.shape[:2] + (1,), 255, np.uint8)], axis=-1)
        cases.append({"rgba": rgba.ravel().tolist(), "height": img.shape[0],
                      "width": img.shape[1], "pre": pre.to_dict()})
        expected.append(pre.prepare(img).numpy())
    for got, want in zip(_run_js(cases), expected):
        x = np.asarray(got["x"], np.float32).reshape(want.shape)
        np.testing.assert_allclose(x, want, atol=1e-5)  # float order of operations only
        pixels = np.asarray(got["p"]).reshape(want.shape)
        assert np.abs(pixels - np.clip(np.round((want + 1) * 127.5), 0, 255)).max() <= 1
