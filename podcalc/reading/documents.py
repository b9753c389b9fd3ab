"""Request bodies in: JSON or a YAML stream, decoded exactly, as a list of documents.

Numbers are kept as the text they were written in (``RawNumber``), because a float cannot
hold ``0.1`` and a capacity figure must be what the manifest says, to the milli. YAML is
loaded safely (no object construction) with PyYAML's C loader where it is available.

A key written twice in one object is refused, in YAML and in JSON alike, as Kubernetes'
strict decoding refuses a duplicate field: ``DuplicateKeyError`` names each one by document,
JSON pointer and both of its lines (YAML would keep the last value silently, and two
manifests joined without ``---`` would read as one object, the last ``kind`` winning).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

from podcalc.errors import Entry, InputError, InvalidError, MalformedError, TooLargeError, pointer

JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


class RawNumber:
    """A number as written (``0.5``, ``1e3``), for exact quantity parsing.

    Not a ``str``: a number where the API wants a string (a name, a kind) is refused, as the
    API server refuses it; only quantity fields read ``str(number)``.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"RawNumber({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_LONGEST_INT = 64  # longer integers are no count and no quantity; Python refuses 4300 digits


def _integer(text: str) -> int | RawNumber:
    """A JSON integer; a long one stays text, for the field that reads it to judge."""
    return RawNumber(text) if len(text) > _LONGEST_INT else int(text)


class DuplicateKeyError(InvalidError):
    """Keys written twice in one object: decodable, but refused as Kubernetes' strict decoding
    refuses a duplicate field. One entry a repeated key: its document, its JSON pointer, and
    the line it is repeated on (``line``; the detail names its first line too)."""

    def at_source(self, label: str) -> InputError:
        """Each entry names the file's document as a source, as the CLI names every problem."""
        errors = [{"source": f"{label} document {e['document']}"} | e for e in self.errors or []]
        return type(self)(f"{label}: {self.detail}", errors, self.title)


def _duplicate(
    document: int, path: tuple[str | int, ...], key: str, first: tuple[int, int], again: tuple[int, int]
) -> Entry:
    """The entry of ``key`` written again: ``first`` and ``again`` are (line, column), from 1;
    the columns are named when the lines are the same (``{cpu: 1, cpu: 2}``, one-line JSON)."""
    (line, column), (again_line, again_column) = first, again
    where = f"first at line {line}, again at line {again_line}"
    if line == again_line:
        where = f"first at line {line} column {column}, again at line {again_line} column {again_column}"
    detail = f"duplicate key {json.dumps(key, ensure_ascii=False)}: {where}"
    return {"document": document, "pointer": pointer(*path, key), "detail": detail, "line": again_line}


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
                    entries.append(_duplicate(0, parent, key, keys[key], (line, pos - line_start + 1)))
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


# kubectl reads YAML with go-yaml (through sigs.k8s.io/yaml), whose rules for plain numbers
# differ from PyYAML's YAML 1.1: 1e3 is a float (PyYAML: a string), 1:30 is a string
# (PyYAML: 90, base 60), 08 is the float 8. These are go-yaml v2's resolve() rules.
_GO_INT = re.compile(r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]*|[1-9][0-9_]*)")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_GO_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")

if TYPE_CHECKING:
    # checked against the Python loader, whose constructor and resolver the C one shares
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ExactLoader(_SafeLoader):
    """PyYAML's safe loader (C where available), numbers resolved as go-yaml resolves them."""


# The safe loader's implicit resolvers, less its int and float ones (a copy: the safe loader
# keeps its own), then go-yaml's.
ExactLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
ExactLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(f"^(?:{_GO_INT.pattern})$"), list("-+0123456789"))
ExactLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(f"^(?:{_GO_FLOAT.pattern}|{_GO_SPECIAL_FLOAT.pattern})$"),
    list("-+.0123456789"),
)


