"""Video translation frame by frame, on short videos the tests write themselves."""

from fractions import Fraction

import numpy as np
import pytest
from conftest import tiny_config

from pix2pix_tf import DataError, build_generator
from pix2pix_tf.video import read_video, translate_video, write_video

av = pytest.importorskip("av")


def _write_video(path, frames=12, size=(64, 48), fps=10, audio=True, codec="libx264",
                 pix_fmt="yuv420p"):
    w, h = size
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        a = out.add_stream("aac", rate=16000) if audio else None
        out.start_encoding()  # the header, even for a video without frames
        for i in range(frames):
            img = np.zeros((h, w, 3), np.uint8)
            img[:, (4 * i) % w:(4 * i) % w + 8] = 255  # a bar moving right
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            t = np.arange(16000 * frames // fps) / 16000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate = 16000
            for p in a.encode(frame):
                out.mux(p)
            for p in a.encode():
                out.mux(p)
    return path


def _probe(path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        n = sum(1 for _ in c.decode(video=0))
        return n, v.average_rate, (v.codec_context.width, v.codec_context.height), len(
            c.streams.audio)


@pytest.fixture
def generator():
    from pix2pix_tf.translator import Translator

    c = tiny_config()
    g = build_generator(c)
    return g, Translator(g, c)


def test_video_keeps_frames_rate_size_and_audio(tmp_path, generator):
    g, t = generator
    src = _write_video(tmp_path / "in.mp4")
    info = translate_video(t, src, tmp_path / "out" / "out.mp4", batch_size=5,
                           progress=False)
    assert info["frames"] == 12 and info["audio_streams"] == 1
    assert info["flicker"] is not None and info["flicker"] > 0
    frames, rate, size, audio = _probe(tmp_path / "out" / "out.mp4")
    assert (frames, rate, size, audio) == (12, Fraction(10), (64, 48), 1)


def test_video_without_audio_and_the_cli(tmp_path, generator):
    from pix2pix_tf.cli import main

    g, _ = generator
    g.save(tmp_path / "g.keras")
    _write_video(tmp_path / "clip.mp4", audio=False, frames=5)
    assert main(["translate", "--model", str(tmp_path / "g.keras"), str(tmp_path / "clip.mp4"),
                 "--out", str(tmp_path / "res.mp4")]) == 0
    assert _probe(tmp_path / "res.mp4")[:1] == (5,)


def test_bad_videos_are_clear_errors_and_leave_nothing(tmp_path, generator, monkeypatch):
    g, t = generator
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(DataError, match="text.mp4: not a readable video"):
        translate_video(t, tmp_path / "text.mp4", tmp_path / "o1.mp4", progress=False)
    _write_video(tmp_path / "empty.mp4", frames=0, audio=False)
    _write_video(tmp_path / "empty.avi", frames=0, audio=False, codec="mpeg4")
    for empty in ("empty.mp4", "empty.avi"):  # no stream at all / a stream without frames
        with pytest.raises(DataError, match="no video frames"):
            translate_video(t, tmp_path / empty, tmp_path / "o2.mp4", progress=False)
    _write_video(tmp_path / "odd.avi", frames=2, size=(33, 21), audio=False,
                 codec="rawvideo", pix_fmt="rgb24")
    with pytest.raises(DataError, match="33x21.*even"):
        translate_video(t, tmp_path / "odd.avi", tmp_path / "o3.mp4", progress=False)
    # A failure midway leaves neither the final name nor a partial file.
    def broken(*args, **kwargs):
        raise RuntimeError("device lost")

    monkeypatch.setattr(t, "translate_images", broken)
    _write_video(tmp_path / "ok.mp4", frames=3, audio=False)
    with pytest.raises(RuntimeError):
        translate_video(t, tmp_path / "ok.mp4", tmp_path / "o4.mp4", progress=False)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("o4", ".o4"))]
    assert not any(tmp_path.glob("o[123].mp4"))


def test_video_never_overwrites_an_existing_file_or_its_input(tmp_path, generator):
    _, t = generator
    src = _write_video(tmp_path / "in.mp4", frames=2, audio=False)
    (tmp_path / "out.mp4").write_bytes(b"precious")
    with pytest.raises(DataError, match="out.mp4: already exists"):
        translate_video(t, src, tmp_path / "out.mp4", progress=False)
    assert (tmp_path / "out.mp4").read_bytes() == b"precious"
    with pytest.raises(DataError, match="is the input video"):
        translate_video(t, src, src, progress=False, overwrite=True)
    translate_video(t, src, tmp_path / "out.mp4", progress=False, overwrite=True)
    assert _probe(tmp_path / "out.mp4")[0] == 2


def test_write_video_and_read_video_round_trip(tmp_path):
    frames = [np.full((32, 48, 3), 40 * i, np.uint8) for i in range(6)]
    path = write_video(frames, tmp_path / "clip.mp4", fps=6)
    back = read_video(path)
    assert len(back) == 6 and back[0].shape == (32, 48, 3)
    assert max(np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, back)) < 2
    assert _probe(path)[1] == 6
    with pytest.raises(DataError, match="already exists"):
        write_video(frames, path)
    for bad, match in (([np.zeros((31, 48, 3), np.uint8)], "even"), ([], "no frames"),
                       ([np.zeros((32, 48), np.uint8)], "must be uint8"),
                       ([frames[0], np.zeros((16, 16, 3), np.uint8)], "the first was")):
        with pytest.raises(DataError, match=match):
            write_video(bad, tmp_path / "bad.mp4")
        assert not list(tmp_path.glob("*bad*"))  # nothing half-written is left
