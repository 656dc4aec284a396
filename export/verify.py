"""Every exported artifact is run and compared with the Keras generator.

Thresholds (the export fails loudly when one is missed):
fp32 max abs error <= 1e-4; fp16 PSNR >= 45 dB; int8 (and dynamic) PSNR >= 30 dB,
all against the Keras generator in inference mode on real inputs.
"""

from __future__ import annotations

import numpy as np

from pix2pix_tf.export.common import median_latency_ms, psnr_db

THRESHOLDS = {"fp32": ("max_abs_error", 1e-4), "fp16": ("psnr_db", 45.0),
              "int8": ("psnr_db", 30.0), "dynamic": ("psnr_db", 30.0)}


def check_input(x, shape: tuple, dtype, what: str) -> None:
    """Raises ValueError unless `x` is an array of `dtype` with `shape` (None = any)."""
    if not isinstance(x, np.ndarray) or x.dtype != dtype:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{what} model input must be a {np.dtype(dtype).name} array of shape "
                         f"{shape}. Received: dtype={got}")
    if x.ndim != len(shape) or any(s is not None and s != d for s, d in zip(shape, x.shape)):
        raise ValueError(f"{what} model input must have shape {shape}. "
                         f"Received: shape={x.shape}")


def verify(runner, inputs: np.ndarray, reference: np.ndarray, quantization: str,
           repeats: int = 5) -> dict:
    """Runs `runner` on `inputs` and scores it against `reference` (Keras outputs).

    Returns:
        A dict with `max_abs_error`, `psnr_db`, `latency_ms`, `threshold`, `passed`.
    """
    outputs = runner(inputs)
    metric, limit = THRESHOLDS[quantization]
    result = {
        "max_abs_error": float(np.max(np.abs(outputs.astype(np.float64) - reference))),
        "psnr_db": psnr_db(reference, outputs),
        "latency_ms": median_latency_ms(runner, inputs, repeats),
    }
    value = result[metric]
    if value is None:  # identical outputs
        ok = True
    else:
        ok = value <= limit if metric == "max_abs_error" else value >= limit
    result.update(threshold=f"{metric} {'<=' if metric == 'max_abs_error' else '>='} {limit}",
                  passed=bool(ok and np.all(np.isfinite(outputs))))
    return result
