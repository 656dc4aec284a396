"""Export a trained Pix2Pix generator: SavedModel, TFLite/LiteRT (fp32, fp16, int8), ONNX.

Every artifact is run and compared with the Keras generator (see `export.verify`),
and a report (`report.json`, `report.md`) lists format, size, parity, latency,
threads and the conversion's peak memory.

    python -m pix2pix_tf export --model runs/facades --formats savedmodel,tflite,onnx \\
        --quantize fp32,fp16,int8 --out exports/facades
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from pix2pix_tf.atomic import output_folder, write_text
from pix2pix_tf.export.common import (
    FORMATS,
    QUANTIZATIONS,
    SUPPORTED,
    ExportError,
    drawing_palette,
    exported_config,
    median_latency_ms,
    parse_list,
    remove,
    replace_atomically,
    sample_inputs,
    size_bytes,
)
from pix2pix_tf.export.onnx import DEFAULT_OPSET, OnnxRunner, export_onnx
from pix2pix_tf.export.savedmodel import SavedModelRunner, export_savedmodel
from pix2pix_tf.export.tflite import TFLiteRunner, export_tflite
from pix2pix_tf.export.verify import THRESHOLDS, verify

__all__ = ["ExportError", "OnnxRunner", "SavedModelRunner", "TFLiteRunner", "export_onnx",
           "export_savedmodel", "export_tflite", "run_export", "verify", "THRESHOLDS"]


def _artifact_path(out: Path, fmt: str, quantization: str, nchw: bool) -> Path:
    if fmt == "savedmodel":
        return out / "savedmodel" / "generator" / "1"
    if fmt == "onnx":
        return out / ("generator_nchw.onnx" if nchw else "generator.onnx")
    return out / f"generator_{quantization}.tflite"


def _previous_artifacts(out: Path) -> set[Path]:
    """Every artifact an export writes into `out` (any format, quantisation, layout),
    plus those the previous `report.json` there listed inside `out`: what a re-export
    may remove. Nothing else in the folder is ever touched."""
    names = {_artifact_path(out, fmt, q, nchw)
             for fmt in FORMATS for q in SUPPORTED[fmt] for nchw in (False, True)}
    try:
        previous = json.loads((out / "report.json").read_text())
    except (OSError, ValueError):
        previous = []
    root = out.resolve()
    for e in previous if isinstance(previous, list) else []:
        path = Path(e["path"]) if isinstance(e, dict) and e.get("path") else None
        # The keras entry's path is the source model: never an artifact.
        if path is not None and e.get("format") in FORMATS and path.suffix in (
                ".tflite", ".onnx") and path.resolve().parent == root:
            names.add(out / path.name)
    return names


def _remove_stale(out: Path, candidates: set[Path], entries: list[dict],
                  nchw: bool) -> list[Path]:
    """Removes the `candidates` this export did not write: a previous export's artifacts
    (e.g. an int8 refused this time) must not pass for this model's, in the report or
    on the web page (which opens the smallest .tflite first)."""
    written = {Path(e["path"]).resolve() for e in entries[1:] if e.get("path")}
    removed = []
    for path in sorted(candidates):
        if path.exists() and path.resolve() not in written:
            remove(path)
            removed.append(path)
            for e in entries[1:]:  # the report says what became of a refused one's file
                if e["path"] is None and _artifact_path(
                        out, e["format"], e["quantization"], nchw) == path:
                    e["previous_removed"] = str(path)
    for folder in (out / "savedmodel" / "generator", out / "savedmodel"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # left empty by a removed SavedModel
    if removed:
        print(f"Removed {len(removed)} artifact(s) of the previous export in {out} that "
              f"this one did not write: {', '.join(p.name for p in removed)}")
    return removed


def _convert_in_child(job: dict, work: Path) -> tuple[float, str | None]:
    """Runs one conversion in a child process; returns (peak RSS in MB, error or None)."""
    job_file = work / f"job_{abs(hash(job['out']))}.json"
    job_file.write_text(json.dumps(job))
    log = work / (job_file.stem + ".log")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "pix2pix_tf.export.worker", str(job_file)],
                                stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss / 1024  # Linux reports KiB
    if proc.returncode != 0:
        lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error: ")]
        reason = errors[-1][7:] if errors else (lines[-1] if lines else "")
        if proc.returncode < 0:
            reason = f"killed by signal {-proc.returncode} (out of memory?) {reason}"
        return peak_mb, reason or f"exit status {proc.returncode}"
    return peak_mb, None


def _runner(fmt: str, path: Path, threads: int):
    if fmt == "savedmodel":
        return SavedModelRunner(path)
    if fmt == "onnx":
        return OnnxRunner(path, threads)
    return TFLiteRunner(path, threads)


def _gpu_cell(e: dict) -> str:
    verdict = e.get("gpu_delegate")
    if verdict is None:
        return "–"
    issues = e.get("gpu_issues") or []
    return verdict + (f" ({len(issues)} issue(s), see report.json)" if issues else "")


def write_report(entries: list[dict], out: Path, data: str | None = None) -> None:
    """Writes `report.json` and `report.md` (a Markdown table) atomically; `data` says
    which images verified (and calibrated) the artifacts."""
    write_text(out / "report.json", json.dumps(entries, indent=2))
    def cell(e: dict, key: str, spec: str, scale: float = 1.0) -> str:
        v = e.get(key)
        return "–" if v is None else format(v * scale, spec)

    rows = ([f"Verified (and int8 calibrated) on: {data}", ""] if data else []) + [
            "| format | quantization | size (MB) | max abs error | PSNR (dB) | latency (ms) "
            "| threads | peak RSS (MB) | GPU delegate | parity |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for e in entries:
        status = "pass" if e.get("passed") else f"FAIL: {e.get('error') or e.get('threshold')}"
        rows.append(" | ".join([
            f"| {e['format']}", e["quantization"], cell(e, "size_bytes", ".2f", 1e-6),
            cell(e, "max_abs_error", ".2e"), cell(e, "psnr_db", ".1f"),
            cell(e, "latency_ms", ".1f"), str(e.get("threads", "–")),
            cell(e, "peak_rss_mb", ".0f"), _gpu_cell(e), f"{status} |"]))
    write_text(out / "report.md", "\n".join(rows) + "\n")


def run_export(model: str | os.PathLike, formats: str | list[str] = "savedmodel,tflite,onnx",
               quantize: str | list[str] = "fp32,fp16,int8", out: str | os.PathLike = "exports",
               representative_data: str | os.PathLike | None = None, num_verify: int = 8,
               calibration_samples: int = 32, threads: int = 2, opset: int = DEFAULT_OPSET,
               nchw: bool = False, int8_io: str = "uint8",
               direction: str | None = None) -> list[dict]:
    """Exports, verifies and reports; the function behind `python -m pix2pix_tf export`.

    Each conversion runs in a child process (its peak RSS is reported) and writes to
    a temporary name; an artifact is moved into `out` only after it passed
    verification, so a failed export leaves nothing half-written behind. `out` then
    holds this export only: artifacts of a previous export there that this one did
    not write (another format, or one refused this time) are removed, so neither the
    report nor the web page presents them as this model's; the folder's other files
    are never touched.

    Args:
        model: run directory or generator `.keras` file.
        formats: subset of savedmodel, tflite, onnx.
        quantize: subset of fp32, fp16, int8, dynamic (each format takes those it supports).
        out: output folder; gets the artifacts, `report.json` and `report.md`.
        representative_data: `--data`-style spec for verification/calibration inputs;
            default: the run's training data, else the built-in set.
        num_verify: inputs compared against Keras.
        calibration_samples: int8 representative images (a seeded random draw from the
            data, disjoint from the `num_verify` verification images when the data has
            enough).
        threads: threads for the runtimes' latency measurements.
        opset, nchw: ONNX options. int8_io: TFLite int8 input/output type.
        direction: which half of an A|B image is the input, for the verification data
            and every artifact's metadata; default: the one the model records.

    Returns:
        The report entries (one per artifact, plus the Keras reference).

    Raises:
        ExportError: after writing the report, if any export failed or missed its
            parity threshold.
    """
    formats = parse_list(formats, FORMATS, "--formats")
    quantize = parse_list(quantize, QUANTIZATIONS, "--quantize")
    out = output_folder(out)
    from pix2pix_tf.translator import Translator  # TensorFlow: not for `export --help`

    translator = Translator.load(model, direction=direction)
    generator, config = translator.export_model(), exported_config(translator.config)
    if translator.config.inference_mode == "batch_stats":
        print("note: this run infers in training mode (batch statistics + dropout noise, "
              "not exportable); the exports compute its deterministic part: each image "
              "normalised by its own statistics, no dropout (inference_mode image_stats).")
    # A seeded random draw from the whole dataset (not its first files in sorted order);
    # the int8 calibration images are disjoint from the verification images when the
    # data has enough of them, so the PSNR bar is met on images the model never saw.
    inputs, data_description = sample_inputs(
        config, representative_data, num_verify + calibration_samples, model, seed=0)
    # The run records its data by absolute path; under the working folder, say it short.
    data_description = data_description.replace(os.getcwd().rstrip(os.sep) + os.sep, "")
    print(f"Verifying (and calibrating) on {data_description}.")
    check = inputs[:num_verify]
    calibration = (inputs[num_verify:] if len(inputs) > num_verify
                   else inputs)[:calibration_samples]
    reference = np.asarray(generator(check, training=False))
    entries = [{"format": "keras", "quantization": "fp32", "path": str(model),
                "data": data_description, "inference_mode": config.inference_mode,
                "size_bytes": int(generator.count_params() * 4), "max_abs_error": 0.0,
                "psnr_db": None, "threads": "all",
                "latency_ms": median_latency_ms(lambda x: generator(x, training=False), check),
                "passed": True}]
    palette = drawing_palette(model)  # the web app's drawing mode (built-in set only)
    model_file = str(model)  # the run directory itself: its config.json travels along
    stale = _previous_artifacts(out)
    with tempfile.TemporaryDirectory(dir=out, prefix=".export-") as tmp:
        work = Path(tmp)
        calib = work / "calibration.npy"
        np.save(calib, calibration)
        for fmt in formats:
            for q in quantize:
                if q not in SUPPORTED[fmt]:
                    continue
                final = _artifact_path(out, fmt, q, nchw)
                staged = work / f"{fmt}_{q}_{final.name}"
                entry = {"format": fmt, "quantization": q, "path": str(final),
                         "threads": threads if fmt != "savedmodel" else "all"}
                print(f"Exporting {fmt} {q} ...", flush=True)
                peak, error = _convert_in_child(
                    {"model": model_file, "direction": direction, "format": fmt,
                     "quantization": q, "out": str(staged),
                     "calibration": str(calib), "opset": opset, "nchw": nchw,
                     "int8_io": int8_io, "palette": palette}, work)
                entry["peak_rss_mb"] = round(peak, 1)
                if error is None:
                    try:
                        entry.update(verify(_runner(fmt, staged, threads), check, reference, q))
                        entry["size_bytes"] = size_bytes(staged)
                        if fmt == "tflite":
                            from pix2pix_tf.export.tflite import gpu_compatibility

                            entry.update(gpu_compatibility(staged))
                    except Exception as e:  # a runtime refusing the artifact
                        error = f"{type(e).__name__}: {e}"
                if error is not None:
                    entry.update(passed=False, error=error)
                if entry["passed"]:
                    final.parent.mkdir(parents=True, exist_ok=True)
                    replace_atomically(staged, final)
                else:
                    remove(staged)
                    entry["path"] = None
                entries.append(entry)
    _remove_stale(out, stale, entries, nchw)
    write_report(entries, out, data_description)
    failed = [e for e in entries if not e["passed"]]
    if failed:
        raise ExportError("; ".join(
            f"{e['format']} {e['quantization']}: {e.get('error') or 'parity ' + e['threshold']}"
            f" missed (max abs error {e.get('max_abs_error')}, PSNR {e.get('psnr_db')})"
            for e in failed) + f". Report: {out / 'report.json'}", entries)
    return entries
