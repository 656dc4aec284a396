"""tf.distribute on this machine: MirroredStrategy over 2 logical CPU devices and
MultiWorkerMirroredStrategy with 2 worker processes on 127.0.0.1 give the same
weights as single-device training on the same global batch."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pix2pix_tf.checkpoint import latest_checkpoint

WORKER = str(Path(__file__).with_name("dist_worker.py"))


def _run(mode, run_dir, env=None, *extra):
    return subprocess.Popen([sys.executable, WORKER, mode, str(run_dir), *extra],
                            env=env or os.environ,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(proc, timeout=300):
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"worker timed out:\n{out[-3000:]}")
    assert proc.returncode == 0, out[-3000:]


def _weights(run_dir):
    path, epoch = latest_checkpoint(Path(run_dir) / "checkpoints")
    with np.load(path) as data:
        names = list(data["paths"])
        return epoch, {n: data[f"v{i:05d}"] for i, n in enumerate(names)}


def _compare(a_dir, b_dir):
    (ea, a), (eb, b) = _weights(a_dir), _weights(b_dir)
    assert ea == eb == 2
    # The same state on both sides, then the same values (nothing skipped).
    assert set(a) == set(b), sorted(set(a) ^ set(b))[:5]
    trainable = [n for n in a if n.startswith(("generator/", "discriminator/")) and n.rsplit(
        "/", 1)[-1] in ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance")]
    assert len(trainable) > 20
    # Adam divides by sqrt(v): an element whose gradient is near zero moves by up to a
    # step (lr 2e-4) on rounding alone (another order of summation across replicas). The
    # resize decoder showed 8 of 9,216 kernel elements off by 6e-5: every element within
    # half a step, and all but a few within 2e-5.
    for n in trainable:
        np.testing.assert_allclose(a[n], b[n], atol=1e-4, rtol=1e-4, err_msg=n)
        off = np.abs(a[n] - b[n]) > 2e-5 + 1e-4 * np.abs(b[n])
        assert off.mean() <= 0.01, (n, int(off.sum()), off.size)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    run = tmp_path_factory.mktemp("dist") / "single"
    _finish(_run("single", run))
    return run


def test_mirrored_two_cpu_devices_matches_single_device(single, tmp_path):
    _finish(_run("mirrored", tmp_path / "mirrored"))
    _compare(single, tmp_path / "mirrored")


def test_sync_batch_norm_on_two_devices_matches_one_device_with_the_whole_batch(tmp_path):
    one, two = _run("single", tmp_path / "one", None, "syncbn"), None
    _finish(one)
    two = _run("mirrored", tmp_path / "two", None, "syncbn")
    _finish(two)
    _compare(tmp_path / "one", tmp_path / "two")


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_multiworker_two_processes_on_loopback_matches_single_device(single, tmp_path):
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(_run("multiworker", tmp_path / "mw", env))
    for p in procs:
        _finish(p)
    _compare(single, tmp_path / "mw")
    _compare(single, tmp_path / "mw" / "workers" / "1")  # the other worker's own state
