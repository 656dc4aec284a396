"""The hardening issue's traps, each a test that fails without its fix."""

import json
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import random_image, tiny_config, write_image

from pix2pix_tf import DataError, Pix2Pix, Pix2PixConfig, build_generator, train
from pix2pix_tf.checkpoint import latest_checkpoint, save_training_state
from pix2pix_tf.data import builtin, configure_for_data, make_dataset, resolve_data
from pix2pix_tf.losses import discriminator_loss, generator_gan_loss, l1_loss
from pix2pix_tf.translate import translate_files
from pix2pix_tf.translator import Translator, load_generator


def _x(n=2, size=32, c=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, c)).astype("float32")


# --- precision -----------------------------------------------------------------------
@pytest.fixture
def global_policy():
    yield keras.config.set_dtype_policy
    keras.config.set_dtype_policy("float32")


def test_global_policy_is_honoured_unless_the_config_says_otherwise(global_policy):
    global_policy("mixed_bfloat16")
    model = Pix2Pix(tiny_config())
    assert model.generator.get_layer("down2_conv").compute_dtype == "bfloat16"
    assert model.discriminator.get_layer("block2_conv").compute_dtype == "bfloat16"
    assert model.generator.get_layer("output").compute_dtype == "float32"
    explicit = Pix2Pix(tiny_config(precision="float32"))
    assert explicit.generator.get_layer("down2_conv").compute_dtype == "float32"


def test_float16_policy_from_anywhere_gets_loss_scaling(global_policy):
    global_policy("mixed_float16")
    model = Pix2Pix(tiny_config())
    model.compile()
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    global_policy("float32")
    plain = Pix2Pix(tiny_config())
    plain.compile()
    assert not isinstance(plain.g_optimizer, keras.optimizers.LossScaleOptimizer)


def test_train_records_the_precision_it_ran(tmp_path, global_policy):
    global_policy("mixed_bfloat16")
    train(tiny_config(steps_per_epoch=1, sample_every=0), tmp_path / "run", verbose=0)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["precision"] == \
        "mixed_bfloat16"


# --- data defaults -------------------------------------------------------------------
def test_dataset_defaults_apply_wherever_data_is_resolved():
    assert configure_for_data(Pix2PixConfig(), "facades").direction == "BtoA"
    assert configure_for_data(Pix2PixConfig(), "maps").direction == "AtoB"
    colour = configure_for_data(Pix2PixConfig(), "colorize:/nowhere")
    assert colour.input_channels == 1 and colour.direction == "AtoB"
    # An explicit value wins, with a warning naming both.
    with pytest.warns(UserWarning, match="usual direction is BtoA.*says AtoB"):
        assert configure_for_data(Pix2PixConfig(direction="AtoB"), "facades").direction == "AtoB"
    # Unset options stay unset through replace() until the data decides.
    assert not Pix2PixConfig().replace(epochs=3).is_set("direction")


def test_make_dataset_applies_the_sources_defaults(tmp_path):
    for i in range(2):
        write_image(tmp_path / "p" / f"{i}.png", random_image(32, 32, seed=i))
    config = tiny_config()
    source = resolve_data(f"colorize:{tmp_path / 'p'}", config)
    x, y = next(iter(make_dataset(source, config, training=False)))
    assert x.shape[-1] == 1 and y.shape[-1] == 3


def test_python_train_on_a_colorize_task_builds_a_one_channel_generator(tmp_path):
    for i in range(2):
        write_image(tmp_path / "p" / f"{i}.png", random_image(32, 32, seed=i))
    model = train(tiny_config(steps_per_epoch=1, sample_every=0), tmp_path / "run",
                  data=f"colorize:{tmp_path / 'p'}", verbose=0)
    assert model.generator.input_shape[-1] == 1


# --- no silent fallback --------------------------------------------------------------
def test_run_records_its_data_as_an_absolute_path_and_resume_uses_it(tmp_path, ab_dir,
                                                                     monkeypatch):
    monkeypatch.chdir(ab_dir.parent)
    c = tiny_config(steps_per_epoch=1, sample_every=0)
    train(c, tmp_path / "run", data=ab_dir.name, verbose=0)
    recorded = json.loads((tmp_path / "run" / "run.json").read_text())["data"]
    assert recorded == str(ab_dir.resolve())
    monkeypatch.chdir(tmp_path)  # resume from elsewhere still finds it
    train(c.replace(epochs=2), tmp_path / "run", resume=True, verbose=0)
    assert latest_checkpoint(tmp_path / "run" / "checkpoints")[1] == 2


