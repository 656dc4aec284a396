"""Translate a video frame by frame (PyAV: its wheels carry their own FFmpeg).

    python -m pix2pix_tf translate --model runs/day2night input.mp4 --out output.mp4

Frames are decoded and translated by the same `Translator` as images (the inference
contract, `pix2pix_tf.translator`, with its `size` mode: resize, crop, native or tiled),
in batches of one compiled function, and encoded
with H.264 at the input's frame rate; the frame count is kept and audio streams are
copied. The output is written to a temporary name and renamed when complete, so a
failed or interrupted run never leaves a partial file under the final name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pix2pix_tf.errors import ConfigError, DataError

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")


def is_video(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise DataError(f"{path}: not a readable video ({e}).") from None
    if not container.streams.video:
        container.close()
        raise DataError(f"{path}: no video frames (no video stream in this file).")
    return container


def _partial(path: Path) -> Path:
    """The temporary name a video is written under until it is complete."""
    return path.with_name(f".{path.stem}.partial{path.suffix or '.mp4'}")


def _add_h264(container, width: int, height: int, rate):
    """An H.264 (yuv420p, CRF 18) video stream on the output `container`."""
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"crf": "18"}
    return stream


def write_video(frames, path: str | os.PathLike, fps: float = 24,
                overwrite: bool = False) -> Path:
    """Encodes uint8 RGB frames as an H.264 video (written whole, then renamed).

    Args:
        frames: an iterable of (height, width, 3) uint8 arrays, all the same size
            (even width and height: H.264's yuv420p needs them).
        path: the output file (`.mp4` recommended); its folder is created.
        fps: frames per second.
        overwrite: replace an existing file.

    Returns:
        `path`, as a `Path`.

    Example:
    ```python
    write_video([np.zeros((64, 64, 3), np.uint8)] * 12, "clip.mp4", fps=12)
    ```
    """
    import av

    path = Path(path)
    if path.exists() and not overwrite:
        raise DataError(f"{path}: already exists; nothing was written.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial(path)
    try:
        with av.open(str(tmp), "w") as out:
            stream = None
            for i, frame in enumerate(frames):
                frame = np.ascontiguousarray(frame)
                if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[-1] != 3:
                    raise DataError(f"{path}: frame {i} must be uint8 (height, width, 3). "
                                    f"Received: dtype={frame.dtype}, shape={frame.shape}")
                if stream is None:
                    height, width = frame.shape[:2]
                    if width % 2 or height % 2:
                        raise DataError(f"{path}: frames of {width}x{height}; H.264 "
                                        "(yuv420p) needs an even width and height.")
                    stream = _add_h264(out, width, height, fps)
                elif frame.shape[:2] != (height, width):
                    raise DataError(f"{path}: frame {i} is {frame.shape[1]}x{frame.shape[0]}, "
                                    f"the first was {width}x{height}.")
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    out.mux(packet)
            if stream is None:
                raise DataError(f"{path}: no frames to write.")
            for packet in stream.encode():
                out.mux(packet)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path


def read_video(path: str | os.PathLike) -> list[np.ndarray]:
    """Decodes every frame of a video as a (height, width, 3) uint8 RGB array."""
    with _open(Path(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def translate_video(translator, source: str | os.PathLike, target: str | os.PathLike,
                    batch_size: int = 8, progress: bool = True,
                    overwrite: bool = False) -> dict:
    """Translates every frame of `source` into the video `target`.

    Args:
        translator: a `pix2pix_tf.translator.Translator`.
        source: the input video.
        target: the output file (its folder is created; `.mp4` recommended). An existing
            file is kept unless `overwrite`; the input itself never is overwritten.
        batch_size: frames per call of the compiled generator (results do not depend on it).
        progress: show a progress bar.
        overwrite: replace an existing `target`.

    Returns:
        `{"frames", "fps", "size", "audio_streams", "flicker"}` where `flicker` is the
        mean absolute difference of consecutive output frames divided by that of the
        input frames (1: as stable as the input; higher: the translation flickers).

    Raises:
        DataError: an unreadable file, no video stream, zero frames, or a frame size
            the encoder cannot take (odd width or height).
    """
    import av
    import keras

    source, target = Path(source), Path(target)
    if target.exists() and target.resolve() == source.resolve():
        raise DataError(f"{target}: is the input video; choose another output.")
    if target.exists() and not overwrite:
        raise DataError(f"{target}: already exists; nothing was written. Pass --overwrite "
                        "to replace it.")
    inp = _open(source)
    vin = inp.streams.video[0]
    width, height = vin.codec_context.width, vin.codec_context.height
    if width % 2 or height % 2:
        inp.close()
        raise DataError(f"{source}: frames of {width}x{height}; H.264 (yuv420p) needs an even "
                        "width and height. Crop or scale the video by one pixel first.")
    if translator.size == "native":  # too large: one line before anything is written
        try:
            translator.check_native(height, width)
        except ConfigError as e:
            inp.close()
            raise DataError(f"{source}: {e}") from None
    # The translator's size mode decides the frames' size ("crop": the model's crop).
    height, width = translator.output_size(height, width)
    rate = vin.average_rate or vin.guessed_rate or 25
    total = vin.frames or None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _partial(target)
    out = av.open(str(tmp), "w")
    try:
        vout = _add_h264(out, width, height, rate)
        audio = {}
        for s in inp.streams.audio:
            audio[s.index] = out.add_stream_from_template(s)
        bar = keras.utils.Progbar(total, unit_name="frame") if progress else None
        frames, in_diffs, out_diffs = 0, [], []
        last_in = last_out = None
        pending: list[np.ndarray] = []

        def flush():
            nonlocal frames, last_in, last_out
            if not pending:
                return
            y = translator.translate_images(pending, layout="single")
            for frame_in, frame_out in zip(pending, y):
                if last_in is not None:
                    in_diffs.append(np.abs(frame_in.astype(np.int16) - last_in).mean())
                    out_diffs.append(np.abs(frame_out.astype(np.int16) - last_out).mean())
                last_in, last_out = frame_in.astype(np.int16), frame_out.astype(np.int16)
                frame = av.VideoFrame.from_ndarray(frame_out, format="rgb24")
                for packet in vout.encode(frame):
                    out.mux(packet)
            frames += len(pending)
            if bar is not None:
                bar.update(frames)
            pending.clear()

        for packet in inp.demux():
            if packet.stream.index in audio:
                if packet.dts is not None:
                    packet.stream = audio[packet.stream.index]
                    out.mux(packet)
                continue
            if packet.stream.index != vin.index:
                continue
            for frame in packet.decode():
                pending.append(frame.to_ndarray(format="rgb24"))
                if len(pending) == batch_size:
                    flush()
        flush()
        if frames == 0:
            raise DataError(f"{source}: no video frames (the video stream is empty).")
        for packet in vout.encode():
            out.mux(packet)
        out.close()
        inp.close()
    except BaseException:
        out.close()
        inp.close()
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    flicker = (float(np.mean(out_diffs) / max(np.mean(in_diffs), 1e-6))
               if in_diffs else None)
    return {"frames": frames, "fps": float(rate), "size": (width, height),
            "audio_streams": len(audio), "flicker": flicker}
