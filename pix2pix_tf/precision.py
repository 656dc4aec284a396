"""The compute precision chosen for the device: `precision="auto"` (the default).

`auto` picks, once per process:

- Keras' global dtype policy when the user set one (`keras.config.set_dtype_policy`);
- else, on the first GPU TensorFlow sees: mixed_bfloat16 from compute capability 8.0
  (Ampere and later: bfloat16 tensor cores, no loss scaling needed), mixed_float16 on
  7.x (Volta/Turing: float16 tensor cores; `compile` adds loss scaling), float32 below;
- on a TPU: mixed_bfloat16;
- on a CPU with native bfloat16 arithmetic (AVX512_BF16 or AMX-BF16): mixed_bfloat16;
- float32 everywhere else.

Variables stay float32 in every mixed policy; generator outputs and discriminator
logits are float32; exports are float32 graphs. Held-out quality of auto vs float32
on facades is measured in `experiments/precision.py` (docs/studies.md, "Precision").
"""

from __future__ import annotations

import functools
from pathlib import Path

AUTO = "auto"


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


@functools.cache
def device_precision() -> tuple[str, str]:
    """`(policy, reason)`: what `auto` picks on this machine's devices (global policy
    aside). Lists physical devices only, so TensorFlow's runtime is not started."""
    import tensorflow as tf

    if tf.config.list_physical_devices("TPU"):
        return "mixed_bfloat16", "TPU"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", "GPU")
        cc = details.get("compute_capability")
        if cc and tuple(cc) >= (8, 0):
            return "mixed_bfloat16", f"{name}, compute capability {cc[0]}.{cc[1]}"
        if cc and tuple(cc) >= (7, 0):
            return "mixed_float16", f"{name}, compute capability {cc[0]}.{cc[1]}"
        return "float32", f"{name}, no fast reduced-precision units"
    flags = _cpu_flags() & {"avx512_bf16", "amx_bf16"}
    if flags:
        return "mixed_bfloat16", f"CPU with native bfloat16 ({', '.join(sorted(flags))})"
    return "float32", "CPU without native bfloat16"


def resolve_precision(precision: str | None) -> tuple[str, str]:
    """`(policy, reason)` for a config's `precision`: "auto" as above, None = Keras'
    global policy, anything else as given."""
    import keras

    if precision is None:
        return keras.config.dtype_policy().name, "Keras' global dtype policy"
    if precision != AUTO:
        return precision, "set in the config"
    policy = keras.config.dtype_policy().name
    if policy != "float32":
        return policy, "auto: Keras' global dtype policy, set by the user"
    policy, why = device_precision()
    return policy, f"auto: {why}"