def test_resume_without_recoverable_data_is_an_error_not_the_builtin_set(tmp_path):
    c = tiny_config(steps_per_epoch=1, sample_every=0)
    source = builtin(c)
    source.spec = None  # as a PairSource assembled in Python
    train(c, tmp_path / "run", data=source, verbose=0)
    with pytest.raises(DataError, match="pass the same data again"):
        train(c.replace(epochs=2), tmp_path / "run", resume=True, verbose=0)


def test_export_from_a_bare_keras_file_needs_representative_data(tmp_path):
    from pix2pix_tf.export.common import sample_inputs

    build_generator(tiny_config()).save(tmp_path / "g.keras")
    with pytest.raises(DataError, match="--representative-data"):
        sample_inputs(tiny_config(), None, 2, tmp_path / "g.keras")
    x, where = sample_inputs(tiny_config(), "builtin", 2, tmp_path / "g.keras")
    assert x.shape == (2, 32, 32, 3) and "built-in" in where


def test_resume_with_nothing_to_resume_says_so(tmp_path, capsys):
    train(tiny_config(steps_per_epoch=1, sample_every=0), tmp_path / "run", resume=True,
          verbose=0)
    assert "no checkpoint to resume from; starting a new run" in capsys.readouterr().out


def test_url_run_directory_is_refused_not_written_locally(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="only local folders"):
        train(tiny_config(), "gs://bucket/run", verbose=0)
    assert not (tmp_path / "gs:").exists()


# --- translate -----------------------------------------------------------------------
@pytest.fixture
def generator_and_config():
    c = tiny_config()
    return build_generator(c), c


def _t(g, c, **kwargs):
    return Translator(g, c, **kwargs)


def _read(path):
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_translate_matches_the_evaluation_pipeline(tmp_path, generator_and_config):
    g, c = generator_and_config
    img = random_image(48, 40, seed=3)
    write_image(tmp_path / "in" / "a.png", img)
    out = translate_files(_t(g, c), [tmp_path / "in" / "a.png"], tmp_path / "out")
    # The same input the pipeline gives evaluation (TF decode, antialiased bilinear).
    from pix2pix_tf.translator import resize, to_unit_range

    x = to_unit_range(resize(img[None], c.image_size))
    y = np.asarray(tf.image.resize(g(x, training=False), (48, 40), antialias=True))[0]
    expected = np.clip(np.floor((y + 1) * 127.5 + 0.5), 0, 255)
    assert np.abs(_read(out[0]).astype(float) - expected).max() <= 1.0


def test_translate_splits_ab_images_by_the_direction(tmp_path, generator_and_config):
    g, c = generator_and_config
    left, right = random_image(32, 32, seed=1), random_image(32, 32, seed=2)
    write_image(tmp_path / "in" / "pair.png", np.concatenate([left, right], axis=1))
    write_image(tmp_path / "single" / "left.png", left)
    write_image(tmp_path / "single" / "right.png", right)
    singles = translate_files(_t(g, c), [tmp_path / "single"], tmp_path / "s")
    (ab,) = translate_files(_t(g, c), [tmp_path / "in"], tmp_path / "atob")
    np.testing.assert_array_equal(_read(ab), _read(singles[0]))
    (ba,) = translate_files(_t(g, c.replace(direction="BtoA")), [tmp_path / "in"],
                            tmp_path / "btoa")
    np.testing.assert_array_equal(_read(ba), _read(singles[1]))
    (whole,) = translate_files(_t(g, c), [tmp_path / "in"], tmp_path / "whole",
                               layout="single")
    assert _read(whole).shape == (32, 64, 3)


def test_translate_never_overwrites_one_output_with_another(tmp_path, generator_and_config):
    g, c = generator_and_config
    write_image(tmp_path / "x" / "a.png", random_image(32, 32, seed=1))
    write_image(tmp_path / "x" / "a.jpg", random_image(32, 32, seed=2))
    write_image(tmp_path / "y" / "a.png", random_image(32, 32, seed=3))
    out = translate_files(_t(g, c), [tmp_path / "x", tmp_path / "y"], tmp_path / "out")
    assert [p.name for p in out] == ["a.png", "a-2.png", "a-3.png"]
    assert len({_read(p).tobytes() for p in out}) == 3


