"""``POST /v1/diff``, ``POST /v1/what-if`` and ``podcalc diff``: two manifest sets compared.

Both sides are planned (``podcalc.plan``) and compared: per workload (matched by kind,
namespace and name), per namespace and in total, the change in effective requests and
limits and in pods, QoS class changes, and, where the cluster's objects are in the
streams, whether each quota still fits and how many nodes of each shape are needed.

What-if is a diff whose second side is the first with changes applied to named workloads:
a JSON merge patch (RFC 7396), ``replicas``, or a container's resources.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from calc.diff import (
    Diff,
    DuplicateWorkloadError,
    Figures,
    PlanFigures,
    PlannedWorkload,
    QuotaState,
    compare,
    increases_beyond,
)
from calc.quantity import parse_quantity
from calc.resources import UNBOUNDED_WITHOUT_LIMIT
from podcalc import render_plan
from podcalc.errors import Entry, InvalidError, pointer
from podcalc.plan import DEFAULT_NAMESPACE, Plan, plan
from podcalc.reading.documents import DEFAULT_LIMITS, Limits, read_documents
from podcalc.reading.manifests import TEMPLATE_PATHS, Document, objects


class Compared(NamedTuple):
    """Two sides compared: the comparison, the plan after (for its release), and the warnings
    of both sides' manifests, each located by its side's source."""

    diff: Diff
    after: Plan
    warnings: list[Entry]


def side(value: Any, name: str, limits: Limits) -> list[Document]:
    """One side of a comparison: a YAML or JSON stream as a string, one manifest, or a list of them."""
    if isinstance(value, str):
        documents = read_documents(value.encode("utf-8"), "application/yaml", limits)
    elif isinstance(value, list):
        documents = value
    elif isinstance(value, Mapping):
        documents = [value]
    else:
        raise _body_error(f"/{name}", "must be a YAML or JSON stream (a string), a manifest, or a list of manifests")
    return [Document(i, v, f"{name} document {i}") for i, v in enumerate(documents)]


def _body_error(at: str, detail: str) -> InvalidError:
    return InvalidError.at(at, detail)


def diff_documents(
    before: Sequence[Document],
    after: Sequence[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/diff``."""
    return render_plan.diff_body(diff(before, after, nodes, units, limits, kubernetes_version))