def _go_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | RawNumber:
    """A YAML integer as go-yaml reads it: 0x, 0b and a leading 0 (octal) as in Go."""
    text = str(loader.construct_scalar(node))
    if len(text) > _LONGEST_INT:
        return RawNumber(text)
    digits = text.replace("_", "")
    sign, body = (-1, digits[1:]) if digits.startswith("-") else (1, digits.lstrip("+"))
    if body.startswith(("0b", "0x")):
        return sign * int(body, 0)
    if len(body) > 1 and body.startswith("0"):
        try:
            return sign * int(body, 8)
        except ValueError:  # 08, 0009: not octal, so go-yaml reads a float
            return RawNumber(go_json_float(float(digits)))
    return sign * int(body)


def _go_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> RawNumber:
    """A YAML float as the API server receives it: kubectl turns YAML into JSON through a
    float64, so ``cpu: 1.500`` arrives as ``1.5`` and ``1e3`` as ``1000``; ``.nan`` and
    ``.inf`` stay as written (kubectl cannot send them)."""
    text = str(loader.construct_scalar(node))
    if _GO_SPECIAL_FLOAT.fullmatch(text):
        return RawNumber(text)
    return RawNumber(go_json_float(float(text)))


def go_json_float(value: float) -> str:
    """A float64 as Go's encoding/json writes it: the shortest digits that read back the
    same, in plain notation unless below 1e-6 or from 1e21 on (then ``1e-7``, ``1.5e+21``)."""
    magnitude = abs(value)
    if math.isinf(value):
        return repr(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)  # Python's repr is the same shortest form, with e-07 / e+21
        return text[:-2] + text[-1] if len(text) >= 4 and text[-4:-1] == "e-0" else text
    return format(Decimal(repr(value)).normalize(), "f")


ExactLoader.add_constructor("tag:yaml.org,2002:int", _go_int)
ExactLoader.add_constructor("tag:yaml.org,2002:float", _go_float)

_STR, _NULL, _BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SPECIAL_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})  # "<<" and "="


