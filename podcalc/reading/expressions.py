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

from collections.abc import Iterator, Mapping
from typing import Any

from calc.errors import Path, QuantityError
from calc.resources import in_kubernetes_grammar, parse_resource_quantity
from podcalc.errors import Entry, pointer
from podcalc.reading.manifests import TEMPLATE_PATHS, Document, Found

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


def _patterns(obj: Mapping[str, Any]) -> Iterator[Pattern]:
    """Where ``obj`` keeps resource lists, from its root."""
    kind = obj.get("kind")
    if isinstance(kind, str) and kind in TEMPLATE_PATHS:
        prefix: Pattern = TEMPLATE_PATHS[kind]
        yield from ((*prefix, *p) for p in _POD)
    elif kind is None and "containers" in obj:  # a bare PodSpec
        yield from _POD
    if isinstance(kind, str):
        yield from _OTHER_KINDS.get(kind, ())


def _lists(value: Any, pattern: Pattern, at: Path) -> Iterator[tuple[Path, Mapping[Any, Any]]]:
    """The resource lists ``pattern`` reaches from ``value``, each with its path."""
    if not pattern:
        if isinstance(value, Mapping):
            yield at, value
        return
    key, rest = pattern[0], pattern[1:]
    if key is ANY:
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _lists(item, rest, (*at, i))
    elif isinstance(value, Mapping) and key in value:
        yield from _lists(value[key], rest, (*at, key))


def unit_expression_warnings(found: Found) -> list[Entry]:
    """A warning for every quantity of ``found`` that is a unit expression podcalc read but
    the API server would reject, with the Kubernetes quantity of the same value."""
    warnings: list[Entry] = []
    for doc, path, obj in found:
        if not isinstance(obj, Mapping):
            continue
        for pattern in _patterns(obj):
            for at, resources in _lists(obj, pattern, path):
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
    kind, metadata = obj.get("kind"), obj.get("metadata")
    entry: Entry = {
        "document": doc.index,
        "pointer": pointer(*at),
        "kind": kind if isinstance(kind, str) else "PodSpec",
        "name": metadata.get("name") if isinstance(metadata, Mapping) else None,
        "value": text,
        "suggested": suggested,
        "detail": f"not a Kubernetes quantity: the API server would reject this manifest; write {suggested}",
    }
    if doc.source is not None:
        entry["source"] = doc.source
    return entry
