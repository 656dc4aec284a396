"""Shared helpers: machine description and output (one JSON line per measurement)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time


def machine() -> dict:
    """A short description of the machine, for the tables."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    info = {"cpu": cpu, "cores": os.cpu_count(), "load_1min": load,
            "date": time.strftime("%Y-%m-%d"), "python": platform.python_version()}
    try:
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            query = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]
            info["gpu"] = subprocess.run(query, capture_output=True, text=True).stdout.strip()
    except Exception:
        pass
    return info


def emit(record: dict) -> None:
    """Prints one measurement as a JSON line."""
    print(json.dumps(record), flush=True)


def table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = []
        for c in columns:
            v = r.get(c, "")
            cells.append(f"{v:.3g}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_table(info: dict, rows: list[dict], columns: list[str], note: str = "") -> None:
    """Prints the machine line (date, CPU, cores, load; `note` appended) and the table."""
    print(f"\n{info['date']}, {info['cpu']}, {info['cores']} cores, "
          f"load {info['load_1min']:.2f}{note}")
    print(table(rows, columns))