def diff(
    before: Sequence[Document],
    after: Sequence[Document],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> Compared:
    """Both sides planned and compared (``calc.diff.compare``); the plan after, for its release."""
    old = plan(before, nodes, units, limits, kubernetes_version)
    new = plan(after, nodes, units, limits, kubernetes_version)
    try:
        return Compared(compare(_figures(old), _figures(new)), new, old.warnings + new.warnings)
    except DuplicateWorkloadError as err:
        at = err.location
        entry = {"document": at.document, "pointer": pointer(*at.path), "detail": err.reason, "source": err.side}
        raise InvalidError(str(err), [entry]) from err


def _figures(p: Plan) -> PlanFigures:
    """What a comparison reads of a plan: each workload's figures, the quotas, the shapes."""
    workloads = []
    for item in p.planned:
        w = item.workload
        name = w.name if w.name is not None else f"(document {item.document.index}{pointer(*w.path)})"
        ev = item.evaluated.evaluation if item.evaluated is not None else None
        total = item.evaluated.total(p.node_count) if item.evaluated is not None else None
        figures = Figures(
            pods=item.pods or 0,
            pods_admitted=item.admitted.pods,
            requests=total.requests if total else {},
            limits=total.limits if total else {},
            unbounded=tuple(n for n in UNBOUNDED_WITHOUT_LIMIT if total and n in total.unbounded),
            qos_class=ev.qos_class.value if ev is not None else None,
        )
        key = (w.kind, item.namespace, name)
        workloads.append(PlannedWorkload(key, item.document.location(w.path), figures))
    quotas = [QuotaState(q.quota.namespace, q.quota.name, q.fits, q.exceeded, q.remaining) for q in p.quotas]
    shapes = [(s.shape.name, s.packing.opened) for s in p.shapes]
    return PlanFigures(workloads, quotas, shapes, None if p.nodes is None else p.nodes.fits)


def gate(d: Diff, thresholds: Mapping[str, str]) -> list[str]:
    """``--fail-if-increase cpu=2``: the total request increases beyond each threshold."""
    return increases_beyond(d, {name: parse_quantity(text) for name, text in thresholds.items()})


# --- what-if ---------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def apply_changes(documents: Sequence[Document], changes: Any) -> tuple[list[Document], list[str]]:
    """The documents with each change applied to the workload it names; what was done."""
    if not isinstance(changes, list) or not changes:
        raise _body_error("/changes", "must be a non-empty list of changes")
    values = [copy.deepcopy(d.value) for d in documents]
    applied = []
    for i, change in enumerate(changes):
        at = pointer("changes", i)
        target = change.get("target") if isinstance(change, Mapping) else None
        if not isinstance(target, Mapping) or not isinstance(target.get("kind"), str):
            raise _body_error(f"{at}/target", "must name a workload: {kind, name, namespace}")
        found = _find(values, target)
        if found is None:
            raise _body_error(f"{at}/target", f"no {target['kind']} {target.get('name')!r} in the manifests")
        doc, path = found
        obj = _get(values[doc], path)
        obj = _change(obj, change, at)
        values[doc] = _set(values[doc], path, obj)
        applied.append(f"{target['kind']}/{target.get('name')}: " + ", ".join(k for k in change if k != "target"))
    return [Document(d.index, v, d.source) for d, v in zip(documents, values, strict=True)], applied


def _find(values: Sequence[Any], target: Mapping[str, Any]) -> tuple[int, tuple[str | int, ...]] | None:
    namespace = target.get("namespace") or DEFAULT_NAMESPACE
    for i, value in enumerate(values):
        for path, obj in objects(value):
            if not isinstance(obj, Mapping) or obj.get("kind") != target["kind"]:
                continue
            meta = obj.get("metadata")
            meta = meta if isinstance(meta, Mapping) else {}
            if meta.get("name") == target.get("name") and (meta.get("namespace") or DEFAULT_NAMESPACE) == namespace:
                return i, path
    return None


def _get(value: Any, path: Iterable[str | int]) -> Any:
    for key in path:
        value = value[key]
    return value


def _set(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    parent = _get(value, path[:-1])
    parent[path[-1]] = new
    return value


def _change(obj: Mapping[str, Any], change: Mapping[str, Any], at: str) -> Any:
    kind = obj["kind"]
    out: Any = obj
    if "patch" in change:
        if not isinstance(change["patch"], Mapping):
            raise _body_error(f"{at}/patch", "a JSON merge patch is an object")
        out = merge_patch(out, change["patch"])
    if "replicas" in change:
        replicas = change["replicas"]
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise _body_error(f"{at}/replicas", "must be a whole number")
        field = "parallelism" if kind in ("Job", "CronJob") else "replicas"
        if kind in ("Pod", "DaemonSet", "PodTemplate"):
            raise _body_error(f"{at}/replicas", f"a {kind} has no replicas")
        spec_patch: dict[str, Any] = {"spec": {field: replicas}}
        if kind == "CronJob":
            spec_patch = {"spec": {"jobTemplate": {"spec": {field: replicas}}}}
        out = merge_patch(out, spec_patch)
    if "containers" in change:
        out = _container_resources(out, change["containers"], f"{at}/containers")
    return out


def _container_resources(obj: Any, containers: Any, at: str) -> Any:
    if not isinstance(containers, Mapping):
        raise _body_error(at, "must map container names to {requests, limits}")
    kind = obj.get("kind") if isinstance(obj, Mapping) else None
    path = (
        TEMPLATE_PATHS.get(kind, ("spec",)) if isinstance(kind, str) else ("spec",) if isinstance(obj, Mapping) else ()
    )
    spec: Any = obj
    for key in path:
        spec = spec.get(key) if isinstance(spec, Mapping) else None
    if not isinstance(spec, dict):
        raise _body_error(at, f"the workload has no pod template at {pointer(*path)}")
    for name, resources in containers.items():
        if not isinstance(resources, Mapping):
            raise _body_error(f"{at}/{name}", "must be {requests, limits}")
        listed = [spec.get(f) for f in ("containers", "initContainers")]
        matches = [
            c for cs in listed if isinstance(cs, list) for c in cs if isinstance(c, dict) and c.get("name") == name
        ]
        if not matches:
            raise _body_error(f"{at}/{name}", f"no container {name!r} in the pod template")
        current = matches[0].get("resources")
        matches[0]["resources"] = merge_patch(current if isinstance(current, Mapping) else {}, resources)
    return obj


def what_if(
    body: Mapping[str, Any],
    nodes: int | None = None,
    units: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    kubernetes_version: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/what-if``: the diff of the manifests and the manifests changed."""
    if "manifests" not in body:
        raise _body_error("/manifests", "Required value: the manifests to change")
    before = side(body["manifests"], "manifests", limits)
    after, applied = apply_changes(before, body.get("changes"))
    return {"applied": applied} | diff_documents(before, after, nodes, units, limits, kubernetes_version)
