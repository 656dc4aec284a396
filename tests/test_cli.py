import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import random_image, write_image
from PIL import Image

from pix2pix_tf.cli import build_parser, main
from pix2pix_tf.config import Pix2PixConfig, cli_fields

TINY = ["--image-size", "32", "--generator-filters", "4", "--discriminator-filters", "4",
        "--steps-per-epoch", "2", "--seed", "0", "--verbose", "0"]


def _cli(*args, cwd=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "pix2pix_tf", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)


def test_every_config_field_is_a_flag_with_the_configs_default():
    parser = build_parser()
    args = parser.parse_args(["train", "--out", "x"])
    for f in cli_fields():
        assert getattr(args, f.name) is None  # unset -> the config's own default applies
    assert len(cli_fields()) == len(Pix2PixConfig.__dataclass_fields__)


def test_the_first_command_trains_the_default_decoder_and_paper_is_one_flag_away():
    from pix2pix_tf.cli import _config_from_args

    parser = build_parser()
    assert _config_from_args(parser.parse_args(["train", "--out", "x"])).upsample == "resize"
    paper = _config_from_args(parser.parse_args(["train", "--out", "x", "--preset", "paper"]))
    assert paper.upsample == "transpose"


def test_help_shows_examples():
    r = _cli("train", "--help")
    assert r.returncode == 0 and "examples:" in r.stdout and "--image-size" in r.stdout


def test_train_then_translate_end_to_end(tmp_path):
    run = tmp_path / "run"
    r = _cli("train", "--out", str(run), "--epochs", "2", *TINY)
    assert r.returncode == 0, r.stderr
    assert json.loads((run / "config.json").read_text())["image_size"] == [32, 32]
    assert (run / "generator.keras").exists() and (run / "samples" / "epoch_0002.png").exists()
    write_image(tmp_path / "in" / "a.png", random_image(50, 70))
    write_image(tmp_path / "in" / "b.jpg", random_image(32, 32))
    r = _cli("translate", "--model", str(run), str(tmp_path / "in"), "--out",
             str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "out" / "a.png") as im:
        assert im.size == (70, 50)  # back to the input's own size
    assert (tmp_path / "out" / "b.png").exists()


def test_bad_input_exits_non_zero_with_one_line_naming_the_file(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "broken.jpg").write_bytes(b"not a jpeg")
    r = _cli("train", "--data", str(tmp_path / "d"), "--out", str(tmp_path / "run"), *TINY)
    assert r.returncode == 2
    assert "broken.jpg" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("error: ")


def test_resume_continues_and_extends(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert main(["train", "--out", run, "--epochs", "1", *TINY]) == 0
    assert main(["train", "--out", run, "--epochs", "2", "--resume", "--verbose", "0"]) == 0
    assert "Resuming" in capsys.readouterr().out
    assert json.loads((tmp_path / "run" / "checkpoints" / "latest.json").read_text())["epoch"] == 2
    # without --resume the existing run is refused, not overwritten
    assert main(["train", "--out", run, "--epochs", "1", *TINY]) == 2
    assert "--resume" in capsys.readouterr().err


@pytest.mark.parametrize("args,needle", [
    (["--image-size", "100"], "image_size"),
    (["--data", "no-such-dataset"], "no-such-dataset"),
    (["--discriminator-layers", "7"], "discriminator_layers"),
])
def test_bad_options_name_the_option(tmp_path, capsys, args, needle):
    code = main(["train", "--out", str(tmp_path / "r"), *TINY, *args])
    assert code == 2 and needle in capsys.readouterr().err


def test_translate_bad_model_file(tmp_path, capsys):
    bad = tmp_path / "g.keras"
    bad.write_bytes(b"nope")
    assert main(["translate", "--model", str(bad), str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "g.keras" in capsys.readouterr().err
    assert main(["translate", "--model", str(tmp_path / "missing"), str(tmp_path),
                 "--out", str(tmp_path)]) == 2


def test_grayscale_to_colour_from_paired_folders(tmp_path, capsys):
    for i in range(2):
        write_image(tmp_path / "d" / "A" / f"{i}.png", random_image(32, 32, 1, seed=i))
        write_image(tmp_path / "d" / "B" / f"{i}.png", random_image(32, 32, 3, seed=i))
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "d"), "--out", str(run), "--epochs", "1",
                 "--input-channels", "1", *TINY]) == 0
    # --resume without --data continues on the run's own data, not the built-in set
    assert main(["train", "--out", str(run), "--resume", "--epochs", "2", "--verbose", "0"]) == 0
    assert "paired folders" in capsys.readouterr().out
    from pix2pix_tf import load_generator

    g, c = load_generator(run)
    assert g.input_shape[-1] == 1 and c.input_channels == 1
    assert np.asarray(g(np.zeros((1, 32, 32, 1), np.float32))).shape == (1, 32, 32, 3)


