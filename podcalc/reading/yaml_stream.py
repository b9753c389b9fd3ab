"""YAML streams in: every document, decoded as kubectl decodes it (go-yaml's rules for plain
numbers, through sigs.k8s.io/yaml), loaded safely (no object construction) with PyYAML's C
loader where it is available; the size limits checked once it is loaded, from counts taken
while it was built, and every key written twice in one mapping refused, located by its lines.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml

from podcalc.errors import Entry, MalformedError
from podcalc.reading.decoded import LONGEST_INT, DuplicateKeyError, RawNumber, duplicate_entry
from podcalc.reading.limits import Limits, check_size

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
    if len(text) > LONGEST_INT:
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
                entry = duplicate_entry(document, path, key.value, first_at, again_at)
                found.append((document, again.index, entry))
    return found


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
        check_size(documents, limits, loader.counts if loader.exact else None)
    if loader.marked:
        repeated = loader.duplicate_keys()
        if repeated:
            raise DuplicateKeyError.listing(repeated)
    return documents
