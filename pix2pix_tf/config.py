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
import warnings
from dataclasses import dataclass, field
from typing import Any

from pix2pix_tf.errors import ConfigError, DataError

GENERATORS = ("unet", "resnet")
NORMS = ("batch", "instance", "none")
GAN_MODES = ("vanilla", "lsgan", "hinge")
DIRECTIONS = ("AtoB", "BtoA")
PREPROCESS = ("resize_and_crop", "crop", "none")
LR_SCHEDULES = ("constant", "linear_decay")
PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
UPDATES = ("alternating", "simultaneous")
INFERENCE_MODES = ("image_stats", "moving_stats", "batch_stats")
COLOR_SPACES = ("rgb", "lab")
UPSAMPLES = ("transpose", "resize")
# The three groups of options. Model files (`generator.keras`) keep only ARCHITECTURE:
# a run option added, renamed or removed later never stops a saved model from loading.
ARCHITECTURE, DATA, TRAINING = "architecture", "data", "training"
# Named sets of overrides (flags and keyword arguments override them in turn).
PRESETS: dict[str, dict[str, Any]] = {
    # The defaults as they are (the CLI's --preset default).
    "default": {},
    # The paper's architecture and objective exactly: transposed convolutions in the
    # decoder. The defaults differ only there (resize: no checkerboard at the first
    # command's budget, experiments/results/first_command.md).
    "paper": {"upsample": "transpose"},
    # A half-width U-Net (ngf 32): 13.6M parameters, a ~14 MB int8 .tflite and ~1/4 of
    # the paper generator's FLOPs (numbers in docs/studies.md, the mobile preset).
    "mobile": {"generator_filters": 32},
    # junyanz/pytorch-CycleGAN-and-pix2pix as run by its facades script (train_pix2pix.sh):
    # row by row in docs/studies.md ("--preset reference").
    "reference": {"upsample": "transpose", "update": "alternating", "epochs": 200,
                  "lr_schedule": "linear_decay", "decay_epochs": 100, "adam_epsilon": 1e-8,
                  "dropout_blocks": None},
}


def _opt(default: Any, help: str, group: str, choices: tuple | None = None, cli: bool = True):
    return field(default=default,
                 metadata={"help": help, "choices": choices, "cli": cli, "group": group})


# Options that may change when a run is resumed: how long it runs and what it writes.
# Every other option decides what is trained, so a resumed run keeps the recorded value.
RESUMABLE = frozenset({"epochs", "save_every", "save_every_minutes", "keep_checkpoints",
                       "sample_every", "num_samples", "nan_check_every", "validate_every"})

# Options whose `None` means "from the data" (a dataset's usual direction, a task's
# channels): filled by `with_data_defaults`, else by these fallbacks.
_DATA_IMPLIED = {"direction": "AtoB", "input_channels": 3}