def test_translate_batches_through_one_compiled_function(tmp_path, generator_and_config):
    g, c = generator_and_config
    translator = _t(g, c)
    translator(tf.constant(_x(3)))
    translator(tf.constant(_x(5)))
    assert len(translator._run._list_all_concrete_functions_for_serialization()) == 1


# --- checkpoints ---------------------------------------------------------------------
def _compiled(**overrides):
    m = Pix2Pix(tiny_config(**overrides))
    m.compile()
    return m


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    from pix2pix_tf.checkpoint import restore_training_state

    path = save_training_state(_compiled(), tmp_path, 1)
    for other in (dict(generator_filters=8), dict(image_size=64), dict(norm="instance")):
        with pytest.raises(DataError, match="another"):
            restore_training_state(_compiled(**other), path)


def test_float16_checkpoint_round_trip(tmp_path):
    from pix2pix_tf.checkpoint import restore_training_state

    a = _compiled(precision="mixed_float16")
    a.fit(tf.data.Dataset.from_tensor_slices((_x(1), _x(1))).batch(1), verbose=0)
    path = save_training_state(a, tmp_path, 1)
    b = _compiled(precision="mixed_float16")
    restore_training_state(b, path)
    for va, vb in zip(a.g_optimizer.variables, b.g_optimizer.variables):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())
    with pytest.raises(DataError, match="another architecture or precision"):
        restore_training_state(_compiled(), path)


def test_checkpoint_restores_by_name_not_position(tmp_path):
    from pix2pix_tf.checkpoint import _read, restore_training_state

    a = _compiled()
    path = save_training_state(a, tmp_path, 1)
    # Rewrite the file with its entries in reverse order: a positional restore breaks.
    values = _read(path)
    keys = list(values)[::-1]
    arrays = {f"v{i:05d}": values[k] for i, k in enumerate(keys)}
    np.savez(path, paths=np.array(keys), **arrays)
    b = _compiled()
    restore_training_state(b, path)
    np.testing.assert_array_equal(b.generator(_x()), a.generator(_x()))


def test_damaged_latest_checkpoint_falls_back_to_the_previous(tmp_path, capsys):
    c = tiny_config(steps_per_epoch=1, sample_every=0, epochs=2, save_every=1)
    train(c, tmp_path / "run", verbose=0)
    ckpts = tmp_path / "run" / "checkpoints"
    (ckpts / "ckpt-000002.npz").write_bytes(b"garbage")
    train(c.replace(epochs=3), tmp_path / "run", resume=True, verbose=0)
    out = capsys.readouterr().out
    assert "ckpt-000002.npz: damaged" in out and "Resumed from" in out
    assert latest_checkpoint(ckpts)[1] == 3


def test_damaged_run_files_are_one_line_naming_the_file(tmp_path):
    from pix2pix_tf import layout

    (tmp_path / "run.json").write_text("{oops")
    with pytest.raises(DataError, match="run.json: damaged run record"):
        layout.recorded_data(tmp_path)
    (tmp_path / "g.keras").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="g.keras: not a readable Keras model"):
        load_generator(tmp_path / "g.keras")
    d = Pix2Pix(tiny_config()).discriminator
    d.save(tmp_path / "d.keras")
    with pytest.raises(DataError, match="not a pix2pix_tf generator"):
        load_generator(tmp_path / "d.keras")


