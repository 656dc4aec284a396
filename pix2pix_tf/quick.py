"""The notebooks' quick mode, read in this one place.

`PIX2PIX_TF_QUICK=1` (any value but "", "0", "false", "no") shrinks image sizes and step
counts so that CI executes every notebook in minutes; the stored notebooks were run
without it. `notebooks/conftest.py` turns it on for `pytest --nbmake` unless the variable
is already set (`PIX2PIX_TF_QUICK=0 pytest notebooks --nbmake` runs them in full).

Example:
    >>> from pix2pix_tf.quick import QUICK, pick
    >>> IMAGE_SIZE = pick(128, 32)   # 32 in quick mode
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

QUICK: bool = os.environ.get("PIX2PIX_TF_QUICK", "").strip().lower() not in (
    "", "0", "false", "no")


def pick(full: T, quick: T) -> T:
    """`quick` in quick mode, else `full`."""
    return quick if QUICK else full
