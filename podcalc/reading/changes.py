"""The bodies of ``POST /v1/diff`` and ``POST /v1/what-if``: the sides, and the change requests.

A side is a YAML or JSON stream as a string, one manifest, or a list of them. A what-if body
is ``{"manifests": side, "changes": [change, ...]}``; each change names its target
(``{kind, name, namespace}``) and says what to change: ``patch`` (a JSON merge patch),
``replicas``, or ``containers`` (container name -> ``{requests, limits}``).

A change is read as it is applied (``podcalc.diff.apply_changes``): its target first, then
the workload it names is found, then each of ``patch``, ``replicas`` and ``containers``, so
the first problem met is the one reported. Every problem is located by its JSON pointer into
the request body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calc.errors import Path
from podcalc.errors import InvalidError, pointer
from podcalc.reading.cluster import DEFAULT_NAMESPACE
from podcalc.reading.documents import read_documents
from podcalc.reading.limits import Limits
from podcalc.reading.manifests import TEMPLATE_PATHS, Document, objects, value_at


def side(value: Any, name: str, limits: Limits) -> list[Document]:
    """One side of a comparison: a YAML or JSON stream as a string, one manifest, or a list of them."""
    if isinstance(value, str):
        documents = read_documents(value.encode("utf-8"), "application/yaml", limits)
    elif isinstance(value, list):
        documents = value
    elif isinstance(value, Mapping):
        documents = [value]
    else:
        raise InvalidError.at(
            f"/{name}", "must be a YAML or JSON stream (a string), a manifest, or a list of manifests"
        )
    return [Document(i, v, f"{name} document {i}") for i, v in enumerate(documents)]


def diff_sides(body: Mapping[str, Any], limits: Limits) -> tuple[list[Document], list[Document]]:
    """The two sides of a diff body: ``/before`` and ``/after``, each a side (``side``)."""
    return side(body.get("before"), "before", limits), side(body.get("after"), "after", limits)


def read_what_if(body: Mapping[str, Any], limits: Limits) -> tuple[list[Document], Any]:
    """The manifests a what-if body changes (``/manifests``, a side), and its change requests
    (``/changes``) as given, read by ``change_list`` and the readers after it."""
    if "manifests" not in body:
        raise InvalidError.at("/manifests", "Required value: the manifests to change")
    return side(body["manifests"], "manifests", limits), body.get("changes")


def change_list(changes: Any) -> list[Any]:
    """The change requests: a non-empty list."""
    if not isinstance(changes, list) or not changes:
        raise InvalidError.at("/changes", "must be a non-empty list of changes")
    return changes


@dataclass(frozen=True, slots=True)
class Target:
    """The workload a change names. ``name`` and ``namespace`` are as given: only a string
    names an object; an unset or empty namespace is ``default``."""

    kind: str
    name: object
    namespace: object

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class Located:
    """Where a change's target stands: the document's index, the object's path in it, the object."""

    document: int
    path: Path
    value: Mapping[str, Any]


def read_target(change: Any, at: str) -> Target:
    """The target of the change at ``at`` (``/changes/0``): ``{kind, name, namespace}``."""
    target = change.get("target") if isinstance(change, Mapping) else None
    if not isinstance(target, Mapping) or not isinstance(target.get("kind"), str):
        raise InvalidError.at(f"{at}/target", "must name a workload: {kind, name, namespace}")
    return Target(target["kind"], target.get("name"), target.get("namespace") or DEFAULT_NAMESPACE)


def changed_fields(change: Mapping[str, Any]) -> list[str]:
    """What a change asks for: its keys besides ``target``, in the order given."""
    return [key for key in change if key != "target"]


def find(values: Sequence[Any], target: Target, at: str) -> Located:
    """The first object of the documents' ``values`` of the target's kind, name and namespace,
    compared as written (``metadata.name`` and ``metadata.namespace``; a ``metadata`` that is
    not an object has neither). A manifest that names itself wrongly is still changed, and
    refused for it when the changed manifests are read."""
    for i, value in enumerate(values):
        for path, obj in objects(value):
            if not isinstance(obj, Mapping) or obj.get("kind") != target.kind:
                continue
            metadata = obj.get("metadata")
            metadata = metadata if isinstance(metadata, Mapping) else {}
            if (
                metadata.get("name") == target.name
                and (metadata.get("namespace") or DEFAULT_NAMESPACE) == target.namespace
            ):
                return Located(i, path, obj)
    raise InvalidError.at(f"{at}/target", f"no {target.kind} {target.name!r} in the manifests")


def read_patch(change: Mapping[str, Any], at: str) -> Mapping[str, Any] | None:
    """The change's JSON merge patch (``patch``), None without one."""
    if "patch" not in change:
        return None
    if not isinstance(change["patch"], Mapping):
        raise InvalidError.at(f"{at}/patch", "a JSON merge patch is an object")
    patch: Mapping[str, Any] = change["patch"]
    return patch


def read_replicas(change: Mapping[str, Any], at: str) -> int | None:
    """The change's ``replicas``, a whole number; None without one."""
    if "replicas" not in change:
        return None
    replicas = change["replicas"]
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise InvalidError.at(f"{at}/replicas", "must be a whole number")
    return replicas


def read_containers(change: Mapping[str, Any], at: str) -> Mapping[str, Any] | None:
    """The change's ``containers``: container name -> ``{requests, limits}``, each read by
    ``read_resources``; None without them."""
    if "containers" not in change:
        return None
    containers = change["containers"]
    if not isinstance(containers, Mapping):
        raise InvalidError.at(f"{at}/containers", "must map container names to {requests, limits}")
    return containers


def read_resources(resources: Any, at: str) -> Mapping[str, Any]:
    """One container's new resources (``{requests, limits}``, merged into its own), at ``at``."""
    if not isinstance(resources, Mapping):
        raise InvalidError.at(at, "must be {requests, limits}")
    return resources


def pod_template(obj: Mapping[str, Any], at: str) -> dict[str, Any]:
    """The pod template of a workload (``TEMPLATE_PATHS`` by its kind; ``spec`` for another
    kind), for its containers to be changed in place."""
    kind = obj.get("kind")
    path = TEMPLATE_PATHS.get(kind, ("spec",)) if isinstance(kind, str) else ("spec",)
    spec, _ = value_at(obj, path)
    if not isinstance(spec, dict):
        raise InvalidError.at(at, f"the workload has no pod template at {pointer(*path)}")
    return spec


def container(spec: Mapping[str, Any], name: str, at: str) -> dict[str, Any]:
    """The first container (of ``containers``, then ``initContainers``) called ``name``, to be
    changed in place."""
    listed = [spec.get(f) for f in ("containers", "initContainers")]
    for containers in listed:
        for c in containers if isinstance(containers, list) else ():
            if isinstance(c, dict) and c.get("name") == name:
                return c
    raise InvalidError.at(at, f"no container {name!r} in the pod template")
