"""The notebooks' quick mode, read in this one place.

Quick mode shrinks image sizes and step counts so that CI executes every notebook in
minutes; the stored notebooks were run without it (`python notebooks/execute.py`).
It is on when `PIX2PIX_TF_QUICK` is set to anything but "", "0", "false" or "no", and —
when that variable is not set at all — inside a pytest run (`pytest --nbmake` starts
each notebook's kernel from a test, which sets `PYTEST_CURRENT_TEST`). So the README's
test command runs the course quickly, and `PIX2PIX_TF_QUICK=0 pytest notebooks --nbmake`
runs it in full.

Example:
    >>> from pix2pix_tf.quick import QUICK, pick
    >>> IMAGE_SIZE = pick(128, 32)   # 32 in quick mode
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")


def quick_mode(environ: dict | None = None) -> bool:
    """Whether quick mode is on for this environment (see the module docstring)."""
    env = os.environ if environ is None else environ
    value = env.get("PIX2PIX_TF_QUICK")
    if value is None:
        return "PYTEST_CURRENT_TEST" in env
    return value.strip().lower() not in ("", "0", "false", "no")


QUICK: bool = quick_mode()


def pick(full: T, quick: T) -> T:
    """`quick` in quick mode, else `full`."""
    return quick if QUICK else full
