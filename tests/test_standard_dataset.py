"""The standard-dataset TFDS builder, on a small archive the test writes (no network:
the download path is exercised against a server on 127.0.0.1)."""

import hashlib
import http.server
import tarfile
import threading
from functools import partial

import pytest
from conftest import random_image, write_image

from pix2pix_tf import DataError
from pix2pix_tf.data import make_dataset, resolve_data, standard_dataset
from pix2pix_tf.data.standard import fetch_archive


@pytest.fixture
def facades_archive(tmp_path):
    """A miniature `facades.tar.gz` with the real archive's layout."""
    src = tmp_path / "src" / "facades"
    for split, n in (("train", 3), ("val", 2)):
        for i in range(n):
            write_image(src / split / f"{i + 1}.jpg", random_image(32, 64, seed=i))
    archive = tmp_path / "facades.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="facades")
    return archive


@pytest.fixture
def server(facades_archive):
    """Serves the archive's folder on 127.0.0.1; stops by itself after the test."""
    handler = partial(http.server.SimpleHTTPRequestHandler,
                      directory=str(facades_archive.parent))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_builder_from_a_local_archive(facades_archive, tmp_path, config):
    train = standard_dataset("facades", config, "train", data_dir=tmp_path / "cache",
                             archive=facades_archive)
    val = standard_dataset("facades", config, "val", data_dir=tmp_path / "cache",
                           archive=facades_archive)
    assert (len(train), len(val)) == (3, 2)
    assert train.defaults == {"direction": "BtoA"} and train.layout == "ab"
    assert standard_dataset("facades", config, "test", data_dir=tmp_path / "cache",
                            archive=facades_archive) is None
    x, y = next(iter(make_dataset(train, config)))
    assert x.shape == (1, 32, 32, 3)
    # Streamed from the prepared records on demand, not held as a list in memory.
    assert train.storage == "random_access" and not isinstance(train.a, list)
    held, rest = train.split(1)[1], train.split(1)[0]
    assert len(held) == 1 and len(rest) == 2 and not isinstance(rest.a, list)
    next(iter(make_dataset(rest, config)))


def test_archive_path_as_data_spec(facades_archive, tmp_path, config):
    src = resolve_data(facades_archive, config, data_dir=tmp_path / "cache")
    assert len(src) == 3


def test_download_with_checksum_then_offline_reuse(server, facades_archive, tmp_path, config):
    digest = hashlib.sha256(facades_archive.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    src = standard_dataset("facades", config, "train", data_dir=cache,
                           url=server + "facades.tar.gz", sha256=digest)
    assert len(src) == 3
    downloaded = cache / "downloads" / "facades.tar.gz"
    assert downloaded.read_bytes() == facades_archive.read_bytes()
    assert (cache / "downloads" / "facades.tar.gz.sha256").read_text().startswith(digest)
    # Offline: the cached archive and prepared records are reused, no URL needed.
    again = standard_dataset("facades", config, "train", data_dir=cache,
                             url="http://127.0.0.1:9/unreachable")
    assert list(again.a) == list(src.a) and len(src.a[0]) > 100  # encoded images


def test_checksum_mismatch_is_an_error(server, tmp_path):
    with pytest.raises(DataError, match="SHA-256.*does not match"):
        fetch_archive("facades", tmp_path, url=server + "facades.tar.gz", sha256="0" * 64)


def test_unreachable_host_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="Could not download.*--data"):
        fetch_archive("facades", tmp_path, url="http://127.0.0.1:9/facades.tar.gz")
    assert not list(tmp_path.glob("*.part"))


def test_unknown_dataset_and_archive_names(tmp_path, config):
    with pytest.raises(DataError, match="Unknown dataset 'shoes'"):
        standard_dataset("shoes", config)
    bogus = tmp_path / "mystery.tar.gz"
    bogus.write_bytes(b"")
    with pytest.raises(DataError, match="mystery"):
        resolve_data(bogus, config)


@pytest.fixture
def short_server(facades_archive):
    """Serves the archive but sends only its first half, with the whole length in
    Content-Length, then closes: a download that ended early."""
    body = facades_archive.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _commit(monkeypatch, tmp_path, archive, size=None, digest=None):
    """Points `checksums.tsv` at a file listing `archive` (TFDS's format)."""
    from pix2pix_tf.data import standard

    size = archive.stat().st_size if size is None else size
    digest = digest or hashlib.sha256(archive.read_bytes()).hexdigest()
    table = tmp_path / "checksums.tsv"
    table.write_text(f"# a comment\nhttp://x/{archive.name}\t{size}\t{digest}\t{archive.name}\n")
    monkeypatch.setattr(standard, "CHECKSUMS", table)


def test_the_committed_checksums_file_parses():
    from pix2pix_tf.data.standard import CHECKSUMS, committed_checksums

    assert CHECKSUMS.exists()
    for name, (size, digest) in committed_checksums().items():
        assert name.endswith(".tar.gz") and size > 0 and len(digest) == 64


def test_a_download_that_ends_early_is_an_error_and_never_recorded(short_server, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=r"Could not download.*ended early.*of \d+ bytes"):
        fetch_archive("facades", cache, url=short_server + "facades.tar.gz")
    assert sorted(p.name for p in cache.iterdir()) == []  # no archive, .part nor .sha256


def test_committed_size_and_hash_are_checked_on_every_use(server, short_server, monkeypatch,
                                                         facades_archive, tmp_path, config):
    _commit(monkeypatch, tmp_path, facades_archive)
    cache = tmp_path / "cache"
    # Shorter than the committed size (whatever Content-Length said): refused.
    with pytest.raises(DataError, match="ended early"):
        fetch_archive("facades", cache, url=short_server + "facades.tar.gz")
    path = fetch_archive("facades", cache, url=server + "facades.tar.gz")
    assert path.read_bytes() == facades_archive.read_bytes()
    # The cached copy damaged later (same size): the next use refuses it.
    damaged = bytearray(path.read_bytes())
    damaged[100] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(DataError, match="SHA-256.*does not match"):
        fetch_archive("facades", cache, url=server + "facades.tar.gz")
    # An archive passed by path is checked too (here: a committed size it lacks).
    _commit(monkeypatch, tmp_path, facades_archive, size=facades_archive.stat().st_size + 1)
    with pytest.raises(DataError, match=r"facades.tar.gz: \d+ bytes, but the archive has"):
        standard_dataset("facades", config, data_dir=tmp_path / "c2", archive=facades_archive)


def test_a_recorded_hash_that_no_longer_matches_names_the_record(server, tmp_path):
    cache = tmp_path / "cache"
    fetch_archive("facades", cache, url=server + "facades.tar.gz")
    (cache / "facades.tar.gz").write_bytes(b"something else")
    with pytest.raises(DataError, match="recorded in .*facades.tar.gz.sha256"):
        fetch_archive("facades", cache, url=server + "facades.tar.gz")
