"""The first keystroke: `--help` is instant and quiet, TensorFlow's C++ log stays out of
the output (unless `--debug`), a bad option prints only its error, and the repository's
top-level export/ installs as `pix2pix_tf.export` (no top-level `export` package)."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pix2pix_tf.tf_log import is_tf_log_line, quiet_tensorflow

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--image-size", "32", "--generator-filters", "4", "--discriminator-filters", "4",
        "--steps-per-epoch", "1", "--epochs", "1", "--seed", "0", "--verbose", "0"]


def _run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**os.environ, **(env or {})}, timeout=600)


def _imported(importtime_stderr: str) -> set[str]:
    """Top-level module names from `python -X importtime`'s report."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["translate", "--help"],
                                  ["export", "--help"], ["evaluate", "--help"]])
def test_help_imports_neither_tensorflow_nor_keras(args):
    r = _run("-X", "importtime", "-m", "pix2pix_tf", *args)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "usage:" in r.stdout
    imported = _imported(r.stderr)
    assert "pix2pix_tf" in imported  # the report is being read
    assert not imported & {"tensorflow", "keras"}, sorted(imported)


def test_help_prints_no_log_lines():
    r = _run("-m", "pix2pix_tf", "train", "--help")
    assert r.returncode == 0 and r.stderr == ""


# Lines TensorFlow 2.21 printed on this machine (and the older timestamped form).
TF_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796323598.532466    5735 port.cc:153] oneDNN custom operations are on.",
    "I0000 00:00:1796323598.532828    5735 cudart_stub.cc:31] Could not find cuda drivers",
    "E0000 00:00:1796322443.668340    3949 cuda_platform.cc:52] failed call to cuInit",
    "I0000 00:00:1796323557.552794    5624 cpu_feature_guard.cc:227] This TensorFlow binary",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    "W1203 14:44:05.157831   12345 remapper.cc:1] remapper failed",
    "2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] x",
    "(MapBatches(Translate) pid=4242) I0000 00:00:1.5    1 port.cc:153] oneDNN custom",
]
KEPT_LINES = [
    "error: --data /x: no such folder or archive",
    "Traceback (most recent call last):",
    "UserWarning: something",
    "I0000 is not a log line",
    "Epoch 1/5",
]


def test_the_filter_drops_tensorflow_lines_and_keeps_the_rest():
    for line in TF_LINES:
        assert is_tf_log_line(line.encode()), line
    for line in KEPT_LINES:
        assert not is_tf_log_line(line.encode()), line


def test_quiet_tensorflow_filters_descriptor_2(capfd):
    with quiet_tensorflow():
        os.write(2, ("\n".join([*TF_LINES, *KEPT_LINES]) + "\n").encode())
    err = capfd.readouterr().err
    assert err.splitlines() == KEPT_LINES
    with quiet_tensorflow(enabled=False):
        os.write(2, (TF_LINES[1] + "\n").encode())
    assert capfd.readouterr().err.strip() == TF_LINES[1]


def test_train_shows_no_tensorflow_log_and_debug_brings_it_back(tmp_path):
    r = _run("-m", "pix2pix_tf", "train", "--out", str(tmp_path / "a"), *TINY)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not [line for line in r.stderr.splitlines() if is_tf_log_line(line.encode())], \
        r.stderr
    assert "Done." in r.stdout
    r = _run("-m", "pix2pix_tf", "--debug", "train", "--out", str(tmp_path / "b"), *TINY)
    assert r.returncode == 0, r.stderr[-2000:]
    # TensorFlow on x86 always announces oneDNN; --debug shows it unfiltered.
    assert any(is_tf_log_line(line.encode()) for line in r.stderr.splitlines()), r.stderr


@pytest.mark.parametrize("args, needle", [
    (["train", "--data", "/nonexistent/pairs"], "--data /nonexistent/pairs"),
    (["translate", "--model", "/nonexistent/g.keras", "/nonexistent/in"], "g.keras"),
])
def test_a_moot_error_is_the_only_output(tmp_path, args, needle):
    r = _run("-m", "pix2pix_tf", *args, "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: ") and needle in r.stderr
    assert not (tmp_path / "o").exists()


def test_export_folder_installs_as_the_subpackage(tmp_path):
    import pix2pix_tf.export as exp

    assert Path(exp.__file__).resolve().parent == ROOT / "export"
    # No top-level `export` module outside the repository's own folder.
    r = _run("-c", "import importlib.util, pix2pix_tf.export as e; "
             "print(importlib.util.find_spec('export'), e.__name__)", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.split() == ["None", "pix2pix_tf.export"], r.stderr


def test_the_wheel_holds_export_inside_the_package(tmp_path):
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "pyproject.toml", "README.md",
                            "pix2pix_tf", "export"], check=True, capture_output=True,
                           text=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():  # a staged deletion is listed but gone
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes((ROOT / name).read_bytes())
    r = _run("-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
             "-w", str(tmp_path / "dist"), str(src), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("pix2pix_tf-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pix2pix_tf/export/__init__.py" in names
    assert "pix2pix_tf/export/web/index.html" in names and "pix2pix_tf/export/web/app.js" in names
    assert not [n for n in names if n.startswith("export/")]
