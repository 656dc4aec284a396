"""The README's Python snippets run as written (at a smaller size)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
# Made smaller for the test; each must occur in the README, so an edit there that
# drops one fails here instead of silently running a bigger model.
SMALLER = {
    "image_size=64, seed=0": "image_size=32, generator_filters=4, discriminator_filters=4, "
                             "seed=0",
    "epochs=2, steps_per_epoch=20": "epochs=1, steps_per_epoch=2",
}


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python block"
    monkeypatch.chdir(tmp_path)
    seen: dict = {}
    for block in blocks:  # in order, in one folder: a later block may use an earlier's files
        for old, new in SMALLER.items():
            if old in block:
                block = block.replace(old, new)
        namespace: dict = {}
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
        seen.update(namespace)
    code = "\n".join(blocks)
    assert all(old in code for old in SMALLER), "README block changed: update SMALLER"
    assert (tmp_path / "generator.keras").exists()
    assert seen["fake"].shape == (1, 32, 32, 3)
    assert seen["pixels"].shape == (300, 400, 3)
    assert (tmp_path / "out" / "photo.png").exists()
