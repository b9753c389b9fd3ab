"""Request bodies in: exact JSON decoding, and a manifest's pod found and turned into calc values.

JSON numbers are kept as the text they were written in (``RawNumber``), because a float
cannot hold ``0.1`` and Kubernetes reads ``cpu: 0.5`` from the literal, not from a double.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from api.problems import InputError, ProblemError


class RawNumber(str):
    """A JSON number as written (``0.5``, ``1e3``), for exact quantity parsing."""

    __slots__ = ()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_exact(data: str | bytes) -> Any:
    """Decode JSON keeping non-integer numbers as ``RawNumber`` text; NaN and Infinity are refused."""
    return json.loads(data, parse_float=RawNumber, parse_constant=_reject_constant)


def parse_json_body(data: bytes) -> Any:
    """The decoded body, or a 400 problem that says where the JSON breaks."""
    if not data:
        raise ProblemError(400, "Empty body", "the request body is empty: send a Pod manifest or a PodSpec as JSON")
    try:
        return loads_exact(data.decode("utf-8"))  # RFC 8259: JSON between systems is UTF-8
    except UnicodeDecodeError as err:
        raise ProblemError(400, "Malformed JSON", f"the body is not UTF-8 text: {err.reason}") from err
    except json.JSONDecodeError as err:
        raise ProblemError(
            400, "Malformed JSON", f"{err.msg} at line {err.lineno} column {err.colno} (char {err.pos})"
        ) from err
    except RecursionError as err:
        raise ProblemError(400, "Malformed JSON", "the body is nested too deeply") from err
    except ValueError as err:
        raise ProblemError(400, "Malformed JSON", str(err)) from err


def locate_pod_spec(document: Any) -> tuple[Mapping[str, Any], str, dict[str, Any]]:
    """Where the PodSpec is in ``document``: (spec, JSON pointer prefix, identity).

    ``document`` is a Pod (``kind: Pod``) or a bare PodSpec (an object with ``containers``).
    """
    if not isinstance(document, dict):
        raise InputError([("", "expected a JSON object: a Pod manifest or a PodSpec")])
    kind = document.get("kind")
    if kind is None and "containers" in document:
        return document, "", {"kind": "PodSpec", "name": None, "namespace": None}
    if kind != "Pod":
        if kind is None:
            detail = "expected a Pod (kind: Pod) or a PodSpec (an object with containers)"
        else:
            detail = f"kind {kind!r} is not supported here: send a Pod or a bare PodSpec"
        raise InputError([("/kind", detail)])
    metadata = document.get("metadata") or {}
    spec = document.get("spec")
    if not isinstance(metadata, dict):
        raise InputError([("/metadata", "must be an object")])
    if not isinstance(spec, dict):
        raise InputError([("/spec", "a Pod needs a spec object")])
    identity = {"kind": "Pod", "name": metadata.get("name"), "namespace": metadata.get("namespace")}
    for key in ("name", "namespace"):
        if identity[key] is not None and not isinstance(identity[key], str):
            raise InputError([(f"/metadata/{key}", "must be a string")])
    return spec, "/spec", identity
