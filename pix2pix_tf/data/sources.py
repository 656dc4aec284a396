"""Where paired examples come from: folders, archives, dataset names, the built-in set.

A `PairSource` is a list of examples that the pipeline can index: file paths,
encoded image bytes or decoded arrays, in one of two layouts — `"ab"` (one image,
A on the left half and B on the right, the Pix2Pix datasets' layout) or `"pair"`
(A and B stored separately). Folders are checked with Pillow before training, so
a bad file is reported by name instead of failing deep inside `tf.data`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


@dataclass
class PairSource:
    """Indexable paired examples.

    Attributes:
        layout: "ab" (side-by-side A|B images), "pair" (A and B separate) or
            "task" (one photo per example; `task` names how A and B are made from
            it, see `pix2pix_tf.data.tasks`).
        storage: "files" (paths), "bytes" (encoded images), "arrays" (uint8 arrays)
            or "random_access" (a sequence read on demand, e.g. a TFDS data source:
            `a[i]` is encoded image bytes).
        a: paths / bytes / array of A (or of the A|B images).
        b: the same for B with layout "pair", else None.
        names: a name per example (file name) for messages.
        description: where the examples come from.
        skipped: bad files skipped (with `skip_bad_files`).
        defaults: config values the data implies when the config leaves them unset
            (a dataset's usual `direction`, a task's `input_channels`).
        spec: the `--data` spec that recreates this source (recorded in run.json),
            or None when it was built in Python.
    """

    layout: str
    storage: str
    a: list | np.ndarray
    b: list | np.ndarray | None
    names: list[str]
    description: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    defaults: dict = field(default_factory=dict)
    spec: str | None = None
    task: str | None = None

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, indices, description: str | None = None) -> PairSource:
        """The examples at `indices` (e.g. a held-out split), as a new source."""
        indices = [int(i) for i in indices]

        def pick(values):
            if values is None:
                return None
            if isinstance(values, np.ndarray):
                return values[indices]
            if self.storage == "random_access":
                return _View(values, indices)
            return [values[i] for i in indices]

        return dataclasses.replace(
            self, a=pick(self.a), b=pick(self.b), names=pick(self.names), spec=None,
            description=description or f"{self.description}, {len(indices)} selected")

    def split(self, holdout: int, seed: int = 0) -> tuple[PairSource, PairSource]:
        """`(rest, held_out)`: `holdout` examples drawn by a seeded permutation, so the
        same source and seed always hold out the same pairs."""
        if not 0 < holdout < len(self):
            raise ValueError(f"`holdout` must be in [1, {len(self) - 1}]. "
                             f"Received: holdout={holdout}")
        order = np.random.default_rng(seed).permutation(len(self))
        held, rest = sorted(order[:holdout]), sorted(order[holdout:])
        return (self.subset(rest, f"{self.description} minus {holdout} held out"),
                self.subset(held, f"{self.description}, {holdout} held out (seed {seed})"))

    def split_fraction(self, fraction: float, seed: int = 0) -> tuple[PairSource, PairSource]:
        """`split` holding out `fraction` of the examples (at least one): what
        `train --val-fraction` validates on and `evaluate --val-fraction` scores."""
        held = max(1, round(fraction * len(self)))
        if held >= len(self):
            raise DataError(f"{self.description}: {len(self)} pair(s) cannot spare {held} "
                            f"for a held-out fraction of {fraction}.")
        return self.split(held, seed)


class _View:
    """Selected indices of a random-access sequence, without reading it."""

    def __init__(self, values, indices: list[int]):
        self.values, self.indices = values, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        return self.values[self.indices[int(i)]]

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def list_images(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """`(images, non-images)` of a folder: image files sorted by name, and
    `(path, reason)` for the other files (hidden files and subfolders are ignored)."""
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder.")
    files, bad = [], []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.is_dir():
            continue  # hidden files (.DS_Store) and subfolders
        if p.suffix.lower() in IMAGE_EXTENSIONS:
            files.append(p)
        else:
            bad.append((str(p), f"not an image file (supported: {' '.join(IMAGE_EXTENSIONS)})"))
    if not files and not bad:
        raise DataError(f"{folder}: the folder is empty (no {'/'.join(IMAGE_EXTENSIONS)} files).")
    return files, bad


def _inspect(path: Path) -> tuple[tuple[int, int] | None, str | None]:
    """`((width, height), None)` for a readable image, else `(None, reason)`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            size, mode = im.size, im.mode
            im.load()  # full decode: catches truncated and corrupt files
    except UnidentifiedImageError:
        return None, "not an image, or a corrupt one (cannot identify the image format)"
    except Image.DecompressionBombError as e:
        # Not an OSError; left uncaught it ended the folder scan with a traceback.
        return None, _bomb_reason(e)
    except (OSError, SyntaxError, ValueError) as e:
        return None, f"corrupt or truncated image ({e})"
    if mode == "CMYK":
        return None, "CMYK images are not supported; convert it to RGB"
    return size, None


