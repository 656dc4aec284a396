import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import tiny_config

from pix2pix_tf import Pix2Pix, TrainingDiverged, train
from pix2pix_tf.callbacks import LinearDecay
from pix2pix_tf.checkpoint import latest_checkpoint
from pix2pix_tf.data import builtin, make_dataset
from pix2pix_tf.model import TEST_METRICS, TRAIN_METRICS


def _batches(config, n=4):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, config.height, config.width, config.input_channels))
    y = rng.uniform(-1, 1, (n, config.height, config.width, config.output_channels))
    return tf.data.Dataset.from_tensor_slices((x.astype("float32"), y.astype("float32"))).batch(2)


@pytest.mark.parametrize("overrides", [
    dict(norm="batch", gan_mode="vanilla"), dict(norm="instance", gan_mode="lsgan"),
    dict(norm="none", gan_mode="hinge"), dict(generator="resnet", resnet_blocks=2),
    dict(discriminator_layers=0), dict(conditional=False),
    dict(input_channels=1, image_size=(32, 64)), dict(precision="mixed_bfloat16"),
    dict(precision="mixed_float16"),
])
def test_every_variant_trains_a_step(overrides):
    c = tiny_config(**overrides)
    model = Pix2Pix(c)
    model.compile()
    before = [w.numpy().copy() for w in model.generator.trainable_weights]
    # float16's dynamic loss scale starts at 2**15 and skips the steps whose gradients
    # overflow while it halves: give it steps to settle.
    n = 16 if c.precision == "mixed_float16" else 4
    history = model.fit(_batches(c, n), epochs=1, verbose=0)
    assert set(TRAIN_METRICS) <= set(history.history)
    assert all(np.isfinite(history.history[k][0]) for k in TRAIN_METRICS)
    after = model.generator.trainable_weights
    assert any(not np.array_equal(b, a.numpy()) for b, a in zip(before, after))


def test_evaluate_reports_image_metrics():
    c = tiny_config()
    model = Pix2Pix(c)
    model.compile()
    h = model.fit(_batches(c), epochs=1, verbose=0, validation_data=_batches(c)).history
    results = model.evaluate(_batches(c), return_dict=True, verbose=0)
    assert set(TEST_METRICS) <= set(results)
    assert all("val_" + k in h for k in TEST_METRICS)


def test_compile_defaults_are_the_papers_adam():
    model = Pix2Pix(tiny_config())
    model.compile()
    for opt in (model.g_optimizer, model.d_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert float(opt.learning_rate) == pytest.approx(2e-4)
        assert opt.beta_1 == 0.5


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16"])
def test_model_learns_a_small_fixed_set(precision):
    c = tiny_config(generator_filters=8, discriminator_filters=8, seed=1, flip=False,
                    precision=precision)
    keras.utils.set_random_seed(1)
    source = builtin(c.replace(image_size=32), "train")
    # A mapping the input decides (the label maps' negatives): the built-in pictures leave
    # their look open on purpose, which no model learns to a low L1 in 150 steps.
    source.a, source.names = source.a[:8], source.names[:8]
    source.b = 255 - source.a
    model = Pix2Pix(c)
    model.compile()
    eval_ds = make_dataset(source, c, training=False, batch_size=8)
    l1_before = model.evaluate(eval_ds, return_dict=True, verbose=0)["l1"]
    model.fit(make_dataset(source, c, training=True), steps_per_epoch=150, epochs=1, verbose=0)
    l1_after = model.evaluate(eval_ds, return_dict=True, verbose=0)["l1"]
    assert l1_after < 0.6 * l1_before, (l1_before, l1_after)


def test_inference_modes():
    c = tiny_config(inference_mode="moving_stats")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    moving = Pix2Pix(c)
    np.testing.assert_array_equal(moving(x), moving.generator(x, training=False))
    # image_stats: the same weights; each image by its own statistics, batch-independent,
    # and at batch 1 what training mode computes (dropout off).
    image = Pix2Pix(c.replace(inference_mode="image_stats", dropout=False))
    image.generator.set_weights(moving.generator.get_weights())
    both = np.asarray(image(x))
    np.testing.assert_allclose(both[1:], np.asarray(image(x[1:])), atol=1e-6)
    np.testing.assert_allclose(both[:1], np.asarray(image.generator(x[:1], training=True)),
                               atol=1e-5)
    assert not np.allclose(both, np.asarray(moving(x)), atol=1e-3)
    # batch_stats: training mode at inference (dropout noise): two calls differ.
    paper = Pix2Pix(c.replace(inference_mode="batch_stats"), generator=moving.generator)
    assert not np.allclose(paper(x), paper(x))


def test_standard_keras_callbacks_work(tmp_path):
    c = tiny_config()
    model = Pix2Pix(c)
    model.compile()
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True),
        keras.callbacks.TensorBoard(str(tmp_path / "tb")),
        keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
        keras.callbacks.EarlyStopping(monitor="g_l1", mode="min", patience=5),
        keras.callbacks.CSVLogger(str(tmp_path / "log.csv")),
    ]
    model.fit(_batches(c), epochs=2, verbose=0, callbacks=callbacks)
    assert (tmp_path / "w.weights.h5").exists()
    assert "g_total" in (tmp_path / "log.csv").read_text()
    clone = Pix2Pix(c)
    clone.load_weights(tmp_path / "w.weights.h5")
    x = np.zeros((1, 32, 32, 3), np.float32)
    np.testing.assert_array_equal(clone(x), model(x))