def test_colorize_task_sets_channels_unless_given(tmp_path, capsys):
    for i in range(2):
        write_image(tmp_path / "photos" / f"{i}.png", random_image(32, 32, seed=i))
    run = tmp_path / "run"
    assert main(["train", "--data", f"colorize:{tmp_path / 'photos'}", "--out", str(run),
                 "--epochs", "1", *TINY]) == 0
    assert "input_channels=1" in capsys.readouterr().out
    assert json.loads((run / "config.json").read_text())["input_channels"] == 1


def test_sigkill_mid_run_then_resume(tmp_path):
    import signal
    import time

    run = tmp_path / "run"
    args = ["train", "--out", str(run), "--epochs", "3", *TINY, "--steps-per-epoch", "150",
            "--sample-every", "0", "--save-every", "1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "pix2pix_tf", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latest = run / "checkpoints" / "latest.json"
    deadline = time.time() + 300
    while not latest.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # somewhere in epoch 2 (or writing its checkpoint)
    proc.wait()
    done = json.loads(latest.read_text())["epoch"]
    assert 1 <= done <= 3
    r = _cli(*args, "--resume")
    assert r.returncode == 0, r.stderr
    assert json.loads(latest.read_text())["epoch"] == 3
    assert not list((run / "checkpoints").glob("*.tmp"))


def test_unexpected_errors_keep_their_traceback(tmp_path, monkeypatch):
    import pix2pix_tf.training

    def io_error(*args, **kwargs):  # (a full disk is one line: test_hardening)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(pix2pix_tf.training, "train", io_error)
    with pytest.raises(OSError, match="Input/output"):
        main(["train", "--out", str(tmp_path / "run"), *TINY])


def test_url_out_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--out", "gs://bucket/run", *TINY]) == 2
    assert "only local folders" in capsys.readouterr().err
    assert not (tmp_path / "gs:").exists()


def test_decompression_bomb_in_train_data_is_one_line_or_skipped(tmp_path, ab_dir, capsys):
    from conftest import write_bomb_png

    write_bomb_png(ab_dir / "huge.png")
    args = ["train", "--data", str(ab_dir), *TINY, "--epochs", "1"]
    assert main([*args, "--out", str(tmp_path / "r1")]) == 2
    err = capsys.readouterr().err
    assert "huge.png: image too large" in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert main([*args, "--out", str(tmp_path / "r2"), "--skip-bad-files"]) == 0
    out = capsys.readouterr().out
    assert "Skipped 1" in out and "huge.png" in out


def test_decompression_bomb_in_translate_is_one_line(tmp_path):
    from conftest import tiny_config, write_bomb_png

    from pix2pix_tf.errors import DataError
    from pix2pix_tf.generator import build_generator
    from pix2pix_tf.translate import translate_files
    from pix2pix_tf.translator import Translator

    c = tiny_config()
    write_bomb_png(tmp_path / "in" / "huge.png")
    with pytest.raises(DataError, match="huge.png: image too large"):
        translate_files(Translator(build_generator(c), c), [tmp_path / "in"], tmp_path / "out")


def test_sigterm_saves_the_last_completed_epoch_and_resume_continues(tmp_path):
    import signal
    import time

    run = tmp_path / "run"
    args = ["train", "--out", str(run), *TINY]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "pix2pix_tf", *args, "--epochs", "1000",
                             "--sample-every", "1"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    second = run / "samples" / "epoch_0002.png"  # written after epoch 2's state was kept
    deadline = time.time() + 300
    while not second.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)  # as a scheduler preempting the job
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Continue with --resume" in err, err[-2000:]
    done = json.loads((run / "checkpoints" / "latest.json").read_text())["epoch"]
    assert done >= 2 and not (run / ".lock").exists()
    r = _cli(*args, "--epochs", str(done + 1), "--resume")
    assert r.returncode == 0, r.stderr
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["epoch"] == done + 1


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_works_before_or_after_the_subcommand(tmp_path, capsys, where):
    missing = str(tmp_path / "missing.keras")
    args = ["translate", "--model", missing, str(tmp_path), "--out", str(tmp_path / "o")]
    argv = ["--debug", *args] if where == "before" else [*args, "--debug"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "missing.keras" in err.splitlines()[-1]
    assert main(args) == 2
    assert "Traceback" not in capsys.readouterr().err
    export_args = ["export", "--model", missing, "--out", str(tmp_path / "e")]
    assert main(["--debug", *export_args]) == 2
    assert "Traceback" in capsys.readouterr().err
