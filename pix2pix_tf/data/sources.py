"""Where paired examples come from: folders, archives, dataset names, the built-in set.

A `PairSource` is a list of examples that the pipeline can index: file paths,
encoded image bytes or decoded arrays, in one of two layouts — `"ab"` (one image,
A on the left half and B on the right, the Pix2Pix datasets' layout) or `"pair"`
(A and B stored separately). Folders are checked with Pillow before training, so
a bad file is reported by name instead of failing deep inside `tf.data`.
"""

from __future__ import annotations

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
            "colorize" (one colour image per example: A is its grayscale, B itself).
        storage: "files" (paths), "bytes" (encoded images) or "arrays" (uint8 arrays).
        a: paths / bytes / array of A (or of the A|B images).
        b: the same for B with layout "pair", else None.
        names: a name per example (file name) for messages.
        description: where the examples come from.
        skipped: bad files skipped (with `skip_bad_files`).
        direction: the dataset's usual direction, if known.
    """

    layout: str
    storage: str
    a: list | np.ndarray
    b: list | np.ndarray | None
    names: list[str]
    description: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    direction: str | None = None

    def __len__(self) -> int:
        return len(self.names)


def _list_images(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
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
    except (OSError, SyntaxError, ValueError) as e:
        return None, f"corrupt or truncated image ({e})"
    if mode == "CMYK":
        return None, "CMYK images are not supported; convert it to RGB"
    return size, None


def _inspect_all(paths: list[Path]) -> list[tuple[tuple[int, int] | None, str | None]]:
    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
        return list(pool.map(_inspect, paths))


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
    files, bad = _list_images(folder)
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
    a_files, bad = _list_images(a_dir)
    b_files, b_bad = _list_images(b_dir)
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


def colorize_folder(folder: str | os.PathLike, config: Pix2PixConfig) -> PairSource:
    """Self-paired colourisation: any folder of colour images; A = grayscale, B = colour."""
    folder = Path(folder)
    keep, bad = _scan_folder(folder, config, lambda size: _crop_problem(size, config))
    return PairSource("colorize", "files", [str(p) for p in keep], None, [p.name for p in keep],
                      f"colourisation pairs from {folder}", skipped=bad, direction="AtoB")


# Self-paired tasks: `--data TASK:FOLDER` builds the pairs from single images, with the
# config values the task needs when the user sets none.
TASKS = {"colorize": (colorize_folder, {"input_channels": 1, "output_channels": 3,
                                        "direction": "AtoB"})}


def builtin(config: Pix2PixConfig, split: str = "train") -> PairSource:
    """The built-in procedural dataset (label map -> facade picture); no download."""
    from pix2pix_tf.data.synthetic import synthetic_facades

    n, offset = (200, 0) if split == "train" else (16, 1_000_000)
    labels, photos = synthetic_facades(n, config.load_height_width, seed=offset)
    return PairSource("pair", "arrays", labels, photos, [f"synthetic_{i:04d}" for i in range(n)],
                      f"built-in synthetic facades ({split}, {n} pairs)", direction="AtoB")


def resolve_data(spec: str | os.PathLike | None, config: Pix2PixConfig, split: str = "train",
                 data_dir: str | os.PathLike | None = None) -> PairSource | None:
    """Turns `--data` into a `PairSource`.

    Args:
        spec: None (built-in data); a folder of A|B images; a folder with `A/` and `B/`;
            a dataset folder with `train/` (and `val/`) inside; a downloaded archive
            (`facades.tar.gz`); a standard dataset name (`facades`, `maps`, ...); or a
            self-paired task on a folder of plain images, `colorize:PATH`.
        config: the configuration (channels, crop size, `skip_bad_files`).
        split: "train" or "val"/"test".
        data_dir: cache folder for standard datasets.

    Returns:
        The source, or None when a folder has no such split (e.g. no `val/`).
    """
    from pix2pix_tf.data import standard

    if spec is None or str(spec) == "builtin":
        return builtin(config, split)
    task, sep, rest = str(spec).partition(":")
    if sep and task in TASKS:
        folder = Path(rest)
        if (folder / split).is_dir():
            folder = folder / split
        elif split != "train":
            return None
        return TASKS[task][0](folder, config)
    path = Path(spec)
    if path.is_dir():
        if (path / split).is_dir():
            path = path / split
        elif split != "train":
            return None
        if (path / "A").is_dir() and (path / "B").is_dir():
            return paired_folders(path / "A", path / "B", config)
        return ab_folder(path, config)
    if path.is_file():
        if not str(path).lower().endswith(ARCHIVE_SUFFIXES):
            raise DataError(f"--data {spec}: a file, but not a dataset archive "
                            f"({' '.join(ARCHIVE_SUFFIXES)}) nor a folder.")
        return standard.standard_dataset(standard.name_from_archive(path), config, split,
                                         data_dir=data_dir, archive=path)
    if str(spec) in standard.STANDARD_DATASETS:
        return standard.standard_dataset(str(spec), config, split, data_dir=data_dir)
    raise DataError(
        f"--data {spec}: no such folder or archive, and not a dataset name "
        f"(known datasets: {', '.join(standard.STANDARD_DATASETS)}; self-paired tasks: "
        f"{', '.join(t + ':FOLDER' for t in TASKS)}).")