def test_pix2pix_keras_file_round_trip(tmp_path):
    model = Pix2Pix(tiny_config())
    model.save(tmp_path / "p.keras")
    loaded = keras.models.load_model(tmp_path / "p.keras", compile=False)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(loaded(x), model(x))


def test_linear_decay_matches_the_reference_schedule():
    sched = LinearDecay(2e-4, epochs=200, decay_epochs=100)
    assert [sched.factor(e) for e in (0, 99)] == [1.0, 1.0]
    assert sched.factor(100) == pytest.approx(1 - 1 / 101)
    assert sched.factor(199) == pytest.approx(1 / 101)


def _weights(run_dir):
    path, _ = latest_checkpoint(run_dir / "checkpoints")
    with np.load(path) as data:
        return [data[k] for k in sorted(data.files) if k != "paths"]


def test_resume_gives_the_same_weights_as_uninterrupted(tmp_path):
    c = tiny_config(seed=7, steps_per_epoch=3, sample_every=0)
    train(c.replace(epochs=4), tmp_path / "straight", verbose=0)
    train(c.replace(epochs=2), tmp_path / "split", verbose=0)
    train(c.replace(epochs=4), tmp_path / "split", resume=True, verbose=0)
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert len(a) == len(b)
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


class _Crash(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations) == 5:
            raise KeyboardInterrupt  # as a kill in the middle of epoch 2


def test_kill_mid_epoch_then_resume(tmp_path):
    c = tiny_config(seed=3, steps_per_epoch=3, sample_every=0, epochs=3)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(c, run, callbacks=[_Crash()], verbose=0)
    assert latest_checkpoint(run / "checkpoints")[1] == 1
    assert not list((run / "checkpoints").glob("*.tmp"))
    train(c, run, resume=True, verbose=0)
    train(c, tmp_path / "straight", verbose=0)
    for wa, wb in zip(_weights(run), _weights(tmp_path / "straight")):
        np.testing.assert_array_equal(wa, wb)


