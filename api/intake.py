"""Request bodies in: JSON or a YAML stream, decoded exactly, as a list of documents.

Numbers are kept as the text they were written in (``RawNumber``), because a float cannot
hold ``0.1`` and a capacity figure must be what the manifest says, to the milli. YAML is
loaded safely (no object construction) with PyYAML's C loader where it is available.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from api.problems import ProblemError

JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


class RawNumber(str):
    """A non-integer number as written (``0.5``, ``1e3``), for exact quantity parsing."""

    __slots__ = ()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _integer(text: str) -> int | RawNumber:
    """A JSON or YAML integer; a long one stays text, for the field that reads it to judge."""
    return RawNumber(text) if len(text) > _LONGEST_INT else int(text)


_LONGEST_INT = 64  # longer integers are no count and no quantity; Python refuses 4300 digits


def loads_exact(text: str) -> Any:
    """Decode JSON keeping non-integer numbers as ``RawNumber`` text; NaN and Infinity are refused."""
    return json.loads(text, parse_float=RawNumber, parse_int=_integer, parse_constant=_reject_constant)


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ExactLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    """PyYAML's safe loader (C where available) with floats kept as written."""


def _raw_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> RawNumber:
    """A YAML float as the API server receives it: kubectl turns YAML into JSON through a
    float64, so ``cpu: 1.500`` arrives as ``1.5``; ``.nan`` and ``.inf`` stay as written."""
    value = loader.construct_yaml_float(node)
    if math.isnan(value) or math.isinf(value):
        return RawNumber(loader.construct_scalar(node))
    return RawNumber(go_json_float(value))


def go_json_float(value: float) -> str:
    """A float64 as Go's encoding/json writes it: the shortest digits that read back the
    same, in plain notation unless below 1e-6 or from 1e21 on (then ``1e-7``, ``1.5e+21``)."""
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)  # Python's repr is the same shortest form, with e-07 / e+21
        return text[:-2] + text[-1] if len(text) >= 4 and text[-4:-1] == "e-0" else text
    return format(Decimal(repr(value)).normalize(), "f")


def _long_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | RawNumber:
    text = loader.construct_scalar(node)
    if len(text) > _LONGEST_INT:
        return RawNumber(text)
    return loader.construct_yaml_int(node)  # type: ignore[no-any-return]


ExactLoader.add_constructor("tag:yaml.org,2002:float", _raw_float)
ExactLoader.add_constructor("tag:yaml.org,2002:int", _long_int)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8; so are manifests
    except UnicodeDecodeError as err:
        raise ProblemError(
            400, "Malformed body", f"the body is not UTF-8 text: {err.reason} at byte {err.start}"
        ) from err


def read_documents(data: bytes, media_type: str, limits: Limits | None = None) -> list[Any]:
    """The documents of a body: one JSON value, or every document of a YAML stream."""
    documents = _read(data, media_type)
    check_size(documents, limits or Limits())
    return documents


def _read(data: bytes, media_type: str) -> list[Any]:
    if not data.strip():
        raise ProblemError(400, "Empty body", "the request body is empty: send manifests as JSON or YAML")
    text = _text(data)
    if media_type in YAML_TYPES:
        return load_yaml_stream(text)
    try:
        return [loads_exact(text)]
    except json.JSONDecodeError as err:
        raise ProblemError(
            400, "Malformed JSON", f"{err.msg} at line {err.lineno} column {err.colno} (char {err.pos})"
        ) from err
    except RecursionError as err:
        raise ProblemError(400, "Malformed JSON", "the body is nested too deeply") from err
    except ValueError as err:
        raise ProblemError(400, "Malformed JSON", str(err)) from err


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may ask for; each refusal names the limit and its setting."""

    documents: int = 20_000  # documents in a stream (PODCALC_MAX_DOCUMENTS)
    workloads: int = 20_000  # workloads in a request, Lists expanded (PODCALC_MAX_WORKLOADS)
    containers: int = 200  # containers and init containers in one pod (PODCALC_MAX_CONTAINERS)
    nodes: int = 2_000_000  # values in the body once YAML aliases are expanded (PODCALC_MAX_NODES)
    depth: int = 64  # nesting of objects and lists (PODCALC_MAX_DEPTH)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        return cls(**{f: int(config[f"MAX_{f.upper()}"]) for f in cls.__slots__ if f"MAX_{f.upper()}" in config})


def too_large(what: str, limit: int, setting: str, errors: list[dict[str, Any]] | None = None) -> ProblemError:
    return ProblemError(413, "Content Too Large", f"{what}: the limit is {limit:,} ({setting})", errors)


def check_size(documents: list[Any], limits: Limits) -> None:
    """Refuse a body with too many documents, nested too deeply, or too large once expanded.

    Aliases let a small YAML stand for a huge tree ("billion laughs"): shared subtrees are
    counted once per use, without expanding them.
    """
    if len(documents) > limits.documents:
        raise too_large(f"{len(documents):,} documents", limits.documents, "PODCALC_MAX_DOCUMENTS")
    memo: dict[int, int] = {}
    total = 0
    for document in documents:
        total += _size(document, 1, limits.depth, memo)
        if total > limits.nodes:
            raise too_large("the body expands to too many values", limits.nodes, "PODCALC_MAX_NODES")


def _size(value: Any, depth: int, max_depth: int, memo: dict[int, int]) -> int:
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return 1
    if depth > max_depth:
        raise too_large(f"values nested more than {max_depth} levels deep", max_depth, "PODCALC_MAX_DEPTH")
    known = memo.get(id(value))
    if known is None:
        known = 1
        for child in children:
            known += _size(child, depth + 1, max_depth, memo) if isinstance(child, dict | list) else 1
        memo[id(value)] = known
    return known


def load_yaml_stream(text: str) -> list[Any]:
    """Every document of a YAML stream, with a 400 naming the line where it breaks."""
    try:
        return list(yaml.load_all(text, Loader=ExactLoader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ProblemError(400, "Malformed YAML", f"{err.problem or err.context}{where}") from err
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as err:
        raise ProblemError(400, "Malformed YAML", f"the YAML cannot be read: {err}") from err


def media_type_of(mimetype: str) -> str:
    """The body's media type, or a 415 naming the ones accepted."""
    if mimetype in JSON_TYPES or mimetype in YAML_TYPES or mimetype.endswith("+json"):
        return "application/json" if mimetype.endswith("+json") else mimetype
    raise ProblemError(
        415,
        "Unsupported Media Type",
        f"Content-Type {mimetype or '(none)'!r} is not supported: send application/json or application/yaml",
    )
