"""The standard Pix2Pix datasets (facades, cityscapes, maps, edges2shoes, ...).

A TensorFlow Datasets builder, `Pix2pixPaired`, with one builder config per
dataset: it downloads the `.tar.gz` archive from the Pix2Pix authors' host (or
takes an archive already on disk), verifies its SHA-256, extracts it and writes
TFDS records of the side-by-side A|B JPEGs. TFDS has no paired builder for these
(only the unpaired `cycle_gan`).

Checksums: the authors publish none. The first download records the archive's
SHA-256 beside it (`NAME.tar.gz.sha256`) and every later use verifies it; pass
`sha256=` to verify the very first download too.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

from pix2pix_tf.config import Pix2PixConfig
from pix2pix_tf.data.sources import ARCHIVE_SUFFIXES, PairSource, default_data_dir
from pix2pix_tf.errors import DataError

BASE_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/"
# name -> (splits in the archive, usual translation direction)
STANDARD_DATASETS: dict[str, tuple[tuple[str, ...], str]] = {
    "facades": (("train", "val", "test"), "BtoA"),      # labels -> photo
    "cityscapes": (("train", "val"), "BtoA"),            # labels -> photo
    "maps": (("train", "val"), "AtoB"),                  # aerial -> map
    "edges2shoes": (("train", "val"), "AtoB"),           # edges -> photo
    "edges2handbags": (("train", "val"), "AtoB"),        # edges -> photo
    "night2day": (("train", "val", "test"), "AtoB"),     # night -> day
}
CITATION = """@inproceedings{isola2017image,
  title={Image-to-Image Translation with Conditional Adversarial Networks},
  author={Isola, Phillip and Zhu, Jun-Yan and Zhou, Tinghui and Efros, Alexei A},
  booktitle={CVPR}, year={2017}}"""


def name_from_archive(path: str | os.PathLike) -> str:
    name = Path(path).name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name not in STANDARD_DATASETS:
        raise DataError(f"{path}: archive name {name!r} is not a known dataset "
                        f"({', '.join(STANDARD_DATASETS)}).")
    return name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_archive(name: str, cache_dir: str | os.PathLike, url: str | None = None,
                  sha256: str | None = None) -> Path:
    """Downloads `name.tar.gz` into `cache_dir` once, verifying its SHA-256.

    Args:
        name: a dataset name from `STANDARD_DATASETS`.
        cache_dir: where the archive is kept; an archive already there is reused
            (offline use).
        url: override of the download address.
        sha256: expected checksum; default: the one recorded at the first download.

    Returns:
        The path of the verified archive.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{name}.tar.gz"
    record = path.with_name(path.name + ".sha256")
    expected = sha256 or (record.read_text().split()[0] if record.exists() else None)
    if not path.exists():
        url = url or f"{BASE_URL}{name}.tar.gz"
        tmp = path.with_name(path.name + ".part")
        print(f"Downloading {url} -> {path}")
        try:
            with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
                while chunk := r.read(1 << 20):
                    f.write(chunk)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise DataError(
                f"Could not download dataset {name!r} from {url}: {e}. Without network, "
                f"download {name}.tar.gz elsewhere and pass its path to --data.") from None
        os.replace(tmp, path)
    digest = _sha256(path)
    if expected and digest != expected:
        raise DataError(f"{path}: SHA-256 {digest} does not match the expected {expected}; "
                        "the file is corrupt or not the dataset. Delete it to download again.")
    if not record.exists():
        record.write_text(f"{digest}  {path.name}\n")
    return path