def test_existing_run_is_not_overwritten_without_resume(tmp_path):
    c = tiny_config(steps_per_epoch=1, sample_every=0)
    train(c, tmp_path / "run", verbose=0)
    before = (tmp_path / "run" / "checkpoints" / "latest.json").read_text()
    with pytest.raises(ValueError, match="--resume"):
        train(c, tmp_path / "run", verbose=0)
    assert (tmp_path / "run" / "checkpoints" / "latest.json").read_text() == before


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    c = tiny_config(steps_per_epoch=2, sample_every=0, epochs=3)

    class Poison(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:  # corrupt the weights after a good first epoch
                for w in self.model.generator.trainable_weights:
                    w.assign(tf.fill(w.shape, float("nan")))

    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged, match="non-finite.*epoch 1"):
        train(c, run, callbacks=[Poison()], verbose=0)
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["epoch"] == 1
    assert all(np.isfinite(w).all() for w in _weights(run))


def test_run_directory_layout(tmp_path):
    c = tiny_config(steps_per_epoch=2, epochs=2)
    train(c, tmp_path / "run", verbose=0)
    run = tmp_path / "run"
    assert (run / "config.json").exists() and (run / "generator.keras").exists()
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "epoch_0001.png", "epoch_0002.png"]
    assert list((run / "logs" / "train").iterdir())
    assert list((run / "logs" / "samples").iterdir())


def _apply_fn(opt, variables):
    import tensorflow as tf

    @tf.function
    def step(grads):
        opt.apply(grads, variables)

    return step


def test_fused_adam_matches_keras_adam_and_uses_the_fused_kernel():
    """Also the guard of the private Keras API the fused update is built on
    (`_momentums`, `_velocities`, `_get_variable_index`): if Keras renames them this
    fails with AttributeError; if it reorders them, the weights or slots differ."""
    import keras
    import numpy as np
    import tensorflow as tf

    from pix2pix_tf.optimizers import Adam

    rng = np.random.default_rng(0)
    init = [rng.normal(size=s).astype("float32") for s in ((3, 4), (5,))]
    grads = [[tf.constant(rng.normal(size=w.shape).astype("float32")) for w in init]
             for _ in range(4)]
    results, slots = [], []
    for cls in (keras.optimizers.Adam, Adam):
        variables = [keras.Variable(w) for w in init]
        opt = cls(2e-4, beta_1=0.5, epsilon=1e-7)
        opt.build(variables)
        step = _apply_fn(opt, variables)
        for g in grads:
            step(g)
        results.append([v.numpy() for v in variables])
        # The fused kernel writes the slots Keras' own update (and checkpoints) use.
        slots.append([s.numpy() for s in opt.variables])
        for v in variables:
            assert opt._momentums[opt._get_variable_index(v)].shape == v.shape
        ops = {op.type for op in step.get_concrete_function(grads[0]).graph.get_operations()}
        assert ("ResourceApplyAdam" in ops) == (cls is Adam)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        assert not np.allclose(a, init[0] if a.shape == (3, 4) else init[1])
    assert len(slots[0]) == len(slots[1])
    for a, b in zip(*slots):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    config = keras.saving.serialize_keras_object(Adam(1e-3, name="g_adam"))
    assert keras.saving.deserialize_keras_object(config).learning_rate == 1e-3


# --- resume keeps the run's config ----------------------------------------------------
@pytest.mark.parametrize("change", [dict(direction="BtoA"), dict(lambda_l1=50.0), dict(seed=8),
                                    dict(image_size=(64, 64)), dict(precision="mixed_bfloat16")])
def test_resume_refuses_an_option_that_changes_what_is_trained(tmp_path, change):
    from pix2pix_tf.errors import ConfigError

    c = tiny_config(steps_per_epoch=1, sample_every=0)
    run = tmp_path / "run"
    train(c, run, verbose=0)
    files = {p: p.read_bytes() for p in (run / "config.json", run / "checkpoints" / "latest.json")}
    (name, value), = change.items()
    with pytest.raises(ConfigError, match=rf"config.json: `{name}` cannot change.*" +
                                          re.escape(f"Received: {name}={value!r}")):
        train(c.replace(epochs=2, **change), run, resume=True, verbose=0)
    assert all(p.read_bytes() == data for p, data in files.items())