class LeanLoader(ExactLoader):
    """``ExactLoader`` with the two Python steps of PyYAML's C loader made cheap.

    The C parser builds nodes in C but asks Python for every scalar's tag and leaves the
    construction of every value to Python, at several calls a node; the plain YAML of a
    manifest stream spends most of its load time there. Here a plain scalar's tag is
    remembered by its text (manifests repeat ``cpu``, ``name``, ``100m``), and documents
    are built by one function for the tags manifests use: mappings, sequences, strings,
    numbers, booleans and nulls. Anything else (merge keys, timestamps, binary, sets,
    unknown tags, non-scalar keys) is handed to PyYAML's own constructor, node by node, and
    aliases share one value as they do there. ``tests/manifests/test_intake.py`` holds the
    two to the same result.

    While building, it counts what ``check_size`` would, document by document: the values
    (each collection adds its children) and the deepest nesting. The counts stand for the
    walk only where they are exact: no shared (aliased) collection, no collection PyYAML
    builds itself, and no duplicate key (its first value, counted, is dropped); else
    ``check_size`` walks the documents.

    It builds a mapping with a key written twice as PyYAML does (the last value wins), and
    keeps the document to say where (``duplicate_keys``): a mapping whose dict came out
    shorter than its keys, or one PyYAML built (whose nested mappings this loader does not
    see), marks its document; only marked documents are searched, after the load.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        # plain scalar text -> tag, for this stream only: kept across requests, the texts
        # (an env value may be a secret) would outlive them and pin the memory they sit in
        self._tags: dict[str, str] = {}
        self.counts: list[tuple[int, int]] = []  # per document: (values, deepest nesting)
        self.exact = True  # False once a count may differ from the walk's
        self._values = 0  # of the document being built: one, and one per child of a collection
        self._deepest = 0  # nesting of its collections: the document's own is level 1
        self._depth = 0
        self._documents = 0  # built so far: the index of the one being built
        self._marked = False  # whether the document being built may repeat a key
        self.marked: list[tuple[int, yaml.Node]] = []  # (index, root) of each such document
        # a mapping with merge keys as written: PyYAML's flatten_mapping rewrites its pairs
        self._written: dict[yaml.Node, list[tuple[yaml.Node, yaml.Node]]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            tag = self._tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(value) <= 64:
                    self._tags[value] = tag
            return tag
        return _MAP if kind is yaml.MappingNode else _SEQ

    def construct_document(self, node: yaml.Node) -> Any:
        self._values, self._deepest, self._marked = 1, 0, False
        index, self._documents = self._documents, self._documents + 1
        try:
            data = self._build(node)
        except RecursionError:
            # _build recurses once a level; PyYAML's own construction does not, and so a deep
            # document reaches the size limits' depth refusal, as PyYAML's own construction would
            self.constructed_objects, self.recursive_objects, self.state_generators = {}, {}, []
            self.deep_construct = False  # left on by a construct_object the recursion unwound
            self.exact, self._depth, self._marked = False, 0, True
            data = super().construct_document(node)
        else:
            # what PyYAML's own construct_document finishes with
            while self.state_generators:
                generators, self.state_generators = self.state_generators, []
                for generator in generators:
                    for _ in generator:
                        pass
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.deep_construct = False
            self.counts.append((self._values, self._deepest))
        if self._marked:
            self.marked.append((index, node))
        return data

    def _build(self, node: yaml.Node) -> Any:
        tag, kind = node.tag, type(node)
        if isinstance(node, yaml.ScalarNode):  # as ``kind is``: ScalarNode has no subclasses
            if tag == _STR:
                return node.value
            if tag == _INT:
                return _go_int(self, node)
            if tag == _FLOAT:
                return _go_float(self, node)
            if tag == _BOOL:
                return self.bool_values[node.value.lower()]
            if tag == _NULL:
                return None
            return self.construct_object(node, deep=True)
        built = self.constructed_objects
        if node in built:
            self.exact = False  # an alias: its collection counts once per use
            return built[node]
        depth = self._depth = self._depth + 1
        if depth > self._deepest:
            self._deepest = depth
        if kind is yaml.MappingNode and tag == _MAP and not any(k.tag in _SPECIAL_KEYS for k, _ in node.value):
            mapping: dict[Any, Any] = {}
            built[node] = mapping  # before its children: an alias inside it is this mapping
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode:
                    del built[node]
                    return self._construct(node)  # PyYAML says what is wrong
                mapping[self._build(key_node)] = self._build(value_node)
            if len(mapping) != len(node.value):  # a duplicate key: what its first value added is gone
                self.exact, self._marked = False, True
            self._values += len(mapping)  # check_size counts a mapping's values, not its keys
            self._depth = depth - 1
            return mapping
        if kind is yaml.SequenceNode and tag == _SEQ:
            sequence: list[Any] = []
            built[node] = sequence
            sequence.extend(self._build(child) for child in node.value)
            self._values += len(sequence)
            self._depth = depth - 1
            return sequence
        return self._construct(node)

    def _construct(self, node: yaml.Node) -> Any:
        """A collection PyYAML builds (merge keys, sets, tags of its own): not counted here,
        and not searched for duplicate keys while built."""
        self.exact, self._marked = False, True
        return self.construct_object(node, deep=True)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        if node not in self._written and any(k.tag in _SPECIAL_KEYS for k, _ in node.value):
            self._written[node] = list(node.value)  # before PyYAML merges into it (in place)
        super().flatten_mapping(node)

    def duplicate_keys(self) -> list[Entry]:
        """Every key written twice in one mapping of the documents built, in the stream's order.

        Keys are compared as the strings they are built to (``cpu`` and ``"cpu"`` are one key;
        ``1`` and ``"1"`` are not, nor ``true`` and ``1``, as in go-yaml). Merge keys are not
        repeated keys: a key a ``<<`` brings in may be written again, and wins, as kubectl
        reads it. Each mapping is searched once, where it is first written (its anchor).
        """
        found: list[tuple[int, int, Entry]] = []
        for document, root in self.marked:
            seen: set[yaml.Node] = set()
            stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
            while stack:
                node, path = stack.pop()
                if isinstance(node, yaml.ScalarNode) or node in seen:
                    continue
                seen.add(node)
                if isinstance(node, yaml.MappingNode):
                    pairs: list[tuple[yaml.Node, yaml.Node]] = self._written.get(node) or node.value
                    if node.tag == _MAP:
                        found += _repeated_keys(document, path, pairs)
                    children = [(v, (*path, k.value)) for k, v in pairs if type(k) is yaml.ScalarNode]
                else:
                    children = [(child, (*path, i)) for i, child in enumerate(node.value)]
                stack.extend(reversed(children))
        return [entry for _, _, entry in sorted(found, key=lambda f: f[:2])]


def _repeated_keys(
    document: int, path: tuple[str | int, ...], pairs: list[tuple[yaml.Node, yaml.Node]]
) -> list[tuple[int, int, Entry]]:
    """The string keys written again in one mapping's ``pairs``: (document, position, entry)."""
    first: dict[str, yaml.Node] = {}
    found = []
    for key, _ in pairs:
        if type(key) is yaml.ScalarNode and key.tag == _STR:
            was = first.setdefault(key.value, key)
            if was is not key:
                again = key.start_mark
                first_at, again_at = (
                    (was.start_mark.line + 1, was.start_mark.column + 1),
                    (again.line + 1, again.column + 1),
                )
                entry = _duplicate(document, path, key.value, first_at, again_at)
                found.append((document, again.index, entry))
    return found


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
        return load_yaml_stream(text, limits)  # checked against the limits as it is read
    try:
        value, repeated = _decode_json(text)
    except json.JSONDecodeError as err:
        raise MalformedError(
            f"{err.msg} at line {err.lineno} column {err.colno} (char {err.pos})", title="Malformed JSON"
        ) from err
    except RecursionError as err:  # nested past the stack, so past any depth allowed: as check_size says
        raise _too_deep(min(limits.depth, MAX_DEPTH)) from err
    except ValueError as err:
        raise MalformedError(str(err), title="Malformed JSON") from err
    if not _json_within(data, limits):
        _check_json_size(value, limits)
    if repeated:
        raise DuplicateKeyError.listing(_json_duplicates(text))
    return [value]


