"""Request bodies in: JSON or a YAML stream, decoded exactly, as a list of documents.

Numbers are kept as the text they were written in (``RawNumber``), because a float cannot
hold ``0.1`` and a capacity figure must be what the manifest says, to the milli. YAML is
loaded safely (no object construction) with PyYAML's C loader where it is available.
"""

from __future__ import annotations

import json
import math
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


def read_documents(data: bytes, media_type: str) -> list[Any]:
    """The documents of a body: one JSON value, or every document of a YAML stream."""
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


# Aliases let a small YAML stand for a huge tree ("billion laughs"); beyond this many nodes
# once expanded, a stream is refused before anything walks it.
MAX_EXPANDED_NODES = 2_000_000


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """Nodes in ``value`` with every alias expanded, counting each shared subtree once per use."""
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return 1
    known = memo.get(id(value))
    if known is None:
        known = memo[id(value)] = 1 + sum(_expanded_size(child, memo) for child in children)
    return known


def load_yaml_stream(text: str) -> list[Any]:
    """Every document of a YAML stream, with a 400 naming the line where it breaks."""
    try:
        documents = list(yaml.load_all(text, Loader=ExactLoader))
        if "*" in text:  # only aliases can make the tree larger than the text
            memo: dict[int, int] = {}
            if sum(_expanded_size(d, memo) for d in documents) > MAX_EXPANDED_NODES:
                raise ProblemError(
                    413, "Content Too Large", f"the YAML's aliases expand to more than {MAX_EXPANDED_NODES:,} nodes"
                )
        return documents
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
