"""Every option of the package in one place, with the paper's defaults.

`Pix2PixConfig` is the single source of truth: the models, the data pipeline, the
training loop, the CLI (its flags are generated from these fields) and the export
module all read it. Nothing else declares a default.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

GENERATORS = ("unet", "resnet")
NORMS = ("batch", "instance", "none")
GAN_MODES = ("vanilla", "lsgan", "hinge")
DIRECTIONS = ("AtoB", "BtoA")
PREPROCESS = ("resize_and_crop", "crop", "none")
LR_SCHEDULES = ("constant", "linear_decay")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
# Named sets of overrides. "mobile": a half-width U-Net (ngf 32): 13.6M parameters, a
# ~14 MB int8 .tflite and ~1/4 of the paper generator's FLOPs (numbers in README).
PRESETS: dict[str, dict[str, Any]] = {"paper": {}, "mobile": {"generator_filters": 32}}


def _opt(default: Any, help: str, choices: tuple[str, ...] | None = None, cli: bool = True):
    return field(default=default, metadata={"help": help, "choices": choices, "cli": cli})


@dataclass
class Pix2PixConfig:
    """Configuration of a Pix2Pix model, its data pipeline and its training.

    Constructible with no arguments: the defaults are those of the paper
    (Isola et al., 2017) for 256x256 RGB images.

    Example:
    ```python
    config = Pix2PixConfig(image_size=128, input_channels=1)  # colourisation
    config.depth  # 7: derived so that the U-Net bottleneck is 1x1
    ```
    """

    # --- images -------------------------------------------------------------------
    image_size: int | tuple[int, int] = _opt(
        256, "Training/crop size: N, or HxW for non-square images (e.g. 256x512).")
    input_channels: int = _opt(3, "Channels of the input image (1 = grayscale, 3 = RGB).")
    output_channels: int = _opt(3, "Channels of the generated image.")
    # --- generator ----------------------------------------------------------------
    generator: str = _opt("unet", "Generator architecture.", GENERATORS)
    generator_filters: int = _opt(64, "Filters of the generator's first layer (ngf).")
    depth: int | None = _opt(
        None, "U-Net levels; default: log2 of the shorter side, 1x1 bottleneck (8 at 256).")
    resnet_blocks: int = _opt(9, "Residual blocks of the ResNet generator (6 or 9 usual).")
    dropout: bool = _opt(True, "Dropout 0.5 in the first three U-Net decoder blocks.")
    dropout_rate: float = _opt(0.5, "Dropout rate where dropout is on.")
    norm: str = _opt("batch", "Normalisation in both networks.", NORMS)
    sync_batch_norm: bool = _opt(
        False, "With several replicas: BatchNorm statistics over the global batch.")
    # --- discriminator ------------------------------------------------------------
    discriminator_filters: int = _opt(64, "Filters of the discriminator's first layer (ndf).")
    discriminator_layers: int = _opt(
        3, "PatchGAN depth: 0 = 1x1 PixelGAN, 1 = 16x16, 3 = 70x70, 5 = 286x286 patches.")
    conditional: bool = _opt(True, "Discriminator sees concat(input, target), as in the paper.")
    # --- losses and optimisation --------------------------------------------------
    gan_mode: str = _opt("vanilla", "Adversarial loss.", GAN_MODES)
    lambda_l1: float = _opt(100.0, "Weight of the L1 term in the generator loss.")
    learning_rate: float = _opt(2e-4, "Adam learning rate of both networks.")
    beta_1: float = _opt(0.5, "Adam beta_1.")
    beta_2: float = _opt(0.999, "Adam beta_2.")
    lr_schedule: str = _opt(
        "constant", "linear_decay: constant, then linear to 0 over --decay-epochs (paper).",
        LR_SCHEDULES)
    decay_epochs: int = _opt(100, "With linear_decay: the last N epochs decay linearly to 0.")
    # --- data ---------------------------------------------------------------------
    direction: str = _opt("AtoB", "AtoB: left/A is the input; BtoA: right/B is.", DIRECTIONS)
    preprocess: str = _opt(
        "resize_and_crop", "Training jitter: resize to load size then random crop (paper); "
        "crop: random crop of the original; none: resize to image size.", PREPROCESS)
    load_size: int | None = _opt(
        None, "Resize size before the random crop; default image_size*286/256 (286 at 256).")
    flip: bool = _opt(True, "Random horizontal mirror (same on input and target).")
    skip_bad_files: bool = _opt(False, "Skip unreadable images (and report the count).")
    # --- training -----------------------------------------------------------------
    batch_size: int = _opt(1, "Global batch size (the paper uses 1).")
    precision: str = _opt(
        "float32", "Compute precision: mixed_bfloat16 (CPUs with AVX512-BF16/AMX, TPUs, "
        "recent GPUs; 1.4x faster here) or mixed_float16 (GPUs, with loss scaling).",
        PRECISIONS)
    epochs: int = _opt(200, "Epochs (the paper trains facades for 200).")
    steps_per_epoch: int | None = _opt(None, "Steps per epoch; default: one pass over the data.")
    seed: int | None = _opt(None, "Random seed: weights, data order and jitter, dropout.")
    inference_batch_stats: bool = _opt(
        False, "Inference with batch statistics and dropout on (training=True), as the "
        "paper's test-time noise and the TF tutorial; default uses moving statistics.")
    sample_every: int = _opt(1, "Write a sample grid every N epochs (0 = never).")
    num_samples: int = _opt(4, "Images in each sample grid.")

    def __post_init__(self) -> None:
        self.image_size = _parse_size(self.image_size)
        self.validate()

    # --- derived values -----------------------------------------------------------
    @property
    def height(self) -> int:
        return self.image_size[0]

    @property
    def width(self) -> int:
        return self.image_size[1]

    @property
    def unet_depth(self) -> int:
        """U-Net levels: explicit `depth`, else log2 of the shorter side (1x1 bottleneck).

        As the reference's unet_256 / unet_128: 8 levels at 256, 7 at 128, 5 at 32.
        Sizes that 2^depth does not divide are refused (set `depth` explicitly).
        """
        if self.depth is not None:
            return self.depth
        return int(math.floor(math.log2(min(self.height, self.width))))

    @property
    def load_height_width(self) -> tuple[int, int]:
        if self.preprocess != "resize_and_crop":
            return self.image_size
        if self.load_size is not None:
            ratio = self.load_size / min(self.height, self.width)
        else:
            ratio = 286 / 256
        return (int(self.height * ratio), int(self.width * ratio))

    @property
    def a_channels(self) -> int:
        """Channels of the A side of the data (input when direction is AtoB)."""
        return self.input_channels if self.direction == "AtoB" else self.output_channels

    @property
    def b_channels(self) -> int:
        return self.output_channels if self.direction == "AtoB" else self.input_channels

    # --- checks -------------------------------------------------------------------
    def validate(self) -> None:
        """Raises `ValueError` naming the option when the configuration cannot work."""
        for name in ("input_channels", "output_channels"):
            if getattr(self, name) not in (1, 3):
                raise ValueError(f"`{name}` must be 1 (grayscale) or 3 (RGB). "
                                 f"Received: {name}={getattr(self, name)}")
        for name, choices in (("generator", GENERATORS), ("norm", NORMS), ("gan_mode", GAN_MODES),
                              ("direction", DIRECTIONS), ("preprocess", PREPROCESS),
                              ("lr_schedule", LR_SCHEDULES), ("precision", PRECISIONS)):
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"`{name}` must be one of {choices}. Received: {name}={getattr(self, name)!r}")
        for name in ("generator_filters", "discriminator_filters", "batch_size", "epochs"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"`{name}` must be >= 1. Received: {name}={getattr(self, name)}")
        if self.generator == "unet":
            depth = self.unet_depth
            if depth < 1:
                raise ValueError(f"`depth` must be >= 1. Received: depth={depth}")
            factor = 2**depth
            if self.height % factor or self.width % factor:
                raise ValueError(
                    f"`image_size` must be divisible by 2^depth={factor} for a U-Net of depth "
                    f"{depth}. Received: image_size={self.height}x{self.width}. Use a size that "
                    f"is a multiple of {factor}, or set `depth` lower.")
        elif self.height % 4 or self.width % 4:
            raise ValueError(
                "`image_size` must be divisible by 4 for the ResNet generator. "
                f"Received: image_size={self.height}x{self.width}")
        if not 0 <= self.discriminator_layers <= 8:
            raise ValueError(
                f"`discriminator_layers` must be in [0, 8]. Received: {self.discriminator_layers}")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise ValueError(f"`dropout_rate` must be in [0, 1). Received: {self.dropout_rate}")
        if self.load_size is not None and self.load_size < min(self.image_size):
            raise ValueError(
                f"`load_size` must be >= the crop size {min(self.image_size)}. "
                f"Received: load_size={self.load_size}")
        if self.lr_schedule == "linear_decay" and self.decay_epochs < 1:
            raise ValueError(f"`decay_epochs` must be >= 1. Received: {self.decay_epochs}")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Pix2PixConfig:
        """The config of a named preset ("paper", "mobile") with `overrides` applied."""
        if name not in PRESETS:
            raise ValueError(f"Unknown preset. Choose from {tuple(PRESETS)}. Received: {name!r}")
        return cls(**{**PRESETS[name], **overrides})

    # --- serialisation ------------------------------------------------------------
    def replace(self, **changes: Any) -> Pix2PixConfig:
        """Returns a copy with `changes` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["image_size"] = list(self.image_size)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Pix2PixConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"Unknown Pix2PixConfig option(s): {unknown}")
        return cls(**d)

    def save(self, path: str | os.PathLike) -> None:
        """Writes the config as JSON (atomically)."""
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            json.dump(self.to_dict(), f, indent=2)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Pix2PixConfig:
        try:
            with open(path) as f:
                return cls.from_dict(json.load(f))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not a valid config JSON file: {e}") from None


def as_config(config: Pix2PixConfig | dict | None) -> Pix2PixConfig:
    """A `Pix2PixConfig` from itself, its dict (as in saved models), or None (defaults)."""
    if config is None:
        return Pix2PixConfig()
    if isinstance(config, dict):
        return Pix2PixConfig.from_dict(config)
    return config


def _parse_size(size: Any) -> tuple[int, int]:
    """Accepts 256, "256", "256x512", (256, 512) or [256, 512]."""
    try:
        if isinstance(size, str):
            parts = size.lower().split("x")
            size = int(parts[0]) if len(parts) == 1 else tuple(int(p) for p in parts)
        if isinstance(size, int):
            size = (size, size)
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(
            f"`image_size` must be N or (height, width). Received: image_size={size!r}") from None
    if h < 1 or w < 1:
        raise ValueError(f"`image_size` must be positive. Received: image_size={size!r}")
    return (h, w)


def cli_fields() -> list[dataclasses.Field]:
    """The config fields exposed as CLI flags (all of them, by default)."""
    return [f for f in dataclasses.fields(Pix2PixConfig) if f.metadata.get("cli", True)]
