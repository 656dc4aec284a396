"""One conversion in its own process: `python -m pix2pix_tf.export.worker JOB.json`.

The parent reads this process's peak RSS (os.wait4), and no process converts twice
(tf2onnx and the TFLite converter do not give all their memory back).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(job_path: str) -> int:
    job = json.loads(open(job_path).read())
    try:
        import numpy as np

        from pix2pix_tf.export.common import load

        generator, config = load(job["model"], job.get("direction"))
        if job["format"] == "savedmodel":
            from pix2pix_tf.export.savedmodel import export_savedmodel

            tmp = export_savedmodel(generator, job["out"] + ".repo", config=config)
            os.replace(tmp, job["out"])
        elif job["format"] == "tflite":
            from pix2pix_tf.export.tflite import export_tflite

            calib = np.load(job["calibration"]) if job.get("calibration") else None
            export_tflite(generator, job["out"], job["quantization"], calib, job["int8_io"],
                          config, palette=job.get("palette"))
        else:
            from pix2pix_tf.export.onnx import export_onnx

            export_onnx(generator, job["out"], job["opset"], job["nchw"], config=config)
    except Exception as e:  # reported to the parent as one line
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