# The walk of check_size recurses once a level, within Python's recursion limit: a higher
# PODCALC_MAX_DEPTH is held to this.
MAX_DEPTH = 256


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may ask for; each refusal names the limit and its setting."""

    documents: int = 20_000  # documents in a stream (PODCALC_MAX_DOCUMENTS)
    workloads: int = 20_000  # workloads in a request, Lists expanded (PODCALC_MAX_WORKLOADS)
    containers: int = 200  # containers and init containers in one pod (PODCALC_MAX_CONTAINERS)
    # values in the body once YAML aliases are expanded (PODCALC_MAX_NODES): about what a
    # 1 MiB body of plain JSON can hold, so aliases cannot make a request cost more than that
    nodes: int = 300_000
    depth: int = 64  # nesting of objects and lists, at most MAX_DEPTH (PODCALC_MAX_DEPTH)
    quantity_length: int = 256  # characters of one quantity, at most 256 (PODCALC_MAX_QUANTITY_LENGTH)
    # /v1/plan: packing costs workloads x node groups per shape, and admission workloads x
    # policies, so the cluster objects of one request are bounded (PODCALC_MAX_NODE_SHAPES, ...)
    node_shapes: int = 10
    cluster_nodes: int = 1_000
    policies: int = 100  # LimitRanges and ResourceQuotas together

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits set by the config keys ``MAX_<FIELD>`` (the others keep their defaults)."""
        return cls(**{f: int(config[key]) for f, key in cls.config_keys().items() if key in config})

    @classmethod
    def config_keys(cls) -> dict[str, str]:
        return {field: f"MAX_{field.upper()}" for field in cls.__slots__}


DEFAULT_LIMITS = Limits()


def too_large(what: str, limit: int, setting: str, errors: list[dict[str, Any]] | None = None) -> TooLargeError:
    return TooLargeError.limit(what, limit, setting, errors)