# --- model files ---------------------------------------------------------------------
def test_generator_file_loads_with_an_added_and_a_removed_option(tmp_path):
    c = tiny_config(epochs=7, seed=3, skip_bad_files=True)
    g = build_generator(c)
    g.save(tmp_path / "g.keras")
    with zipfile.ZipFile(tmp_path / "g.keras") as z:
        files = {n: z.read(n) for n in z.namelist()}
    saved = json.loads(files["config.json"])
    stored = saved["config"]["config"]
    assert "epochs" not in stored and "seed" not in stored  # only the architecture
    stored["an_option_from_the_future"] = 1
    del stored["dropout_rate"]  # an option this version may drop (its default applies)
    files["config.json"] = json.dumps(saved).encode()
    with zipfile.ZipFile(tmp_path / "edited.keras", "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    with pytest.warns(UserWarning, match="an_option_from_the_future"):
        loaded = keras.models.load_model(tmp_path / "edited.keras")
    np.testing.assert_array_equal(loaded(_x(), training=False), g(_x(), training=False))


def test_import_pix2pix_tf_alone_registers_the_classes(tmp_path):
    build_generator(tiny_config()).save(tmp_path / "g.keras")
    code = ("import keras, pix2pix_tf; "
            f"m = keras.models.load_model(r'{tmp_path / 'g.keras'}'); print(type(m).__name__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "Generator", r.stderr[-2000:]


def test_keras_learning_rate_callbacks_drive_both_optimisers(tmp_path):
    c = tiny_config()
    model = _compiled()
    seen = []
    ds = tf.data.Dataset.from_tensor_slices((_x(2), _x(2, seed=1))).batch(1)
    h = model.fit(ds, epochs=3, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(lambda e, lr: 1e-3 / (e + 1)),
        keras.callbacks.LambdaCallback(on_epoch_end=lambda e, l: seen.append(
            (float(model.g_optimizer.learning_rate), float(model.d_optimizer.learning_rate)))),
        keras.callbacks.ReduceLROnPlateau(monitor="g_total", mode="min", patience=100),
        keras.callbacks.TensorBoard(str(tmp_path / "tb"))]).history
    np.testing.assert_allclose(seen, [(1e-3, 1e-3), (5e-4, 5e-4), (1e-3 / 3, 1e-3 / 3)],
                               rtol=1e-6)
    assert "learning_rate_g_adam" in h and "learning_rate_d_adam" in h
    assert c.learning_rate == 2e-4


def test_linear_decay_inside_fit_and_across_resume(tmp_path):
    c = tiny_config(steps_per_epoch=1, sample_every=0, epochs=4, lr_schedule="linear_decay",
                    decay_epochs=2)

    class Record(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.lrs = []

        def on_epoch_begin(self, epoch, logs=None):
            self.lrs.append(float(self.model.optimizer.learning_rate))

    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt  # a kill after epoch 2's checkpoint

    straight, first, second = Record(), Record(), Record()
    train(c, tmp_path / "a", callbacks=[straight], verbose=0)
    with pytest.raises(KeyboardInterrupt):
        train(c, tmp_path / "b", callbacks=[first, StopAfterTwo()], verbose=0)
    first.lrs = first.lrs[:2]  # epoch 3 began (and was interrupted) before the kill
    train(c, tmp_path / "b", resume=True, callbacks=[second], verbose=0)
    expected = [2e-4, 2e-4, 2e-4 * 2 / 3, 2e-4 / 3]
    np.testing.assert_allclose(straight.lrs, expected, rtol=1e-6)
    np.testing.assert_allclose(first.lrs + second.lrs, expected, rtol=1e-6)


def test_saved_compiled_model_reloads_its_optimiser_state(tmp_path):
    model = _compiled(update="alternating")
    ds = tf.data.Dataset.from_tensor_slices((_x(2), _x(2, seed=1))).batch(1)
    model.fit(ds, epochs=1, verbose=0)
    model.save(tmp_path / "p.keras")
    loaded = keras.models.load_model(tmp_path / "p.keras")
    assert int(loaded.g_optimizer.iterations) == int(model.g_optimizer.iterations) == 2
    for a, b in zip(model.d_optimizer.variables, loaded.d_optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert loaded.config.update == "alternating"


def test_keras_still_calls_the_private_symbolic_build_hook():
    calls = []

    class Spy(Pix2Pix):
        def _maybe_symbolic_build(self, iterator=None, data_batch=None):
            calls.append(1)

    assert hasattr(keras.Model, "_maybe_symbolic_build"), "Keras renamed the hook"
    model = Spy(tiny_config())
    model.compile()
    model.fit(tf.data.Dataset.from_tensor_slices((_x(1), _x(1))).batch(1), verbose=0)
    assert calls, "Pix2Pix._maybe_symbolic_build is no longer called by fit"


# --- the paper's update order --------------------------------------------------------
@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_update_order(update):
    c = tiny_config(update=update, dropout=False)
    model = _compiled(update=update, dropout=False)
    x, y = tf.constant(_x(1)), tf.constant(_x(1, seed=1))
    g0 = build_generator(c)
    g0.set_weights(model.generator.get_weights())
    d0 = Pix2Pix(c).discriminator
    d0.set_weights(model.discriminator.get_weights())
    model.train_step((x, y))
    logged = float(model._train_trackers[1].result())  # g_gan
    fake = g0(x, training=True)
    # Alternating: G's loss is judged by the *updated* D; simultaneous: by D before.
    judge = model.discriminator if update == "alternating" else d0
    expected = float(generator_gan_loss(judge([x, fake], training=True)))
    other = float(generator_gan_loss((d0 if judge is model.discriminator else
                                      model.discriminator)([x, fake], training=True)))
    assert logged == pytest.approx(expected, rel=1e-5)
    assert abs(logged - other) > 1e-6
    # The logged total is the paper's objective, computed independently here.
    assert float(model._train_trackers[0].result()) == pytest.approx(
        expected + 100 * float(l1_loss(y, fake)), rel=1e-5)


# --- initialisation, BatchNorm, losses -----------------------------------------------
def test_initialisation_statistics_are_the_papers():
    g = build_generator(Pix2PixConfig(image_size=128))
    kernels = np.concatenate([l.kernel.numpy().ravel() for l in g.layers if hasattr(
        l, "kernel")])
    assert abs(kernels.mean()) < 1e-3 and kernels.std() == pytest.approx(0.02, rel=0.02)
    gammas = np.concatenate([l.gamma.numpy() for l in g.layers
                             if isinstance(l, keras.layers.BatchNormalization)])
    assert gammas.mean() == pytest.approx(1.0, abs=2e-3) and gammas.std() == pytest.approx(
        0.02, rel=0.1)
    bn = next(l for l in g.layers if isinstance(l, keras.layers.BatchNormalization))
    assert (bn.momentum, bn.epsilon) == (0.9, 1e-5)  # PyTorch's 0.1 and 1e-5


@pytest.mark.parametrize("mode,real,fake,g_expected,d_expected", [
    ("vanilla", 0.0, 0.0, np.log(2), (np.log(2), np.log(2))),
    ("vanilla", 2.0, -1.0, np.log1p(np.exp(1.0)), (np.log1p(np.exp(-2.0)), np.log1p(np.exp(-1.0)))),
    ("lsgan", 1.0, 0.5, 0.25, (0.0, 0.25)),
    ("hinge", 0.5, -2.0, 2.0, (0.5, 0.0)),
])
def test_gan_losses_on_known_logits(mode, real, fake, g_expected, d_expected):
    r, f = tf.fill([2, 3, 3, 1], real), tf.fill([2, 3, 3, 1], fake)
    assert float(generator_gan_loss(f, mode)) == pytest.approx(g_expected, rel=1e-5)
    d_real, d_fake = discriminator_loss(r, f, mode)
    assert (float(d_real), float(d_fake)) == pytest.approx(d_expected, rel=1e-5, abs=1e-7)


# --- start-up scan -------------------------------------------------------------------
def test_folder_scan_decodes_each_unchanged_file_only_once(tmp_path, monkeypatch):
    from pix2pix_tf.data import sources

    for i in range(3):
        write_image(tmp_path / "ab" / f"{i}.png", random_image(32, 64, seed=i))
    calls = []
    real = sources._inspect
    monkeypatch.setattr(sources, "_inspect", lambda p: calls.append(p.name) or real(p))
    c = tiny_config()
    assert len(resolve_data(tmp_path / "ab", c)) == 3 and len(calls) == 3
    assert len(resolve_data(tmp_path / "ab", c)) == 3 and len(calls) == 3  # cached
    (tmp_path / "ab" / "1.png").write_bytes(b"now broken")
    with pytest.raises(DataError, match="1.png"):
        resolve_data(tmp_path / "ab", c)
    assert calls[3:] == ["1.png"]


def test_each_worker_pipeline_reads_only_its_share_of_every_global_batch():
    c = tiny_config(batch_size=4, seed=2)
    source = builtin(c)
    whole = [b.numpy() for b, _ in make_dataset(source, c, start_step=1).take(2)]
    parts = []
    for p in range(2):
        ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=p,
                                         num_replicas_in_sync=2)
        parts.append([b.numpy() for b, _ in make_dataset(source, c, start_step=1,
                                                          input_context=ctx).take(2)])
    for g in range(2):
        assert parts[0][g].shape[0] == parts[1][g].shape[0] == 2
        np.testing.assert_array_equal(np.concatenate([parts[0][g], parts[1][g]]), whole[g])


def test_nan_guard_reads_the_losses_only_every_n_steps():
    from pix2pix_tf.callbacks import StopOnNaN

    reads = []

    class Loss:
        def __init__(self, value):
            self.value = value

        def __float__(self):  # what forces a device-to-host copy of a real tensor
            reads.append(self.value)
            return self.value

    guard = StopOnNaN(every=3)
    guard.set_model(Pix2Pix(tiny_config()))
    guard.on_epoch_begin(0)
    for step in range(7):
        guard.on_train_batch_end(step, {"g_total": Loss(1.0), "d_total": Loss(1.0)})
    assert len(reads) == 4 and guard.diverged is None  # steps 3 and 6, two losses each
    guard.on_train_batch_end(8, {"g_total": Loss(float("nan")), "d_total": Loss(1.0)})
    assert guard.diverged is not None and guard.model.stop_training


# --- evaluate ------------------------------------------------------------------------
def test_evaluate_a_run_on_a_seeded_holdout_and_on_a_split(tmp_path, ab_dir, capsys):
    import csv

    import pix2pix_tf
    from pix2pix_tf.cli import main

    train(tiny_config(steps_per_epoch=2, sample_every=0), tmp_path / "run", data=ab_dir,
          verbose=0)
    a = pix2pix_tf.evaluate(tmp_path / "run", val_fraction=0.5, seed=3)
    b = pix2pix_tf.evaluate(tmp_path / "run", val_fraction=0.5, seed=3, out=tmp_path / "again")
    assert a["images"] == 3 and a["l1"] == b["l1"]  # the same held-out pairs
    rows = list(csv.DictReader(open(tmp_path / "run" / "eval_holdout" / "metrics.csv")))
    assert len(rows) == 3 and np.mean([float(r["l1"]) for r in rows]) == pytest.approx(a["l1"])
    assert (tmp_path / "run" / "eval_holdout" / "best_worst.png").exists()
    summary = json.loads((tmp_path / "run" / "eval_holdout" / "summary.json").read_text())
    assert summary["inference_mode"] == "image_stats" and "held out" in summary["data"]
    # A folder without split subfolders: all of it by default; val/test are one clear
    # line that names the ways out; train is all of it, with a note.
    assert main(["evaluate", "--model", str(tmp_path / "run")]) == 0
    assert "Evaluated 6 image(s)" in capsys.readouterr().out
    assert (tmp_path / "run" / "eval_all" / "metrics.csv").exists()
    assert main(["evaluate", "--model", str(tmp_path / "run"), "--data", str(ab_dir),
                 "--split", "val"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--split val" in err[0] and "--val-fraction" in err[0]
    assert main(["evaluate", "--model", str(tmp_path / "run"), "--split", "train"]) == 0
    out = capsys.readouterr().out
    assert "Evaluated 6 image(s)" in out and "no train/val/test subfolders" in out
    # Named splits where the data has them: val by default when there is no test.
    split_dir = tmp_path / "splits"
    split_dir.mkdir()
    ab_dir.rename(split_dir / "train")
    for i in range(2):
        write_image(split_dir / "val" / f"v{i}.jpg", random_image(40, 80, seed=20 + i))
    assert main(["evaluate", "--model", str(tmp_path / "run"), "--data", str(split_dir)]) == 0
    assert "Evaluated 2 image(s)" in capsys.readouterr().out
    assert (tmp_path / "run" / "eval_val" / "metrics.csv").exists()
    assert main(["evaluate", "--model", str(tmp_path / "run"), "--data", str(split_dir),
                 "--split", "train"]) == 0
    assert "Evaluated 6 image(s)" in capsys.readouterr().out



def test_val_fraction_in_training_holds_out_what_evaluate_scores(tmp_path, ab_dir):
    import pix2pix_tf

    c = tiny_config(steps_per_epoch=2, sample_every=0, val_fraction=0.5)
    model = train(c, tmp_path / "run", data=ab_dir, verbose=0)
    held = resolve_data(ab_dir, c).split(3, seed=0)[1]
    assert json.loads((tmp_path / "run" / "run.json").read_text())["data"] == str(
        ab_dir.resolve())
    logged = model.evaluate(make_dataset(held, c, training=False), return_dict=True,
                            verbose=0)["l1"]
    scored = pix2pix_tf.evaluate(tmp_path / "run", val_fraction=0.5)
    assert scored["images"] == 3 and scored["l1"] == pytest.approx(logged, rel=1e-5)


# --- one process per run directory ---------------------------------------------------
def test_a_run_directory_in_use_is_refused_and_a_stale_lock_taken_over(tmp_path, capsys):
    import socket

    from pix2pix_tf.cli import main

    run = tmp_path / "run"
    run.mkdir()
    other = subprocess.Popen(["sleep", "120"])  # a live process "training" in run/
    try:
        (run / ".lock").write_text(json.dumps({"pid": other.pid, "host": socket.gethostname()}))
        assert main(["train", "--out", str(run), "--image-size", "32", "--epochs", "1",
                     "--steps-per-epoch", "1", "--generator-filters", "4",
                     "--discriminator-filters", "4", "--verbose", "0"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(run) in err[0] and f"process {other.pid}" in err[0]
        assert json.loads((run / ".lock").read_text())["pid"] == other.pid  # left alone
    finally:
        other.kill()
        other.wait()
    # Its process is gone (as after a SIGKILL): the lock is stale and taken over.
    train(tiny_config(steps_per_epoch=1, sample_every=0), run, verbose=0)
    assert "no longer runs; taking it over" in capsys.readouterr().out
    assert latest_checkpoint(run / "checkpoints")[1] == 1
    assert not (run / ".lock").exists()


def test_the_lock_is_released_when_training_fails(tmp_path):
    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise KeyboardInterrupt

    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(steps_per_epoch=1, sample_every=0), run, callbacks=[Boom()], verbose=0)
    assert run.is_dir() and not (run / ".lock").exists()
    # A refused option leaves no lock and no empty folder behind.
    with pytest.raises(DataError):
        train(tiny_config(), tmp_path / "new", data=tmp_path / "missing", verbose=0)
    assert not (tmp_path / "new").exists()


# --- a full disk ---------------------------------------------------------------------
@pytest.mark.parametrize("what,code", [("checkpoint", "ENOSPC"), ("generator", "EDQUOT")])
def test_a_full_disk_is_one_line_and_the_previous_checkpoint_restores(tmp_path, capsys,
                                                                      monkeypatch, what, code):
    import errno

    from pix2pix_tf.cli import main

    run = tmp_path / "run"
    args = ["train", "--out", str(run), "--image-size", "32", "--generator-filters", "4",
            "--discriminator-filters", "4", "--steps-per-epoch", "1", "--sample-every", "0",
            "--save-every", "1", "--verbose", "0"]
    full = OSError(getattr(errno, code), "No space left on device")
    if what == "checkpoint":
        real = np.savez

        def savez(f, **arrays):
            if int(arrays["epoch"]) == 2:
                f.write(b"half a checkpoint")
                raise full
            real(f, **arrays)

        monkeypatch.setattr(np, "savez", savez)
    else:
        real = keras.Model.save
        calls = []

        def save(self, path, *a, **kw):
            calls.append(path)
            if len(calls) == 2:
                open(path, "wb").write(b"half a model")
                raise full
            real(self, path, *a, **kw)

        monkeypatch.setattr(keras.Model, "save", save)
    assert main([*args, "--epochs", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    name = "ckpt-000002.npz" if what == "checkpoint" else "generator.keras"
    assert len(err) == 1 and "the disk is full" in err[0] and name in err[0], err
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]
    assert not (run / ".lock").exists()
    monkeypatch.undo()
    assert latest_checkpoint(run / "checkpoints")[1] == (1 if what == "checkpoint" else 2)
    load_generator(run)  # the previous generator.keras is intact
    assert main([*args, "--epochs", "3", "--resume"]) == 0
    assert latest_checkpoint(run / "checkpoints")[1] == 3


def test_atomic_writes_leave_the_old_file_or_the_new_one(tmp_path):
    import errno

    from pix2pix_tf import atomic

    target = tmp_path / "f.json"
    atomic.write_text(target, "old")
    with pytest.raises(RuntimeError):  # any error: the old file stays, no temporary
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]
    # A full disk inside a library that wraps the OSError is still recognised.
    with pytest.raises(DataError, match=r"f.json: the disk is full"):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half")
            try:
                raise OSError(errno.ENOSPC, "No space left on device")
            except OSError as e:
                raise ValueError("could not write") from e
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]
