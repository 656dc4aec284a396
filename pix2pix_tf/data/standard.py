"""The standard Pix2Pix datasets (facades, cityscapes, maps, edges2shoes, ...).

A TensorFlow Datasets builder, `Pix2pixPaired`, with one builder config per
dataset: it downloads the `.tar.gz` archive from the Pix2Pix authors' host (or
takes an archive already on disk), verifies its SHA-256, extracts it and writes
TFDS records of the side-by-side A|B JPEGs. TFDS has no paired builder for these
(only the unpaired `cycle_gan`).

Checksums: the authors publish none. `checksums.tsv` beside this module (TFDS's
url_checksums format) lists the sizes and SHA-256 found elsewhere, and every use of
an archive (downloaded or passed as a path) is verified against it. For an archive
not listed there, a download must match its Content-Length (a connection that ends
early is an error, not an archive), the first whole download records its SHA-256
beside it (`NAME.tar.gz.sha256`), and every later use verifies that; pass `sha256=`
to verify the very first download too.
"""

from __future__ import annotations

import hashlib
import http.client
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


CHECKSUMS = Path(__file__).with_name("checksums.tsv")


def committed_checksums() -> dict[str, tuple[int, str]]:
    """`{file name: (size in bytes, sha256)}` from `CHECKSUMS`."""
    table = {}
    try:
        lines = CHECKSUMS.read_text().splitlines()
    except OSError:
        return table
    for line in lines:
        if line.strip() and not line.startswith("#"):
            url, size, digest, *name = line.split("\t")
            table[name[0] if name else url.rsplit("/", 1)[-1]] = (int(size), digest.lower())
    return table


def verify_archive(path: str | os.PathLike, sha256: str | None = None,
                   record: Path | None = None) -> str:
    """Checks an archive against `sha256`, else its committed size and SHA-256 (if
    listed); returns its SHA-256. Raises `DataError` naming the file on a mismatch
    (and `record`, the file `sha256` was read from, if any)."""
    path = Path(path)
    size, committed = committed_checksums().get(path.name, (None, None))
    actual = path.stat().st_size
    if size is not None and actual != size:
        raise DataError(f"{path}: {actual} bytes, but the archive has {size} (a download "
                        "that ended early, or another file). Delete it to download again.")
    digest = _sha256(path)
    expected = sha256 or committed
    if expected and digest != expected.lower():
        delete = f"it and {record}" if record else "it"
        raise DataError(f"{path}: SHA-256 {digest} does not match the expected {expected}"
                        + (f" (recorded in {record})" if record else "")
                        + f"; the file is corrupt or not the dataset. Delete {delete} to "
                        "download again.")
    return digest


def _download(url: str, tmp: Path, size: int | None) -> None:
    """`url` into `tmp`; raises `OSError` when fewer bytes arrive than the server's
    Content-Length or the committed `size` (urllib returns a short body silently)."""
    got = 0
    with urllib.request.urlopen(url, timeout=60) as r, open(tmp, "wb") as f:
        length = r.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        while chunk := r.read(1 << 20):
            f.write(chunk)
            got += len(chunk)
    for want, what in ((expected, "Content-Length"), (size, "committed size")):
        if want is not None and got != want:
            raise OSError(f"the download ended early or ran long: {got} of {want} bytes "
                          f"({what})")


def fetch_archive(name: str, cache_dir: str | os.PathLike, url: str | None = None,
                  sha256: str | None = None) -> Path:
    """Downloads `name.tar.gz` into `cache_dir` once, verifying its size and SHA-256.

    Args:
        name: a dataset name from `STANDARD_DATASETS`.
        cache_dir: where the archive is kept; an archive already there is reused
            (offline use) and verified again.
        url: override of the download address.
        sha256: expected checksum; default: the committed one (`checksums.tsv`), else
            the one recorded at the first whole download.

    Returns:
        The path of the verified archive.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{name}.tar.gz"
    record = path.with_name(path.name + ".sha256")
    size, committed = committed_checksums().get(path.name, (None, None))
    recorded = record.read_text().split()[0] if record.exists() else None
    expected = sha256 or committed or recorded
    if not path.exists():
        url = url or f"{BASE_URL}{name}.tar.gz"
        tmp = path.with_name(path.name + ".part")
        print(f"Downloading {url} -> {path}")
        try:
            _download(url, tmp, size)
        except (OSError, http.client.HTTPException) as e:
            # A partial file is never kept, so never recorded as the reference hash.
            tmp.unlink(missing_ok=True)
            raise DataError(
                f"Could not download dataset {name!r} from {url}: {e}. Without network, "
                f"download {name}.tar.gz elsewhere and pass its path to --data.") from None
        os.replace(tmp, path)
    digest = verify_archive(path, expected, record if expected == recorded else None)
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
            if self._archive:  # a path the user passed: checked like a download
                verify_archive(self._archive, self._sha256)
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