def _bomb_reason(e: Exception) -> str:
    # e.g. "Image size (400000000 pixels) exceeds limit of 178956970 pixels"
    return f"image too large to decode safely ({str(e).split(',')[0]})"


def check_pixel_count(path: str | os.PathLike) -> None:
    """Raises `DataError` naming `path` when its header declares more pixels than
    Pillow's decompression-bomb limit; reads the header only (other problems are left
    to the decoder that follows)."""
    from PIL import Image

    try:
        with Image.open(path):
            pass
    except Image.DecompressionBombError as e:
        raise DataError(f"{path}: {_bomb_reason(e)}.") from None
    except Exception:  # noqa: BLE001  (not an image Pillow knows: the decoder reports it)
        pass


def default_data_dir() -> Path:
    """The package's cache folder: `$PIX2PIX_DATA_DIR`, else `~/.cache/pix2pix_tf`."""
    return Path(os.environ.get("PIX2PIX_DATA_DIR", Path.home() / ".cache" / "pix2pix_tf"))


def _scan_cache(folder: Path) -> Path:
    key = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:16]
    return default_data_dir() / "scans" / f"{key}.json"


def _inspect_all(paths: list[Path]) -> list[tuple[tuple[int, int] | None, str | None]]:
    """`_inspect` of every path; results of files unchanged since the last scan (same
    size and modification time) come from a cache, so a start or a resume does not
    decode every image of a large folder again."""
    by_folder: dict[Path, dict] = {}
    for p in paths:
        by_folder.setdefault(p.parent, {})
    for folder in by_folder:
        try:
            by_folder[folder] = json.loads(_scan_cache(folder).read_text())
        except (OSError, ValueError):
            by_folder[folder] = {}
    stats = [p.stat() for p in paths]
    keys = [f"{p.name}|{st.st_size}|{st.st_mtime_ns}" for p, st in zip(paths, stats)]
    results: list = [by_folder[p.parent].get(k) for p, k in zip(paths, keys)]
    todo = [i for i, r in enumerate(results) if r is None]
    if todo:
        with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
            for i, r in zip(todo, pool.map(_inspect, [paths[i] for i in todo])):
                results[i] = [list(r[0]) if r[0] else None, r[1]]
        for folder in by_folder:
            fresh = {k: r for p, k, r in zip(paths, keys, results) if p.parent == folder}
            try:  # a cache: a read-only home folder only costs the next scan's time
                target = _scan_cache(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                from pix2pix_tf.atomic import write_text

                write_text(target, json.dumps(fresh))
            except (OSError, DataError):
                pass
    return [(tuple(r[0]) if r[0] else None, r[1]) for r in results]


def _crop_problem(size: tuple[int, int], config: Pix2PixConfig) -> str | None:
    w, h = size
    if config.preprocess == "crop" and (h < config.height or w < config.width):
        return (f"image is {w}x{h} (WxH), smaller than the crop size "
                f"{config.width}x{config.height}; use --preprocess resize_and_crop or a "
                "smaller --image-size")
    return None


def _finish(bad: list[tuple[str, str]], good: int, config: Pix2PixConfig, where: str) -> None:
    """Raises on bad files unless `skip_bad_files`; raises if nothing is left."""
    if bad and not config.skip_bad_files:
        path, reason = bad[0]
        more = f" (and {len(bad) - 1} more bad file(s))" if len(bad) > 1 else ""
        raise DataError(f"{path}: {reason}{more}. Fix or remove it, or pass --skip-bad-files.")
    if bad:
        print(f"Skipped {len(bad)} unreadable file(s) in {where}, e.g. {bad[0][0]}: {bad[0][1]}")
    if good == 0:
        raise DataError(f"{where}: no usable image pairs.")


def _scan_folder(folder: Path, config: Pix2PixConfig, check) -> tuple[list[Path], list]:
    """Images of `folder` that decode and pass `check(size) -> reason | None`."""
    files, bad = list_images(folder)
    keep = []
    for path, (size, reason) in zip(files, _inspect_all(files)):
        reason = reason or check(size)
        if reason:
            bad.append((str(path), reason))
        else:
            keep.append(path)
    _finish(bad, len(keep), config, str(folder))
    return keep, bad


def ab_folder(folder: str | os.PathLike, config: Pix2PixConfig) -> PairSource:
    """Side-by-side A|B images in one folder (the Pix2Pix datasets' layout)."""
    def check(size):
        if size[0] % 2:
            return f"A|B image has odd width {size[0]}: it cannot be split into two equal halves"
        return _crop_problem((size[0] // 2, size[1]), config)

    folder = Path(folder)
    keep, bad = _scan_folder(folder, config, check)
    return PairSource("ab", "files", [str(p) for p in keep], None, [p.name for p in keep],
                      f"A|B images in {folder}", skipped=bad)


def paired_folders(a_dir: str | os.PathLike, b_dir: str | os.PathLike,
                   config: Pix2PixConfig) -> PairSource:
    """Two folders `A/` and `B/` whose images pair up by file name (extension ignored)."""
    a_dir, b_dir = Path(a_dir), Path(b_dir)
    a_files, bad = list_images(a_dir)
    b_files, b_bad = list_images(b_dir)
    bad += b_bad
    a_by, b_by = {p.stem: p for p in a_files}, {p.stem: p for p in b_files}
    only_a, only_b = sorted(set(a_by) - set(b_by)), sorted(set(b_by) - set(a_by))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"{len(only_a)} in {a_dir} without a match in {b_dir} "
                         f"(e.g. {a_by[only_a[0]].name})")
        if only_b:
            parts.append(f"{len(only_b)} in {b_dir} without a match in {a_dir} "
                         f"(e.g. {b_by[only_b[0]].name})")
        raise DataError("Unmatched file names: " + "; ".join(parts) +
                        ". A and B images pair up by file name.")
    stems = sorted(a_by)
    infos = _inspect_all([a_by[s] for s in stems] + [b_by[s] for s in stems])
    keep = []
    for i, s in enumerate(stems):
        (sa, ra), (sb, rb) = infos[i], infos[len(stems) + i]
        if ra or rb:
            bad.append((str(a_by[s] if ra else b_by[s]), ra or rb))
        elif sa != sb:
            bad.append((str(b_by[s]), f"size {sb[0]}x{sb[1]} differs from its pair "
                                      f"{a_by[s]} ({sa[0]}x{sa[1]})"))
        elif problem := _crop_problem(sa, config):
            bad.append((str(a_by[s]), problem))
        else:
            keep.append(s)
    _finish(bad, len(keep), config, f"{a_dir} + {b_dir}")
    return PairSource("pair", "files", [str(a_by[s]) for s in keep],
                      [str(b_by[s]) for s in keep], [a_by[s].name for s in keep],
                      f"paired folders {a_dir} and {b_dir}", skipped=bad)


def task_folder(folder: str | os.PathLike, config: Pix2PixConfig, task: str) -> PairSource:
    """Self-paired examples from any folder of photos: `task` (a name in
    `pix2pix_tf.data.tasks.TASKS`) makes A and B from each photo in the pipeline."""
    from pix2pix_tf.data.tasks import TASKS

    folder = Path(folder)
    keep, bad = _scan_folder(folder, config, lambda size: _crop_problem(size, config))
    return PairSource("task", "files", [str(p) for p in keep], None, [p.name for p in keep],
                      f"{TASKS[task].description} from {folder}", skipped=bad,
                      defaults=dict(TASKS[task].defaults), task=task)


def colorize_folder(folder: str | os.PathLike, config: Pix2PixConfig) -> PairSource:
    """Self-paired colourisation: any folder of colour images; A = grayscale, B = colour."""
    return task_folder(folder, config, "colorize")


def builtin(config: Pix2PixConfig, split: str = "train") -> PairSource:
    """The built-in procedural dataset (label map -> facade picture); no download."""
    from pix2pix_tf.data.synthetic import synthetic_facades

    n, offset = (200, 0) if split == "train" else (16, 1_000_000)
    labels, photos = synthetic_facades(n, config.load_height_width, seed=offset)
    return PairSource("pair", "arrays", labels, photos, [f"synthetic_{i:04d}" for i in range(n)],
                      f"built-in synthetic facades ({split}, {n} pairs)",
                      defaults={"direction": "AtoB"}, spec="builtin")
