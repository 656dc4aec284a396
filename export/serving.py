"""Clients of an exported SavedModel served by TF Serving (`tensorflow/serving`).

The SavedModel's `serving_bytes` signature (`export/savedmodel.py`) takes encoded
images (`image_bytes`) and a `key` per image and answers PNG files (`output_bytes`)
with the keys passed through. These helpers build the two requests TF Serving takes —
the REST API's JSON body (row format; binary strings as `{"b64": ...}`) and the gRPC
API's `PredictRequest` (package `tensorflow-serving-api`) — and read the answers.

    body = rest_request({"photo": Path("photo.jpg").read_bytes()})
    # POST it to http://HOST:8501/v1/models/generator:predict, then:
    pngs = rest_outputs(response_json)        # {"photo": b"\\x89PNG..."}
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from pix2pix_tf.errors import DataError

SIGNATURE = "serving_bytes"
INPUT, KEY, OUTPUT = "image_bytes", "key", "output_bytes"


def rest_request(images: Mapping[str, bytes], signature: str = SIGNATURE) -> dict[str, Any]:
    """The REST predict body for `images` (key -> encoded image bytes).

    Args:
        images: the images to translate, by the key their answers will carry.
        signature: the SavedModel signature to run.

    Returns:
        `{"signature_name": ..., "instances": [{"image_bytes": {"b64": ...}, "key": ...}]}`
        (`json.dumps` it and POST it to `/v1/models/NAME:predict`).
    """
    return {"signature_name": signature,
            "instances": [{INPUT: {"b64": base64.b64encode(data).decode("ascii")}, KEY: key}
                          for key, data in images.items()]}


def rest_outputs(response: Mapping[str, Any]) -> dict[str, bytes]:
    """The PNG files of a REST predict answer, by key.

    Args:
        response: the answer's JSON, parsed.

    Returns:
        key -> PNG bytes.

    Raises:
        DataError: the server answered an error (`{"error": ...}`), e.g. bad image bytes.
    """
    if "error" in response:
        raise DataError(f"TF Serving refused the request: {_first_line(response['error'])}")
    return {row[KEY]: base64.b64decode(row[OUTPUT]["b64"]) for row in response["predictions"]}


def _first_line(error: str) -> str:
    """The line of a TensorFlow error that says what failed (not where in the graph)."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    said = [ln for ln in lines if not ln.startswith(
        ("Graph execution error", "Detected at node", "<stack traces", "[[{{"))]
    return re.sub(r"\s*\[\[\{\{.*$", "", (said or lines or [""])[0])


def predict_request(images: Mapping[str, bytes], model_name: str = "generator",
                    signature: str = SIGNATURE):
    """The gRPC `PredictRequest` for `images` (key -> encoded image bytes).

    Args:
        images: the images to translate, by key.
        model_name: the served model's name (TF Serving's `MODEL_NAME`).
        signature: the SavedModel signature to run.

    Returns:
        A `tensorflow_serving.apis.predict_pb2.PredictRequest` for
        `PredictionServiceStub(channel).Predict`.
    """
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature
    request.inputs[INPUT].CopyFrom(tf.make_tensor_proto(list(images.values()), tf.string))
    request.inputs[KEY].CopyFrom(tf.make_tensor_proto(list(images), tf.string))
    return request


def predict_outputs(response) -> dict[str, bytes]:
    """The PNG files of a gRPC `PredictResponse`, by key.

    Args:
        response: a `PredictResponse` of the `serving_bytes` signature.

    Returns:
        key -> PNG bytes.
    """
    keys = [k.decode("utf-8") for k in response.outputs[KEY].string_val]
    return dict(zip(keys, response.outputs[OUTPUT].string_val))