def _builder_class():
    """Defines the TFDS builder on first use (importing TFDS takes seconds)."""
    global _BUILDER
    if _BUILDER is not None:
        return _BUILDER
    import tensorflow_datasets as tfds

    class Pix2pixPaired(tfds.core.GeneratorBasedBuilder):
        """Paired Pix2Pix datasets: each example a side-by-side A|B JPEG."""

        VERSION = tfds.core.Version("1.1.0")
        RELEASE_NOTES = {"1.0.0": "TFRecord files, read whole into memory.",
                         "1.1.0": "ArrayRecord files: random access, streamed."}
        BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=n, description=f"Pix2Pix {n}")
                           for n in STANDARD_DATASETS]

        def __init__(self, *, cache_dir, archive=None, url=None, sha256=None, **kwargs):
            self._cache_dir, self._archive = cache_dir, archive
            self._url, self._sha256 = url, sha256
            super().__init__(**kwargs)

        def _info(self):
            return self.dataset_info_from_configs(
                features=tfds.features.FeaturesDict({
                    "image": tfds.features.Image(encoding_format="jpeg"),
                    "file_name": tfds.features.Text(),
                }),
                homepage="https://phillipi.github.io/pix2pix/",
                citation=CITATION,
            )

        def _split_generators(self, dl_manager):
            name = self.builder_config.name
            archive = self._archive or fetch_archive(name, self._cache_dir, self._url,
                                                     self._sha256)
            root = Path(dl_manager.extract(str(archive)))
            base = root / name if (root / name).is_dir() else root
            splits = {s: base / s for s in STANDARD_DATASETS[name][0] if (base / s).is_dir()}
            if "train" not in splits:
                raise DataError(f"{archive}: no {name}/train folder inside the archive.")
            return {s: self._generate_examples(p) for s, p in splits.items()}

        def _generate_examples(self, folder):
            for f in sorted(Path(folder).iterdir()):
                if f.suffix.lower() in (".jpg", ".jpeg", ".png"):
                    yield f.name, {"image": str(f), "file_name": f.name}

    _BUILDER = Pix2pixPaired
    return _BUILDER


_BUILDER = None


def standard_dataset(name: str, config: Pix2PixConfig, split: str = "train",
                     data_dir: str | os.PathLike | None = None,
                     archive: str | os.PathLike | None = None, url: str | None = None,
                     sha256: str | None = None) -> PairSource | None:
    """A standard dataset's split as a `PairSource` (downloaded and prepared once).

    Args:
        name: one of `STANDARD_DATASETS`.
        config: the configuration.
        split: "train", "val" or "test"; None is returned for a split the dataset lacks.
        data_dir: TFDS data folder (default `~/.cache/pix2pix_tf`, or `$PIX2PIX_DATA_DIR`).
        archive: an already downloaded `NAME.tar.gz` (no network needed).
        url, sha256: download address and expected checksum overrides.
    """
    if name not in STANDARD_DATASETS:
        raise DataError(f"Unknown dataset {name!r}. Known datasets: "
                        f"{', '.join(STANDARD_DATASETS)}.")
    import tensorflow_datasets as tfds

    data_dir = Path(data_dir or default_data_dir())
    builder = _builder_class()(config=name, data_dir=str(data_dir / "tfds"),
                               cache_dir=data_dir / "downloads", archive=archive, url=url,
                               sha256=sha256)
    # ArrayRecord: random access by index, so the pipeline streams examples from disk
    # (in its own seeded order, resumable) instead of holding the dataset in memory.
    builder.download_and_prepare(
        download_dir=str(data_dir / "downloads"),
        download_config=tfds.download.DownloadConfig(verify_ssl=True),
        file_format="array_record")
    if split not in builder.info.splits:
        return None
    records = builder.as_data_source(split, decoders={"image": tfds.decode.SkipDecoding()})
    images = _ImageBytes(records)
    names = [f"{name}/{split}#{i}" for i in range(len(images))]
    return PairSource("ab", "random_access", images, None, names,
                      f"{name}/{split} ({len(names)} pairs)",
                      defaults={"direction": STANDARD_DATASETS[name][1]})


class _ImageBytes:
    """Encoded image bytes of a TFDS data source, by index (read on demand)."""

    def __init__(self, records):
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> bytes:
        return self.records[int(i)]["image"]

    def __iter__(self):
        return (self[i] for i in range(len(self)))
