"""Request bodies in: JSON or a YAML stream (``podcalc.reading.yaml_stream``), decoded exactly,
as a list of documents, within the limits of one request (``podcalc.reading.limits``).

Numbers are kept as the text they were written in (``RawNumber``), and a key written twice in
one object is refused, named by document, JSON pointer and both of its lines
(``DuplicateKeyError``): see ``podcalc.reading.decoded``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from podcalc.errors import Entry, InvalidError, MalformedError
from podcalc.reading.decoded import LONGEST_INT, DuplicateKeyError, RawNumber, duplicate_entry
from podcalc.reading.limits import DEFAULT_LIMITS, MAX_DEPTH, Limits, check_json_size, too_deep
from podcalc.reading.yaml_stream import load_yaml_stream

JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _integer(text: str) -> int | RawNumber:
    """A JSON integer; a long one stays text, for the field that reads it to judge."""
    return RawNumber(text) if len(text) > LONGEST_INT else int(text)


class _RepeatedKeyError(Exception):
    """A key repeated in a JSON object: the decoding stops, to be done again and located."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _RepeatedKeyError
    return obj


# made once (json.loads with arguments makes a decoder, and its scanner, every call)
_JSON = json.JSONDecoder(
    parse_float=RawNumber, parse_int=_integer, parse_constant=_reject_constant, object_pairs_hook=_unique
)
_JSON_LAST = json.JSONDecoder(parse_float=RawNumber, parse_int=_integer, parse_constant=_reject_constant)
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _past_space(text: str, pos: int) -> int:
    """The position of the first character from ``pos`` on that is not JSON white space."""
    space = _JSON_SPACE.match(text, pos)
    return space.end() if space is not None else pos


def _decode_json(text: str) -> tuple[Any, bool]:
    """The value of a JSON text (as ``json.loads``), and whether an object in it repeats a key."""
    if text.startswith("\ufeff"):  # what json.loads says of it; JSONDecoder.decode would not
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _JSON.decode(text), False
    except _RepeatedKeyError:
        return _JSON_LAST.decode(text), True  # the last value of each key; malformed further on: refused as such


def loads_exact(text: str) -> Any:
    """Decode JSON keeping non-integer numbers as ``RawNumber`` text; NaN and Infinity are
    refused, and so is a key repeated in an object (``DuplicateKeyError``)."""
    value, repeated = _decode_json(text)
    if repeated:
        raise DuplicateKeyError.listing(_json_duplicates(text))
    return value


def _json_duplicates(text: str) -> list[Entry]:
    """Every key repeated in an object of ``text``, a well-formed JSON text, located.

    Read again with positions, without recursion (so at any depth): JSON's own decoder does
    not say where a key was. Only a body refused for a duplicate key is read this way.
    """
    entries: list[Entry] = []
    line, counted, line_start = 1, 0, 0  # the line text[counted] is on, and where that line starts
    # the open objects and arrays, innermost last: [path, where each key is first (None: an array), items so far]
    open_: list[list[Any]] = []
    path: tuple[str | int, ...] = ()
    pos, member = _past_space(text, 0), False  # member: pos is at the next item of the innermost
    while True:
        if member:
            parent, keys, count = open_[-1]
            if keys is None:
                path, open_[-1][2] = (*parent, count), count + 1
            else:
                key, end = _JSON_LAST.raw_decode(text, pos)
                line += text.count("\n", counted, pos)
                line_start, counted = max(line_start, text.rfind("\n", counted, pos) + 1), pos
                if key in keys:
                    entries.append(duplicate_entry(0, parent, key, keys[key], (line, pos - line_start + 1)))
                else:
                    keys[key] = (line, pos - line_start + 1)
                path, pos = (*parent, key), _past_space(text, _past_space(text, end) + 1)  # past the colon
            member = False
            continue
        char = text[pos]
        if char in "{[":
            pos = _past_space(text, pos + 1)
            if text[pos] not in "}]":
                open_.append([path, {} if char == "{" else None, 0])
                member = True
                continue
            pos += 1
        else:
            pos = _JSON_LAST.raw_decode(text, pos)[1]
        pos = _past_space(text, pos)
        while open_ and text[pos] != ",":  # the ends of the objects and arrays this value was the last of
            open_.pop()
            pos = _past_space(text, pos + 1)
        if not open_:
            return entries
        pos, member = _past_space(text, pos + 1), True


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8; so are manifests
    except UnicodeDecodeError as err:
        raise MalformedError(f"the body is not UTF-8 text: {err.reason} at byte {err.start}") from err


def read_documents(data: bytes, media_type: str, limits: Limits | None = None) -> list[Any]:
    """The documents of a body: one JSON value, or every document of a YAML stream.

    Refused in this order: a body that cannot be decoded (``MalformedError``), one beyond the
    limits (``TooLargeError``), one with a key written twice in an object (``DuplicateKeyError``).
    """
    return _read(data, media_type, limits or DEFAULT_LIMITS)


def read_stream(data: bytes, media_type: str, limits: Limits | None = None) -> list[Any]:
    """The documents of a stream operation's body (``read_documents``); a JSON body that is
    ``null`` holds no manifest, and is refused as malformed."""
    documents = read_documents(data, media_type, limits)
    if media_type in JSON_TYPES and documents == [None]:
        raise MalformedError(
            "the body is the JSON null: send a manifest, a List of them or a PodSpec, as a JSON object",
            [{"pointer": "", "detail": "must be a JSON object, not null"}],
        )
    return documents


def read_json_object(data: bytes, limits: Limits | None = None) -> dict[str, Any]:
    """A JSON body that must be one object (the envelope of a two-sided operation)."""
    (body,) = read_documents(data, "application/json", limits)
    if not isinstance(body, dict):
        raise InvalidError("the body must be a JSON object", [{"pointer": "", "detail": "must be a JSON object"}])
    return body


def _json_within(data: bytes, limits: Limits) -> bool:
    """Whether a JSON body is certainly within the size limits, read off its bytes.

    JSON has no aliases: its values number at most one per comma and two per bracket, plus
    one, and it nests no deeper than it has brackets. Counting bytes is done in C; a small
    body (every typical request) is then not walked at all.
    """
    brackets = data.count(b"{") + data.count(b"[")
    return brackets <= limits.depth and data.count(b",") + 2 * brackets + 1 <= limits.nodes


def _read(data: bytes, media_type: str, limits: Limits) -> list[Any]:
    if not data.strip():
        raise MalformedError("the request body is empty: send manifests as JSON or YAML", title="Empty body")
    text = _text(data)
    if media_type in YAML_TYPES:
        return load_yaml_stream(text, limits)  # checked against the limits from counts taken as it is built
    try:
        value, repeated = _decode_json(text)
    except json.JSONDecodeError as err:
        raise MalformedError(
            f"{err.msg} at line {err.lineno} column {err.colno} (char {err.pos})", title="Malformed JSON"
        ) from err
    except RecursionError as err:  # nested past the stack, so past any depth allowed: as check_size says
        raise too_deep(min(limits.depth, MAX_DEPTH)) from err
    except ValueError as err:
        raise MalformedError(str(err), title="Malformed JSON") from err
    if not _json_within(data, limits):
        check_json_size(value, limits)
    if repeated:
        raise DuplicateKeyError.listing(_json_duplicates(text))
    return [value]
