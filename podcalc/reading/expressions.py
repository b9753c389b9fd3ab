"""Quantities written as unit expressions (``1.5 GiB``, ``512 MB``, ``2 cores``).

podcalc reads them (``calc.resources.parse_any``), but they are its own extension: the API
server decodes a quantity with ``resource.ParseQuantity`` alone and rejects the manifest.
Each one is reported as a warning at its field, with the quantity to write instead, so that
an answer computed from such a manifest never passes for one ``kubectl apply`` would accept.

Resource lists are looked for where Kubernetes has them: a pod template's containers, init
containers, ``overhead`` and pod-level ``resources``; a LimitRange's limits; a
ResourceQuota's ``hard``; a RuntimeClass's ``overhead.podFixed``; a
PersistentVolumeClaim's and a StatefulSet's ``volumeClaimTemplates`` resources. NodeShape
is podcalc's own kind, which no API server reads: its unit expressions are no mistake.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any

from calc.errors import Path, QuantityError
from calc.resources import in_kubernetes_grammar, parse_resource_quantity
from podcalc.errors import Entry, pointer
from podcalc.reading.manifests import TEMPLATE_PATHS, Document, Found, names

__all__ = ["unit_expression_warnings"]

ANY = None  # in a pattern: every item of a list
Pattern = tuple[str | int | None, ...]  # keys, and ANY

_REQUIREMENTS: tuple[Pattern, ...] = (("resources", "requests"), ("resources", "limits"))
_POD: tuple[Pattern, ...] = (
    *(("containers", ANY, *p) for p in _REQUIREMENTS),
    *(("initContainers", ANY, *p) for p in _REQUIREMENTS),
    ("overhead",),
    ("resources", "requests"),
    ("resources", "limits"),
)
_CLAIM: tuple[Pattern, ...] = (("spec", "resources", "requests"), ("spec", "resources", "limits"))
_OTHER_KINDS: dict[str, tuple[Pattern, ...]] = {
    "LimitRange": tuple(
        ("spec", "limits", ANY, field) for field in ("min", "max", "default", "defaultRequest", "maxLimitRequestRatio")
    ),
    "ResourceQuota": (("spec", "hard"),),
    "RuntimeClass": (("overhead", "podFixed"),),
    "PersistentVolumeClaim": _CLAIM,
    "StatefulSet": tuple(("spec", "volumeClaimTemplates", ANY, *p) for p in _CLAIM),
}

# A kind's patterns as a tree of keys: a key leads to its subtree, or, where a resource list
# ends a pattern, to that pattern's position (an int). Walking the tree visits each field of a
# document once, however many patterns pass through it (hot path: every request's documents
# are walked).
Tree = dict[Any, Any]  # keys: a field name or ANY; values: a Tree or a position


def _tree(patterns: Iterable[Pattern]) -> Tree:
    """The tree of ``patterns``; a list's position orders the warnings (every container's
    requests, then every container's limits, and so on)."""
    tree: Tree = {}
    for position, pattern in enumerate(patterns):
        node = tree
        for key in pattern[:-1]:
            node = node.setdefault(key, {})
            if type(node) is not dict:
                raise ValueError(f"{pattern}: goes on past where another pattern ends")
        if pattern[-1] is ANY or pattern[-1] in node:
            raise ValueError(f"{pattern}: ends on every item of a list, or where another pattern goes on")
        node[pattern[-1]] = position
    return tree


def _patterns(kind: str) -> Iterator[Pattern]:
    """Where an object of ``kind`` keeps resource lists, from its root."""
    if kind in TEMPLATE_PATHS:
        yield from ((*TEMPLATE_PATHS[kind], *p) for p in _POD)
    yield from _OTHER_KINDS.get(kind, ())


_TREES: dict[str, Tree] = {kind: _tree(_patterns(kind)) for kind in {*TEMPLATE_PATHS, *_OTHER_KINDS}}
_BARE_POD_SPEC = _tree(_POD)


def _tree_of(obj: dict[str, Any]) -> Tree | None:
    kind = obj.get("kind")
    if kind is None and "containers" in obj:  # a bare PodSpec
        return _BARE_POD_SPEC
    return _TREES.get(kind) if type(kind) is str else None


def _lists(value: Any, tree: Tree, at: Path, out: list[tuple[int, Path, dict[Any, Any]]]) -> None:
    """Adds to ``out`` the resource lists ``tree`` reaches from ``value``, each with its
    pattern's position and its path."""
    for key, subtree in tree.items():
        if key is ANY:
            if type(value) is list:
                for i, item in enumerate(value):
                    _lists(item, subtree, (*at, i), out)
        elif type(value) is dict and key in value:
            if type(subtree) is int:
                if type(value[key]) is dict:
                    out.append((subtree, (*at, key), value[key]))
            else:
                _lists(value[key], subtree, (*at, key), out)


def unit_expression_warnings(found: Found) -> list[Entry]:
    """A warning for every quantity of ``found`` that is a unit expression podcalc read but
    the API server would reject, with the Kubernetes quantity of the same value."""
    warnings: list[Entry] = []
    for doc, path, obj in found:
        if type(obj) is not dict:
            continue
        tree = _tree_of(obj)
        if tree is None:
            continue
        lists: list[tuple[int, Path, dict[Any, Any]]] = []
        _lists(obj, tree, path, lists)
        lists.sort(key=itemgetter(0))  # by pattern, each pattern's lists in document order
        for _, at, resources in lists:
            for name, text in resources.items():
                if type(text) is not str or type(name) is not str or in_kubernetes_grammar(text):
                    continue
                try:
                    suggested = str(parse_resource_quantity(name, text))
                except QuantityError:
                    continue  # not a quantity at all: the reader refuses it
                warnings.append(_warning(doc, obj, (*at, name), text, suggested))
    return warnings


def _warning(doc: Document, obj: Mapping[str, Any], at: Path, text: str, suggested: str) -> Entry:
    kind, (name, _) = obj.get("kind"), names(obj)
    entry: Entry = {
        "document": doc.index,
        "pointer": pointer(*at),
        "kind": kind if isinstance(kind, str) else "PodSpec",
        "name": name,
        "value": text,
        "suggested": suggested,
        "detail": f"not a Kubernetes quantity: the API server would reject this manifest; write {suggested}",
    }
    if doc.source is not None:
        entry["source"] = doc.source
    return entry