@dataclass
class Pix2PixConfig:
    """Every option of a Pix2Pix model, its data pipeline and its training.

    Three groups, each a block below: architecture (what a saved model keeps), data
    (how pairs are read and jittered) and training (how a run proceeds). Constructible
    with no arguments: the defaults are the paper's (Isola et al., 2017) for 256x256 RGB
    but for the decoder's upsampling (resize, not transposed convolutions: `upsample`;
    `Pix2PixConfig.preset("paper")` is the paper's exactly).

    Example:
    ```python
    config = Pix2PixConfig(image_size=128, input_channels=1)  # colourisation
    config.unet_depth  # 7: derived so that the U-Net bottleneck is 1x1
    config.architecture()  # the dict a saved generator keeps
    ```
    """

    # --- architecture (stored in model files) ----------------------------------------
    image_size: int | tuple[int, int] = _opt(
        256, "Training/crop size: N, or HxW for non-square images (e.g. 256x512).", ARCHITECTURE)
    input_channels: int | None = _opt(
        None, "Channels of the input image (1 = grayscale, 3 = RGB); default: the task's "
        "(colorize: 1), else 3.", ARCHITECTURE)
    output_channels: int = _opt(3, "Channels of the generated image (2 with color_space "
                                "lab: ab).", ARCHITECTURE)
    color_space: str = _opt(
        "rgb", "lab: colourisation in CIE Lab as in the paper: the generator maps the "
        "lightness L (1 channel) to the chroma ab (2 channels) of the target photo; "
        "samples, metrics, translate and exports are turned back into RGB.",
        ARCHITECTURE, COLOR_SPACES)
    generator: str = _opt("unet", "Generator architecture.", ARCHITECTURE, GENERATORS)
    generator_filters: int = _opt(64, "Filters of the generator's first layer (ngf).",
                                  ARCHITECTURE)
    depth: int | None = _opt(
        None, "U-Net levels; default: log2 of the shorter side, 1x1 bottleneck (8 at 256).",
        ARCHITECTURE)
    upsample: str = _opt(
        "resize", "How the generator's decoder doubles the resolution: transpose = 4x4 "
        "stride-2 transposed convolutions (the paper's); resize = nearest-neighbour resize "
        "then a 3x3 convolution, which gives every output pixel the same total weight, so it "
        "does not draw the transposed convolution's checkerboard (Odena et al. 2016; notebook "
        "08); fewer weights, about 2.25x the decoder's multiply-adds. Default resize: at the "
        "first command's budget it scored better and drew no grid "
        "(experiments/results/first_command.md); --preset paper is transpose.", ARCHITECTURE,
        UPSAMPLES)
    resnet_blocks: int = _opt(9, "Residual blocks of the ResNet generator (6 or 9 usual).",
                              ARCHITECTURE)
    dropout: bool = _opt(True, "Dropout in the U-Net decoder blocks next to the bottleneck.",
                         ARCHITECTURE)
    dropout_rate: float = _opt(0.5, "Dropout rate where dropout is on.", ARCHITECTURE)
    dropout_blocks: int | None = _opt(
        3, "Decoder blocks with dropout (the paper's CD512 x3); None: as the reference code, "
        "depth - 5 (3 at 256, 2 at 128).", ARCHITECTURE)
    norm: str = _opt("batch", "Normalisation in both networks.", ARCHITECTURE, NORMS)
    sync_batch_norm: bool = _opt(
        False, "With several replicas: BatchNorm statistics over the global batch.",
        ARCHITECTURE)
    inference_mode: str = _opt(
        "image_stats", "How the generator normalises at inference (every path: "
        "pix2pix_tf/translator.py): image_stats = each image by its own statistics, "
        "dropout off (deterministic; equals training's BatchNorm at batch 1; measured "
        "best, docs/studies.md); moving_stats = BatchNorm moving averages; batch_stats = the "
        "paper's test time at batch 1: each image's own statistics with dropout on, "
        "seeded (exports compute its deterministic part, image_stats).",
        ARCHITECTURE, INFERENCE_MODES)
    discriminator_filters: int = _opt(64, "Filters of the discriminator's first layer (ndf).",
                                      ARCHITECTURE)
    discriminator_layers: int = _opt(
        3, "PatchGAN depth: 0 = 1x1 PixelGAN, 1 = 16x16, 3 = 70x70, 5 = 286x286 patches.",
        ARCHITECTURE)
    conditional: bool = _opt(
        True, "Discriminator sees concat(input, target), as in the paper.", ARCHITECTURE)
    # --- data ------------------------------------------------------------------------
    direction: str | None = _opt(
        None, "AtoB: left/A is the input; BtoA: right/B is. Default: the dataset's usual "
        "direction (facades, cityscapes: BtoA), else AtoB.", DATA, DIRECTIONS)
    preprocess: str = _opt(
        "resize_and_crop", "Training jitter: resize to load size then random crop (paper); "
        "crop: random crop of the original; none: resize to image size.", DATA, PREPROCESS)
    load_size: int | None = _opt(
        None, "Resize size before the random crop; default image_size*286/256 (286 at 256).",
        DATA)
    flip: bool = _opt(True, "Random horizontal mirror (same on input and target).", DATA)
    skip_bad_files: bool = _opt(False, "Skip unreadable images (and report the count).", DATA)
    val_fraction: float | None = _opt(
        None, "Hold out this fraction of the training pairs as the validation set (instead "
        "of the data's val split), by a seeded permutation (seed 0): `evaluate "
        "--val-fraction` with the same fraction scores the same pairs.", DATA)
    # --- training --------------------------------------------------------------------
    gan_mode: str = _opt("vanilla", "Adversarial loss.", TRAINING, GAN_MODES)
    lambda_l1: float = _opt(100.0, "Weight of the L1 term in the generator loss (0: cGAN "
                            "only, the paper's ablation).", TRAINING)
    lambda_gan: float = _opt(1.0, "Weight of the adversarial term in the generator loss (0: "
                             "L1 only, the paper's ablation).", TRAINING)
    update: str = _opt(
        "simultaneous", "simultaneous: G and D step from one forward pass (TF tutorial); "
        "alternating: a D step, then a G step against the updated D (paper, reference). "
        "Default simultaneous: one D forward pass cheaper per step; held-out quality on "
        "facades at 128 within noise of alternating (docs/studies.md).",
        TRAINING, UPDATES)
    learning_rate: float = _opt(2e-4, "Adam learning rate of both networks.", TRAINING)
    beta_1: float = _opt(0.5, "Adam beta_1.", TRAINING)
    beta_2: float = _opt(0.999, "Adam beta_2.", TRAINING)
    adam_epsilon: float = _opt(1e-7, "Adam epsilon (Keras' default; PyTorch's is 1e-8).",
                               TRAINING)
    lr_schedule: str = _opt(
        "constant", "linear_decay: constant, then linear to 0 over --decay-epochs (paper).",
        TRAINING, LR_SCHEDULES)
    decay_epochs: int = _opt(100, "With linear_decay: the last N epochs decay linearly to 0.",
                             TRAINING)
    batch_size: int = _opt(1, "Global batch size (the paper uses 1).", TRAINING)
    precision: str | None = _opt(
        "auto", "Compute precision. auto: the global dtype policy if set, else chosen for "
        "the device: mixed_bfloat16 on CPUs with AVX512-BF16/AMX, TPUs and GPUs of compute "
        "capability >= 8.0, mixed_float16 (with loss scaling) on 7.x, else float32 "
        "(pix2pix_tf/precision.py; held-out quality equal to float32 on facades, docs/studies.md). "
        "None: Keras' global policy.", TRAINING, PRECISIONS)
    epochs: int = _opt(200, "Epochs (the paper trains facades for 200).", TRAINING)
    steps_per_epoch: int | None = _opt(
        None, "Steps per epoch; default: one pass over the data.", TRAINING)
    seed: int | None = _opt(None, "Random seed: weights, data order and jitter, dropout.",
                            TRAINING)
    save_every: int | None = _opt(
        None, "Write the full training state and generator.keras every N epochs (and "
        "after the last); default: by time, see save_every_minutes. --resume continues "
        "bit-exact from the last one written.", TRAINING)
    save_every_minutes: float = _opt(
        10.0, "Also write them at the end of the first epoch this many minutes after the "
        "last write (0: only by save_every). An epoch end not written is kept as a host "
        "copy of the state and written when training is interrupted (Ctrl-C, SIGTERM, an "
        "error, a NaN), so no finished epoch is lost unless the process is killed outright. "
        "Default 10: one write of the paper generator's state (0.69 GB) and "
        "generator.keras took 3.2-3.6 s on the development machine "
        "(benchmarks/results/epoch_overhead.md), most of a facades epoch on a current "
        "GPU (~5 s); every 10 minutes it is under 1 percent.", TRAINING)
    validate_every: int = _opt(
        5, "Compute the validation metrics (val_l1, val_psnr, val_ssim in the logs and "
        "TensorBoard) every N epochs and after the last. Default 5: the 100 facades val "
        "images at batch 1 are estimated at 5-12 percent of a ~5 s GPU epoch "
        "(benchmarks/results/epoch_overhead.md); every 5th epoch, 1-2.5.", TRAINING)
    keep_checkpoints: int = _opt(2, "Newest checkpoints kept (older ones are deleted).",
                                 TRAINING)
    nan_check_every: int = _opt(
        100, "Check the losses for NaN/inf every N steps (and at each epoch end); checking "
        "every step would force a device-to-host sync per step.", TRAINING)
    sample_every: int = _opt(1, "Write a sample grid every N epochs (0 = never).", TRAINING)
    num_samples: int = _opt(4, "Images in each sample grid.", TRAINING)

    def __post_init__(self) -> None:
        self.image_size = _parse_size(self.image_size)
        # Which data-implied options were left to the data (see `with_data_defaults`).
        object.__setattr__(self, "_from_data", frozenset(
            k for k in _DATA_IMPLIED if getattr(self, k) is None))
        for k in self._from_data:
            setattr(self, k, _DATA_IMPLIED[k])
        if self.color_space == "lab":
            # L in, ab out: the channels follow from the colour space.
            if "input_channels" not in self._from_data and self.input_channels != 1:
                raise ConfigError("`color_space='lab'` takes the 1-channel lightness L as "
                                  f"input. Received: input_channels={self.input_channels}")
            self.input_channels, self.output_channels = 1, 2
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
    def num_dropout_blocks(self) -> int:
        """U-Net decoder blocks with dropout (0 when `dropout` is off)."""
        if not self.dropout:
            return 0
        if self.dropout_blocks is None:  # the reference: ngf*8 blocks between the 5 outer
            return max(0, self.unet_depth - 5)
        return self.dropout_blocks

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
    def target_data_channels(self) -> int:
        """Channels read for the target side: the RGB photo whose L and ab make both
        sides of a Lab pair, else the output's."""
        return 3 if self.color_space == "lab" else self.output_channels

    @property
    def a_channels(self) -> int:
        """Channels of the A side of the data (input when direction is AtoB)."""
        return self.input_channels if self.direction == "AtoB" else self.target_data_channels

    @property
    def b_channels(self) -> int:
        return self.target_data_channels if self.direction == "AtoB" else self.input_channels

    def is_set(self, name: str) -> bool:
        """False for a data-implied option left to the data (`direction`, `input_channels`)."""
        return name not in self._from_data

    # --- checks -------------------------------------------------------------------
    def validate(self) -> None:
        """Raises `ValueError` naming the option when the configuration cannot work."""
        # (With color_space "lab" the channels are set by __post_init__: L in, ab out.)
        for name in ("input_channels", "output_channels") if self.color_space != "lab" else ():
            if getattr(self, name) not in (1, 3):
                raise ConfigError(f"`{name}` must be 1 (grayscale) or 3 (RGB). "
                                 f"Received: {name}={getattr(self, name)}")
        for f in dataclasses.fields(self):
            choices, value = f.metadata.get("choices"), getattr(self, f.name)
            if choices and not (value is None and f.name == "precision") and value not in choices:
                raise ConfigError(
                    f"`{f.name}` must be one of {choices}. Received: {f.name}={value!r}")
        for name in ("generator_filters", "discriminator_filters", "batch_size", "epochs",
                     "save_every", "keep_checkpoints", "nan_check_every", "validate_every"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ConfigError(f"`{name}` must be >= 1. Received: {name}={getattr(self, name)}")
        if self.generator == "unet":
            depth = self.unet_depth
            if depth < 1:
                raise ConfigError(f"`depth` must be >= 1. Received: depth={depth}")
            factor = 2**depth
            if self.height % factor or self.width % factor:
                raise ConfigError(
                    f"`image_size` must be divisible by 2^depth={factor} for a U-Net of depth "
                    f"{depth}. Received: image_size={self.height}x{self.width}. Use a size that "
                    f"is a multiple of {factor}, or set `depth` lower.")
        elif self.height % 4 or self.width % 4:
            raise ConfigError(
                "`image_size` must be divisible by 4 for the ResNet generator. "
                f"Received: image_size={self.height}x{self.width}")
        if not 0 <= self.discriminator_layers <= 8:
            raise ConfigError(
                f"`discriminator_layers` must be in [0, 8]. Received: {self.discriminator_layers}")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise ConfigError(f"`dropout_rate` must be in [0, 1). Received: {self.dropout_rate}")
        if self.dropout_blocks is not None and self.dropout_blocks < 0:
            raise ConfigError(f"`dropout_blocks` must be >= 0 or None. "
                             f"Received: dropout_blocks={self.dropout_blocks}")
        if self.load_size is not None and self.load_size < min(self.image_size):
            raise ConfigError(
                f"`load_size` must be >= the crop size {min(self.image_size)}. "
                f"Received: load_size={self.load_size}")
        if self.lr_schedule == "linear_decay" and self.decay_epochs < 1:
            raise ConfigError(f"`decay_epochs` must be >= 1. Received: {self.decay_epochs}")
        if self.val_fraction is not None and not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"`val_fraction` must be in (0, 1). Received: {self.val_fraction}")
        if not self.save_every_minutes >= 0:  # (also refuses NaN)
            raise ConfigError("`save_every_minutes` must be >= 0. "
                              f"Received: save_every_minutes={self.save_every_minutes}")
        if self.adam_epsilon <= 0:
            raise ConfigError(f"`adam_epsilon` must be > 0. Received: {self.adam_epsilon}")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Pix2PixConfig:
        """The config of a named preset ("default", "paper", "mobile", "reference") with
        `overrides`."""
        if name not in PRESETS:
            raise ConfigError(f"Unknown preset. Choose from {tuple(PRESETS)}. Received: {name!r}")
        return cls(**{**PRESETS[name], **overrides})

    # --- data defaults ------------------------------------------------------------
    def with_data_defaults(self, defaults: dict[str, Any], where: str) -> Pix2PixConfig:
        """Applies what the data implies (`PairSource.defaults`) to the options left unset.

        An option set explicitly wins; where it contradicts the data, a warning names both.
        """
        changes = {}
        for key, value in defaults.items():
            if self.is_set(key):
                if getattr(self, key) != value:
                    warnings.warn(
                        f"{where}: the data's usual {key} is {value}, the config says "
                        f"{getattr(self, key)}; training {key}={getattr(self, key)} as configured.",
                        stacklevel=2)
            else:
                changes[key] = value
        if not changes:
            return self
        new = dataclasses.replace(self, **changes)
        object.__setattr__(new, "_from_data", frozenset())  # now decided
        return new

    # --- serialisation ------------------------------------------------------------
    def replace(self, **changes: Any) -> Pix2PixConfig:
        """Returns a copy with `changes` applied (and validated); options left to the
        data stay so unless changed."""
        unset = {k: None for k in self._from_data if k not in changes}
        return dataclasses.replace(self, **unset, **changes)

    def to_dict(self, group: str | None = None) -> dict[str, Any]:
        """All options as a JSON-able dict, or those of one `group`."""
        d = dataclasses.asdict(self)
        d["image_size"] = list(self.image_size)
        if group is not None:
            d = {f.name: d[f.name] for f in dataclasses.fields(self)
                 if f.metadata["group"] == group}
        return d

    def architecture(self) -> dict[str, Any]:
        """The architecture options: what a saved generator or discriminator keeps."""
        return self.to_dict(ARCHITECTURE)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "config",
                  strict: bool = False) -> Pix2PixConfig:
        """A config from a dict; unknown keys are ignored with a warning (an error with
        `strict`), so files written by other versions keep loading."""
        d = dict(d)
        if "inference_batch_stats" in d:  # 0.1's boolean, now one of `inference_mode`
            d.setdefault("inference_mode",
                         "batch_stats" if d.pop("inference_batch_stats") else "moving_stats")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            message = f"{source}: unknown Pix2PixConfig option(s) {unknown}"
            if strict:
                raise ConfigError(message + ".")
            warnings.warn(message + " ignored (written by another version?).", stacklevel=2)
        return cls(**{k: v for k, v in d.items() if k in known})

    def save(self, path: str | os.PathLike) -> None:
        """Writes the config as JSON (atomically)."""
        from pix2pix_tf import atomic

        atomic.write_text(path, json.dumps(self.to_dict(), indent=2))

    def given_for_resume(self, saved: Pix2PixConfig) -> dict[str, Any]:
        """The options of `self` that differ from the `saved` run's config, as given.

        An option left to be resolved (a data-implied one left to the data, `seed=None`,
        `precision="auto"` or None) counts as not given: the run's recorded value applies.
        """
        resolved_later = {"seed": (None,), "precision": ("auto", None)}
        given = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _DATA_IMPLIED and not self.is_set(f.name):
                continue
            if value in resolved_later.get(f.name, ()):
                continue
            if value != getattr(saved, f.name):
                given[f.name] = value
        return given

    def resumed(self, given: dict[str, Any], where: str) -> Pix2PixConfig:
        """This saved run's config with the `given` options that may change on resume.

        Raises:
            ConfigError: a given option would change what is trained (one line naming
                the option, both values and `where` the run's config is).
        """
        for name, value in given.items():
            if name in RESUMABLE:
                continue
            if name == "image_size":
                value = _parse_size(value)
            if value != getattr(self, name):
                raise ConfigError(
                    f"{where}: `{name}` cannot change when resuming (the run was trained "
                    f"with {name}={getattr(self, name)!r}; only {', '.join(sorted(RESUMABLE))} "
                    f"may change). Received: {name}={value!r}")
        return self.replace(**{k: v for k, v in given.items() if k in RESUMABLE})

    @classmethod
    def load(cls, path: str | os.PathLike) -> Pix2PixConfig:
        """Reads a config written by `save`; a damaged or foreign file is a `DataError`
        naming it."""
        try:
            with open(path) as f:
                d = json.load(f)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}: damaged config file, not valid JSON "
                            f"(line {e.lineno}, column {e.colno}).") from None
        except UnicodeDecodeError:
            raise DataError(f"{path}: damaged config file (not text).") from None
        if not isinstance(d, dict):
            raise DataError(f"{path}: not a Pix2PixConfig file (a JSON "
                            f"{type(d).__name__}, not an object).")
        try:
            return cls.from_dict(_with_saved_defaults(d), source=str(path))
        except (TypeError, ValueError) as e:
            raise DataError(f"{path}: invalid config: {e}") from None


