"""Runs the course notebooks in full (not quick mode) and stores their outputs in place.

    python notebooks/execute.py [notebooks/01_quickstart.ipynb ...]

The committed notebooks were stored by this script (PIX2PIX_TF_QUICK unset), so what a
reader sees is what the code as committed computes. Each file must stay under 3 MB.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

LIMIT_BYTES = 3_000_000
# TensorFlow's C++ start-up lines (printed before its logging is configured, whatever
# TF_CPP_MIN_LOG_LEVEL says) are dropped from the stored outputs; nothing else is.
NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} |To enable the "
                   r"following instructions|oneDNN custom operations)")


# A Python warning starts with the file that raised it (`/home/you/.../pipeline.py:126:
# UserWarning: ...`): the stored outputs keep the warning and drop the machine's path.
WARNING_SOURCE = re.compile(r"^/\S+?\.py:\d+: (?=\w*Warning: )", re.M)


def _clean(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":  # only code cells have outputs (nbformat's schema)
            cell.pop("outputs", None)
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(line for line in out["text"].splitlines(keepends=True)
                               if not NOISE.match(line))
                if not text.strip():
                    continue
                out["text"] = WARNING_SOURCE.sub("", text)
            kept.append(out)
        cell["outputs"] = kept


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
        _clean(nb)
        nbformat.write(nb, path)
        size = path.stat().st_size
        print(f"{path}: {time.time() - start:.0f} s, {size / 1e6:.2f} MB", flush=True)
        if size > LIMIT_BYTES:
            print(f"error: {path} is {size / 1e6:.2f} MB (limit 3 MB)", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
