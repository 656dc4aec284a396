"""Keeps TensorFlow's C++ log lines out of the command line's output.

TensorFlow 2.21 logs through Abseil before `absl::InitializeLog()` is called, so its
import-time and runtime lines (oneDNN, the CUDA stub, cpu_feature_guard, "remapper
failed", "failed call to cuInit") go straight to file descriptor 2 whatever
`TF_CPP_MIN_LOG_LEVEL` says (tensorflow/tensorflow#100442). They are notes, not errors,
and a user reads them as errors. `quiet_tensorflow()` puts a filter on descriptor 2
itself, so it also covers the C++ code and child processes: lines in TensorFlow's log
format are dropped, everything else (Python warnings, tracebacks, the package's own
`error:` lines) passes unchanged. `--debug` runs without it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

# Abseil / TSL log lines ("I0000 00:00:1796315711.098422    3949 port.cc:153] ..."), the
# older "2025-09-17 14:44:05.157831: I external/...cc:32] ..." form, Abseil's own
# warning, and the second line of cpu_feature_guard's message; Ray prefixes its
# workers' lines with "(Name pid=N) ".
TF_LOG_LINE = re.compile(
    rb"^(\(.*?pid=\d+[^)]*\) )?("
    rb"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]"
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\]"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .*rebuild TensorFlow with the appropriate)")


def is_tf_log_line(line: bytes) -> bool:
    """Whether one line of stderr (bytes, with or without its newline) is TensorFlow's."""
    return TF_LOG_LINE.match(line) is not None


def _forward(read_fd: int, write_fd: int) -> None:
    pending = b""
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        kept = b"".join(line + b"\n" for line in lines if not is_tf_log_line(line))
        if kept:
            os.write(write_fd, kept)
    if pending and not is_tf_log_line(pending):
        os.write(write_fd, pending)
    os.close(read_fd)


@contextlib.contextmanager
def quiet_tensorflow(enabled: bool = True) -> Iterator[None]:
    """Drops TensorFlow's log lines from this process's stderr (descriptor 2) inside the
    block; `enabled=False` (the CLIs' `--debug`) leaves stderr alone.

    Example:
    ```python
    with quiet_tensorflow():
        import tensorflow as tf  # no oneDNN / CUDA-stub lines
    ```
    """
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        read_fd, write_fd = os.pipe()
        original = os.dup(2)
    except (OSError, ValueError):  # no descriptor 2 to filter (an embedding host)
        yield
        return
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_forward, args=(read_fd, original), daemon=True,
                              name="pix2pix_tf-stderr-filter")
    thread.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(original, 2)  # the pipe's last writer in this process closes: EOF
        # A child that still holds the pipe keeps it open; its lines then go unread.
        thread.join(timeout=5)
        if not thread.is_alive():
            os.close(original)