def loaded_architecture(config: dict | None) -> dict | None:
    """The architecture dict of a model read from its file, to build it with.

    A model file keeps no precision: a loaded network computes in Keras' global policy
    (float32 unless set), as its exports do; precision="auto" is for training.
    """
    if not isinstance(config, dict):
        return config
    return {**_with_saved_defaults(config), "precision": None}


# Defaults that changed: a file written before keeps what it was trained with.
_SAVED_BEFORE = {"upsample": "transpose"}  # resize became the default on 2026-12-04


def _with_saved_defaults(d: dict) -> dict:
    return {**_SAVED_BEFORE, **d}


def as_config(config: Pix2PixConfig | dict | None) -> Pix2PixConfig:
    """A `Pix2PixConfig` from itself, its dict (as in saved models), or None (defaults)."""
    if config is None:
        return Pix2PixConfig()
    if isinstance(config, dict):
        return Pix2PixConfig.from_dict(config, source="saved model config")
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
        raise ConfigError(
            f"`image_size` must be N or (height, width). Received: image_size={size!r}") from None
    if h < 1 or w < 1:
        raise ConfigError(f"`image_size` must be positive. Received: image_size={size!r}")
    return (h, w)


def cli_fields() -> list[dataclasses.Field]:
    """The config fields exposed as CLI flags (all of them, by default)."""
    return [f for f in dataclasses.fields(Pix2PixConfig) if f.metadata.get("cli", True)]
