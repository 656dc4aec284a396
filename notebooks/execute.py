"""Runs the course notebooks in full (not quick mode) and stores their outputs in place.

    python notebooks/execute.py [notebooks/01_quickstart.ipynb ...]

The committed notebooks were stored by this script (PIX2PIX_TF_QUICK unset), so what a
reader sees is what the code as committed computes. Each file must stay under 3 MB.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

LIMIT_BYTES = 3_000_000


def main(paths: list[str]) -> int:
    import nbformat
    from nbclient import NotebookClient

    os.environ["PIX2PIX_TF_QUICK"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    here = Path(__file__).parent
    files = [Path(p) for p in paths] or sorted(here.glob("[0-9][0-9]_*.ipynb"))
    status = 0
    for path in files:
        start = time.time()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        nbformat.write(nb, path)
        size = path.stat().st_size
        print(f"{path}: {time.time() - start:.0f} s, {size / 1e6:.2f} MB", flush=True)
        if size > LIMIT_BYTES:
            print(f"error: {path} is {size / 1e6:.2f} MB (limit 3 MB)", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