def test_resume_in_python_keeps_the_recorded_seed_and_config(tmp_path):
    c = tiny_config(seed=None, steps_per_epoch=2, sample_every=0, lambda_l1=50.0)
    run = tmp_path / "run"
    train(c, run, verbose=0)
    saved = json.loads((run / "config.json").read_text())
    # seed=None and the data-implied direction are "not given": the run's values apply.
    train(c.replace(epochs=3, keep_checkpoints=3), run, resume=True, verbose=0)
    after = json.loads((run / "config.json").read_text())
    assert after == {**saved, "epochs": 3, "keep_checkpoints": 3}
    assert latest_checkpoint(run / "checkpoints")[1] == 3
    train(c.replace(seed=saved["seed"], epochs=3), tmp_path / "straight", verbose=0)
    for wa, wb in zip(_weights(run), _weights(tmp_path / "straight")):
        np.testing.assert_array_equal(wa, wb)


def test_resume_on_other_data_is_refused(tmp_path, ab_dir):
    from pix2pix_tf.errors import ConfigError

    c = tiny_config(steps_per_epoch=1, sample_every=0)
    train(c, tmp_path / "run", verbose=0)
    with pytest.raises(ConfigError, match=r"run.json: the run was trained on data='builtin'"):
        train(c.replace(epochs=2), tmp_path / "run", data=ab_dir, resume=True, verbose=0)