def check_size(documents: list[Any], limits: Limits, counted: LeanLoader | None = None) -> None:
    """Refuse a body with too many documents, nested too deeply, or too large once expanded.

    Aliases let a small YAML stand for a huge tree ("billion laughs"): shared subtrees are
    counted once per use, without expanding them. ``counted``: the loader that built
    ``documents``, whose exact count then stands for the walk.
    """
    if len(documents) > limits.documents:
        raise too_large(f"{len(documents):,} documents", limits.documents, "PODCALC_MAX_DOCUMENTS")
    max_depth = min(limits.depth, MAX_DEPTH)
    if counted is not None and counted.exact:
        total = 0
        for values, deepest in counted.counts:  # in the walk's order: depth, then the running total
            if deepest > max_depth:
                raise _too_deep(max_depth)
            total += values
            if total > limits.nodes:
                raise _too_many_values(limits.nodes)
        return
    memo: dict[int, tuple[int, int]] = {}
    total = 0
    for document in documents:
        total += _size(document, 1, max_depth, memo)
        if total > limits.nodes:
            raise _too_many_values(limits.nodes)


def _too_deep(max_depth: int) -> TooLargeError:
    return too_large(f"values nested more than {max_depth} levels deep", max_depth, "PODCALC_MAX_DEPTH")


def _too_many_values(max_nodes: int) -> TooLargeError:
    return too_large("the body expands to too many values", max_nodes, "PODCALC_MAX_NODES")


def _check_json_size(value: Any, limits: Limits) -> None:
    """``check_size`` for a decoded JSON value, which shares no subtree (JSON has no aliases):
    a walk without the memo that aliases need, a level's children counted at once."""
    max_depth = min(limits.depth, MAX_DEPTH)
    total = 1
    stack = [(value, 1)] if type(value) is dict or type(value) is list else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node
        total += len(children)
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= max_depth:
                    raise _too_deep(max_depth)
                stack.append((child, depth + 1))
    if total > limits.nodes:
        raise _too_many_values(limits.nodes)


def _size(value: Any, depth: int, max_depth: int, memo: dict[int, tuple[int, int]]) -> int:
    """Values in ``value`` once expanded; refuses nesting beyond ``max_depth`` wherever a
    shared (aliased) subtree is used, since its height is remembered with its size."""
    return _measure(value, depth, max_depth, memo)[0]


def _measure(value: Any, depth: int, max_depth: int, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list | tuple):  # tuples: the (key, value) entries of !!omap and !!pairs
        children = value
    else:
        return 1, 0
    known = memo.get(id(value))
    if known is None:
        if depth > max_depth:
            raise _too_deep(max_depth)
        size, height = 1, 0
        for child in children:
            if isinstance(child, dict | list | tuple):
                child_size, child_height = _measure(child, depth + 1, max_depth, memo)
                size, height = size + child_size, max(height, child_height + 1)
            else:
                size += 1
        known = memo[id(value)] = (size, height)
    if depth + known[1] > max_depth:
        raise _too_deep(max_depth)
    return known


def load_yaml_stream(text: str, limits: Limits | None = None) -> list[Any]:
    """Every document of a YAML stream; ``MalformedError`` naming the line where it breaks; with
    ``limits``, ``TooLargeError`` for a stream beyond them (``check_size``, from the loader's count);
    then ``DuplicateKeyError`` naming every key written twice in one mapping."""
    loader = LeanLoader(text)
    try:
        documents = []
        while loader.check_node():  # yaml.load_all's loop (its check_data is check_node), keeping the loader
            documents.append(loader.get_data())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise MalformedError(f"{err.problem or err.context}{where}", title="Malformed YAML") from err
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as err:
        raise MalformedError(f"the YAML cannot be read: {err}", title="Malformed YAML") from err
    except (AttributeError, KeyError) as err:  # PyYAML's own !!timestamp and !!bool on a value they do not fit
        detail = "the YAML cannot be read: a value does not fit its tag (such as !!bool or !!timestamp)"
        raise MalformedError(detail, title="Malformed YAML") from err
    finally:
        loader.dispose()
    if limits is not None:
        check_size(documents, limits, loader)
    if loader.marked:
        repeated = loader.duplicate_keys()
        if repeated:
            raise DuplicateKeyError.listing(repeated)
    return documents
