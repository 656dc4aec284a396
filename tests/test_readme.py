"""The README's Python snippets run as written (at a smaller size)."""

import re
from pathlib import Path

import pytest

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


def _quick_start() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if "DATA = None" in b)


def test_the_quick_start_offers_only_data_that_work():
    line = next(x for x in _quick_start().splitlines() if x.startswith("DATA = None"))
    assert re.findall(r'"([^"]+)"', line) == ["facades", "path/to/facades", "colorize:photos/"]


@pytest.mark.parametrize("data", ["facades", "path/to/facades", "colorize:photos/"])
def test_the_quick_start_runs_with_each_data_it_suggests(data, tmp_path, monkeypatch):
    """Each `DATA` the quick start's comment suggests, prepared locally as a user would
    have it (the facades archive already downloaded into the cache: no network)."""
    import tarfile

    from conftest import random_image, write_image

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIX2PIX_DATA_DIR", str(tmp_path / "cache"))
    for split, n in (("train", 4), ("val", 2)):
        for i in range(n):
            write_image(tmp_path / "path/to/facades" / split / f"{i + 1}.jpg",
                        random_image(32, 64, seed=i))
    (tmp_path / "cache" / "downloads").mkdir(parents=True)
    with tarfile.open(tmp_path / "cache" / "downloads" / "facades.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "path/to/facades", arcname="facades")
    for i in range(10):
        write_image(tmp_path / "photos" / f"p{i}.png", random_image(40, 40, seed=i))

    block = _quick_start().replace("DATA = None", f"DATA = {data!r}", 1)
    for old, new in SMALLER.items():
        block = block.replace(old, new)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    assert len(namespace["val_src"]) >= 1
    assert namespace["fake"].shape == (1, 32, 32, 3)


def test_the_course_table_lists_every_notebook_and_how_to_open_them():
    text = README.read_text()
    notebooks = sorted(p.name for p in (README.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    listed = re.findall(r"\]\(notebooks/([0-9]{2}_\w+\.ipynb)\)", text.split("## The course")[1])
    assert listed == notebooks
    assert 'pip install -e ".[notebooks]"' in text
    pyproject = (README.parent / "pyproject.toml").read_text()
    assert re.search(r'^notebooks = \["jupyterlab', pyproject, flags=re.M)


def test_stored_notebook_outputs_name_no_machine_path():
    """The course's stored outputs are read on other machines: no temporary folders,
    home directories or checkout paths of the machine that ran them."""
    import json

    machine = re.compile(r"(/tmp/|/home/|/root/|/Users/|/work/|[A-Z]:\\\\Users)")
    for path in sorted((README.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) + "".join(
                    "".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
                found = machine.search(text)
                where = text[max(0, found.start() - 60):found.end() + 40] if found else ""
                assert found is None, f"{path.name} cell {i}: {where!r}"