def test_cli_resume_refuses_a_changed_option_in_one_line(tmp_path, capsys):
    from pix2pix_tf.cli import main

    run = str(tmp_path / "run")
    tiny = ["--image-size", "32", "--generator-filters", "4", "--discriminator-filters", "4",
            "--steps-per-epoch", "1", "--sample-every", "0", "--verbose", "0"]
    assert main(["train", "--out", run, "--epochs", "1", *tiny]) == 0
    capsys.readouterr()
    assert main(["train", "--out", run, "--resume", "--epochs", "2", "--direction", "BtoA"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "`direction` cannot change" in err[0] and "AtoB" in err[0]
    # The same options again, and the ones that may change, are fine.
    assert main(["train", "--out", run, "--resume", "--epochs", "2", *tiny]) == 0


# --- when the full state is written ----------------------------------------------------
def _written_epochs(every, every_minutes, minutes_per_epoch, tmp_path, epochs=5):
    from pix2pix_tf.callbacks import TrainingCheckpoint

    now = [0.0]
    model = Pix2Pix(tiny_config())
    model.compile()
    tick = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: now.__setitem__(0, now[0] + 60 * minutes_per_epoch))
    saver = TrainingCheckpoint(tmp_path, every=every, keep=10, last_epoch=epochs,
                               every_minutes=every_minutes, clock=lambda: now[0])
    model.fit(_batches(model.config, n=2), epochs=epochs, verbose=0, callbacks=[tick, saver])
    return sorted(int(p.stem[5:]) for p in (tmp_path / "checkpoints").glob("ckpt-*.npz"))


def test_state_is_written_by_time_by_epochs_and_after_the_last(tmp_path):
    # 4 minutes an epoch, every 10 minutes: at 12 min (epoch 3), then the last.
    assert _written_epochs(None, 10, 4, tmp_path / "time") == [3, 5]
    assert _written_epochs(2, 0, 4, tmp_path / "epochs") == [2, 4, 5]
    assert _written_epochs(None, 0, 4, tmp_path / "last") == [5]


def test_default_writes_only_the_last_epoch_of_a_short_run(tmp_path):
    c = tiny_config(steps_per_epoch=1, sample_every=0, epochs=3)
    assert c.save_every is None and c.save_every_minutes == 10
    train(c, tmp_path / "run", verbose=0)
    assert [p.name for p in (tmp_path / "run" / "checkpoints").glob("ckpt-*")] == [
        "ckpt-000003.npz"]


def test_an_interrupt_writes_the_last_completed_epoch_and_resume_is_bit_exact(tmp_path,
                                                                               capsys):
    class StopInThird(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 2:  # a step after epoch 2's end was kept: the copy must hold
                raise KeyboardInterrupt

    c = tiny_config(seed=5, steps_per_epoch=2, sample_every=0, epochs=4)
    with pytest.raises(KeyboardInterrupt):
        train(c, tmp_path / "run", callbacks=[StopInThird()], verbose=0)
    assert "Saved the state after epoch 2" in capsys.readouterr().out
    assert latest_checkpoint(tmp_path / "run" / "checkpoints")[1] == 2
    train(c, tmp_path / "run", resume=True, verbose=0)
    train(c, tmp_path / "straight", verbose=0)
    for wa, wb in zip(_weights(tmp_path / "run"), _weights(tmp_path / "straight")):
        np.testing.assert_array_equal(wa, wb)


def test_a_sigterm_whose_interrupt_is_swallowed_still_stops_training(tmp_path):
    """Python runs a signal handler wherever the main thread is; code that swallows the
    KeyboardInterrupt it raises (a finaliser, a catch-all) must not keep training going."""
    import os
    import signal

    class SwallowingSigterm(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                try:
                    os.kill(os.getpid(), signal.SIGTERM)
                    for _ in range(1000):  # the handler runs between these bytecodes
                        pass
                except BaseException:  # noqa: BLE001 - what some library code does
                    pass

    c = tiny_config(steps_per_epoch=2, sample_every=0, epochs=6)
    with pytest.raises(KeyboardInterrupt):
        train(c, tmp_path / "run", callbacks=[SwallowingSigterm()], verbose=0)
    assert latest_checkpoint(tmp_path / "run" / "checkpoints")[1] == 2
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_save_every_minutes_is_checked():
    from pix2pix_tf.errors import ConfigError

    with pytest.raises(ConfigError, match="save_every_minutes"):
        tiny_config(save_every_minutes=-1)
    assert tiny_config(save_every=3, save_every_minutes=0).save_every == 3


def test_validation_runs_every_validate_every_epochs_and_after_the_last(tmp_path):
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append("val_l1" in logs))
    c = tiny_config(steps_per_epoch=1, sample_every=0, epochs=5, validate_every=2)
    train(c, tmp_path / "run", callbacks=[record], verbose=0)
    assert seen == [False, True, False, True, True]
    assert tiny_config().validate_every == 5


def test_keep_best_writes_the_generator_of_the_lowest_validation_l1(tmp_path):
    """`generator_best.keras` is the epoch whose val_l1 was lowest, and a resumed run
    competes with it rather than starting afresh."""
    seen = {}
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.__setitem__(e + 1, logs.get("val_l1")))
    c = tiny_config(steps_per_epoch=2, sample_every=0, epochs=3, validate_every=1)
    train(c, tmp_path / "run", callbacks=[record], verbose=0)
    best_epoch = min(seen, key=seen.get)
    info = json.loads((tmp_path / "run" / "best.json").read_text())
    assert info["epoch"] == best_epoch and info["val_l1"] == pytest.approx(seen[best_epoch])
    from pix2pix_tf.translator import load_generator

    x = next(iter(make_dataset(builtin(c, "val"), c, training=False)))[0]
    best, _ = load_generator(tmp_path / "run" / "generator_best.keras")
    latest, _ = load_generator(tmp_path / "run")
    assert (best_epoch == 3) == np.array_equal(best(x, training=False), latest(x, training=False))

    before = (tmp_path / "run" / "generator_best.keras").stat().st_mtime_ns
    (tmp_path / "run" / "best.json").write_text(json.dumps({"epoch": 3, "val_l1": -1.0}))
    train(c.replace(epochs=4), tmp_path / "run", resume=True, callbacks=[record], verbose=0)
    assert json.loads((tmp_path / "run" / "best.json").read_text())["epoch"] == 3
    assert (tmp_path / "run" / "generator_best.keras").stat().st_mtime_ns == before
